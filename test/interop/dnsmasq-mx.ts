/**
 * MX walks and failover through a real DNS server: dnsmasq (started by
 * .ci/dnsmasq.sh) serves dnsmasq.test; its MX hosts point at the real Postfix
 * on 127.0.0.1:2525 and at 127.0.0.9, where nothing listens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { probeMx } from '../../src/probes/mx.js';
import { probeFailover } from '../../src/probes/failover.js';
import { MxOutputSchema } from '../../src/schema/mx.js';
import { FailoverOutputSchema } from '../../src/schema/failover.js';
import { EXIT } from '../../src/output/exit-codes.js';
import { dnsmasqEnv } from '../support/dnsmasq.js';
import { postfixEnv } from '../support/postfix.js';

const dns = dnsmasqEnv();
const pf = postfixEnv();
const CLI = fileURLToPath(new URL('../../commands/cli.js', import.meta.url));
const opts = {
  resolvers: [dns.addr],
  port: Number(pf.vrfyAddr.split(':')[1]),
  caFiles: [pf.certFile],
  timeouts: { connectMs: 2000, greetingMs: 3000, commandMs: 3000 },
};
const walk = (name: string) => probeMx(`${name}.${dns.zone}`, opts);
const lintIds = (r: { lint: { id: string }[] }) => r.lint.map((l) => l.id);

test('an MX pointing at Postfix: accepted, greeting and STARTTLS seen, the DNS trace kept', async () => {
  const { status, result } = await walk('postfix');
  assert.equal(status, 'ok');
  assert.equal(result.source, 'mx');
  assert.equal(result.verdict?.kind, 'accepted');
  assert.equal(result.verdict?.host, `mx.${dns.zone}`);
  const a = result.hosts[0]!.addresses[0]!;
  assert.equal(a.address, '127.0.0.1');
  assert.equal(a.banner?.code, 220);
  assert.equal(a.tls?.outcome, 'ok');
  assert.ok(
    result.dns.some(
      (e) =>
        e.question.type === 'MX' &&
        e.rcode === 'NOERROR' &&
        e.answers.some((r) => r.type === 'MX' && r.ttl > 0),
    ),
  );
});

test('two MX hosts: sorted by preference whatever order dnsmasq sends; the RST primary fails over to Postfix', async () => {
  const { result } = await walk('two');
  assert.deepEqual(
    result.hosts.map((h) => [h.preference, h.name]),
    [
      [10, `down.${dns.zone}`],
      [20, `mx.${dns.zone}`],
    ],
  );
  assert.equal(result.hosts[0]!.addresses[0]!.status, 'connection-refused');
  assert.equal(result.verdict?.kind, 'accepted');
  assert.deepEqual(
    result.verdict?.failedBefore.map((f) => f.status),
    ['connection-refused'],
  );
});

test("CNAME cases: a CNAME'd mail domain follows the chain; an MX target that is a CNAME is linted (RFC 2181 §10.3)", async () => {
  const www = (await walk('www')).result;
  assert.deepEqual(www.mxLookup?.cnameChain.slice(0, 2), [
    `www.${dns.zone}`,
    `postfix.${dns.zone}`,
  ]);
  assert.ok(lintIds(www).includes('domain-is-cname'));
  assert.equal(www.verdict?.kind, 'accepted');
  const cmx = (await walk('cname-mx')).result;
  assert.ok(lintIds(cmx).includes('mx-is-cname'));
  assert.equal(cmx.verdict?.kind, 'accepted');
});

test('null MX, implicit MX, NODATA target, NXDOMAIN', async () => {
  const nullMx = (await walk('nullmx')).result;
  assert.deepEqual(
    [nullMx.source, nullMx.verdict?.kind, nullMx.hosts.length],
    ['null-mx', 'no-mail', 0],
  );
  const implicit = (await walk('implicit')).result;
  assert.equal(implicit.source, 'implicit');
  assert.equal(implicit.hosts[0]?.implicit, true);
  assert.equal(implicit.verdict?.kind, 'accepted');
  const dangling = (await walk('dangling')).result;
  assert.ok(lintIds(dangling).includes('mx-dangling'));
  assert.equal(dangling.hosts[0]?.lookups.a.status, 'nodata');
  assert.equal(dangling.verdict?.kind, 'no-usable-host');
  const nope = (await walk('nope')).result;
  assert.equal(nope.verdict?.kind, 'no-such-domain');
  assert.equal(nope.mxLookup?.status, 'nxdomain');
});

test('failover: losing Postfix too leaves nothing; the queue ends in a bounce', async () => {
  const { result } = await probeFailover(`two.${dns.zone}`, {
    ...opts,
    assumeDown: [`mx.${dns.zone}=blackhole`],
    profile: 'postfix',
  });
  assert.deepEqual(
    result.attempts.map((a) => a.status),
    ['connection-refused', 'connection-timeout'],
  );
  assert.equal(result.attempts[1]!.costMs, 30_000);
  assert.equal(result.delivery.kind, 'deferred');
  assert.equal(result.queue?.bounceAtMs, 5 * 86_400_000);
});

test('the CLI: schema-valid JSON and the exit codes of mx and failover', () => {
  const run = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [CLI, ...args, '--resolver', dns.addr, '--port', String(opts.port), '--json'],
      { encoding: 'utf8' },
    );
  const ok = run('mx', `postfix.${dns.zone}`);
  assert.equal(ok.status, EXIT.OK, ok.stderr);
  assert.equal(MxOutputSchema.parse(JSON.parse(ok.stdout)).result?.verdict?.kind, 'accepted');
  assert.equal(run('mx', `nullmx.${dns.zone}`).status, EXIT.UNDELIVERABLE);
  const late = run(
    'failover',
    `two.${dns.zone}`,
    '--profile',
    'bsd-tcp',
    '--assume-down',
    `down.${dns.zone}`,
  );
  assert.equal(late.status, EXIT.DELAYED, late.stderr);
  assert.equal(
    (FailoverOutputSchema.parse(JSON.parse(late.stdout)).result?.delivery.afterMs ?? 0) > 75_000,
    true,
  );
});
