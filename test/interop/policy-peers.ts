/**
 * MTA-STS, TLS-RPT, DANE and DNS over HTTPS against real servers (issue 10): dnsmasq serves the
 * records (.ci/dnsmasq.sh), nginx the MTA-STS policy files over HTTPS with a private CA
 * (.ci/nginx.sh), dnsdist DoH in front of dnsmasq (.ci/dnsdist.sh), and the MX is the real
 * Postfix on 127.0.0.1:2525, whose certificate names mx.dnsmasq.test.
 *
 * What a client can honestly see: dnsmasq neither signs nor validates its zone, so no answer
 * carries AD. The TLSA record of mx.dnsmasq.test matches Postfix's key, yet the DANE state is
 * tlsa-without-dnssec — records without DNSSEC are unusable (RFC 7672 §2.2) — and dane-valid
 * cannot be reached with these peers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { dohTransport } from '../../src/dns/doh.js';
import { TransportError } from '../../src/dns/transport.js';
import { decodeResponse, encodeQuery } from '../../src/dns/wire.js';
import { loadTrustStore } from '../../src/net/tls.js';
import { EXIT } from '../../src/output/exit-codes.js';
import { FailoverOutputSchema } from '../../src/schema/failover.js';
import { MxOutputSchema } from '../../src/schema/mx.js';
import { dnsdistEnv } from '../support/dnsdist.js';
import { dnsmasqEnv } from '../support/dnsmasq.js';
import { dnsmasqPolicyEnv } from '../support/dnsmasq-policy.js';
import { nginxEnv } from '../support/nginx.js';
import { postfixEnv } from '../support/postfix.js';

const dns = dnsmasqEnv();
const zone = dnsmasqPolicyEnv();
const web = nginxEnv();
const doh = dnsdistEnv();
const pf = postfixEnv();
const CLI = fileURLToPath(new URL('../../commands/cli.js', import.meta.url));
const SMTP_PORT = pf.vrfyAddr.split(':')[1]!;
const MX = `mx.${dns.zone}`;
const dohServer = (() => {
  const u = new URL(doh.dohUrl);
  return { address: u.hostname, port: Number(u.port) };
})();

/** The flags every policy run shares: dnsmasq, Postfix's port, nginx's port, both CAs. */
const POLICY_FLAGS = [
  '--resolver',
  dns.addr,
  '--port',
  SMTP_PORT,
  '--mta-sts-port',
  String(web.port),
  '--ca',
  web.caFile,
  '--ca',
  pf.certFile,
  '--json',
];

/** cli: `node dist/commands/cli.js ...args`; the exit code, stderr, and stdout parsed as JSON. */
function cli(...args: string[]): { status: number | null; stderr: string; json: unknown } {
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 90_000 });
  let json: unknown;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    assert.fail(`no JSON on stdout (exit ${run.status}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return { status: run.status, stderr: run.stderr, json };
}

test('dnsdist answers DoH from the library transport: MX, and TLSA without AD', async (t) => {
  const transport = dohTransport(doh.dohUrl, { trust: loadTrustStore([doh.caFile]) });
  t.after(() => transport.close());
  const ask = async (name: string, type: 'MX' | 'TLSA') => {
    const q = encodeQuery(name, type);
    const bytes = await transport.exchange(q.bytes, dohServer, { timeoutMs: 3000, tcp: false });
    return decodeResponse(bytes);
  };
  const mx = await ask(`postfix.${dns.zone}`, 'MX');
  assert.equal(mx.rcode, 'NOERROR');
  assert.deepEqual(
    mx.answers.map((r) => (r.type === 'MX' ? [r.preference, r.exchange] : r.type)),
    [[10, MX]],
  );
  const tlsa = await ask(zone.tlsaOwner, 'TLSA');
  assert.equal(tlsa.rcode, 'NOERROR');
  assert.equal(tlsa.answers.length, 1);
  // encodeQuery asks for AD (RFC 6840 §5.7); nothing on this path validates, so none comes back.
  assert.equal(tlsa.flags.ad, false);
});

test('dnsdist over DoH is refused without its CA: the certificate is really checked', async (t) => {
  const transport = dohTransport(doh.dohUrl);
  t.after(() => transport.close());
  const q = encodeQuery(`postfix.${dns.zone}`, 'MX');
  await assert.rejects(
    transport.exchange(q.bytes, dohServer, { timeoutMs: 3000, tcp: false }),
    (err: unknown) =>
      err instanceof TransportError && err.kind === 'network-error' && /TLS/.test(err.message),
  );
});

test('nginx serves both MTA-STS policies as text/plain over HTTPS from the private CA', async (t) => {
  const ca = readFileSync(web.caFile, 'utf8');
  for (const [domain, mx] of [
    [zone.stsDomain, MX],
    [zone.stsBadDomain, `other.${dns.zone}`],
  ] as const) {
    const host = `mta-sts.${domain}`;
    assert.ok(web.hosts.includes(host), host);
    // Connect by address (nginx's, as dnsmasq answers); the policy host goes in SNI and Host,
    // and the certificate must name it.
    const agent = new Agent({ connect: { ca, servername: host } });
    t.after(() => agent.close());
    const res = await request(`https://${web.addr}/.well-known/mta-sts.txt`, {
      dispatcher: agent,
      headers: { host },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.equal(
      await res.body.text(),
      `version: STSv1\r\nmode: enforce\r\nmx: ${mx}\r\nmax_age: 86400\r\n`,
    );
  }
  assert.equal(zone.mtaStsAddr, web.addr.split(':')[0]);
});

test('mx of the MTA-STS domain: enforce, policy fetched, the MX delivers; TLS-RPT; DANE without DNSSEC', () => {
  const run = cli('mx', zone.stsDomain, ...POLICY_FLAGS);
  assert.equal(run.status, EXIT.OK, run.stderr);
  const policy = MxOutputSchema.parse(run.json).result?.policy;
  assert.ok(policy, 'result.policy is present');
  const sts = policy.mtaSts;
  assert.equal(sts.state, 'enforce');
  assert.equal(sts.fetch?.outcome, 'ok', sts.fetch?.error);
  assert.equal(sts.fetch?.status, 200);
  assert.deepEqual(sts.policy?.mx, [MX]);
  assert.deepEqual(
    { mx: sts.verdicts[0]?.mx, outcome: sts.verdicts[0]?.outcome },
    { mx: MX, outcome: 'deliver' },
    sts.verdicts[0]?.reason,
  );
  assert.deepEqual(policy.tlsRpt.record?.rua, [`mailto:tls@${zone.stsDomain}`]);
  const dane = policy.dane[0];
  assert.equal(dane?.owner, zone.tlsaOwner);
  assert.equal(dane?.state, 'tlsa-without-dnssec', dane?.finding);
  assert.deepEqual(dane?.records, [zone.tlsa], 'the one record, pinning the key Postfix presents');
  assert.equal(dane?.authenticated, false);
  assert.ok(
    dane?.finding.includes(zone.tlsaOwner),
    `the finding names ${zone.tlsaOwner}: ${dane?.finding}`,
  );
});

test('mx of the domain whose policy does not cover its MX: skipped under RFC 8461 §4.1', () => {
  const run = cli('mx', zone.stsBadDomain, ...POLICY_FLAGS);
  const policy = MxOutputSchema.parse(run.json).result?.policy;
  assert.ok(policy, `result.policy is present (exit ${run.status}): ${run.stderr}`);
  const verdict = policy.mtaSts.verdicts[0];
  assert.equal(verdict?.outcome, 'skip');
  assert.match(verdict?.reason ?? '', /not covered/);
  assert.ok(
    policy.findings.some((f) => f.ref === 'RFC 8461 §4.1'),
    policy.findings.map((f) => `${f.ref}: ${f.message}`).join('\n'),
  );
});

test('failover with --mta-sts: an enforcing sender has no MX it may use, so the mail is not delivered', () => {
  const run = cli('failover', zone.stsBadDomain, ...POLICY_FLAGS, '--mta-sts');
  const delivery = FailoverOutputSchema.parse(run.json).result?.delivery;
  assert.ok(delivery, `result.delivery is present (exit ${run.status}): ${run.stderr}`);
  // Postfix answers, but the only MX is outside the policy: not delivered now, and the domain
  // does take mail (not no-mail or no-such-domain): it waits in the sender's queue.
  assert.notEqual(delivery.kind, 'delivered');
  assert.ok(['deferred', 'delayed'].includes(delivery.kind), delivery.kind);
});

test('mx over DoH through dnsdist: accepted, and every DNS exchange went over https', () => {
  const run = cli(
    'mx',
    `postfix.${dns.zone}`,
    '--resolver',
    doh.dohUrl,
    '--ca',
    doh.caFile,
    '--ca',
    pf.certFile,
    '--port',
    SMTP_PORT,
    '--json',
    '--dns-trace',
  );
  assert.equal(run.status, EXIT.OK, run.stderr);
  const result = MxOutputSchema.parse(run.json).result;
  assert.equal(result?.verdict?.kind, 'accepted');
  assert.ok(result.dns.length > 0, 'the trace has exchanges');
  assert.deepEqual(
    result.dns.filter((e) => e.transport !== 'https').map((e) => `${e.server} ${e.transport}`),
    [],
  );
});

test('a DoH resolver and a plain one together', () => {
  const run = cli(
    'mx',
    `postfix.${dns.zone}`,
    '--resolver',
    doh.dohUrl,
    '--resolver',
    dns.addr,
    '--ca',
    doh.caFile,
    '--ca',
    pf.certFile,
    '--port',
    SMTP_PORT,
    '--json',
  );
  assert.equal(run.status, EXIT.OK, run.stderr);
  assert.equal(MxOutputSchema.parse(run.json).result?.verdict?.kind, 'accepted');
});

test('--no-policy: no policy section at all', () => {
  const run = cli('mx', zone.stsDomain, ...POLICY_FLAGS, '--no-policy');
  assert.equal(run.status, EXIT.OK, run.stderr);
  const result = MxOutputSchema.parse(run.json).result;
  assert.ok(result);
  assert.equal(result.policy, undefined);
});
