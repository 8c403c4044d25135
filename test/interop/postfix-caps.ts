/**
 * caps against real Postfix 3.7 (started by .ci/postfix.sh): the listener on
 * :2525 has VRFY and STARTTLS with a self-signed certificate for
 * mx.postfix.test; the one on :2526 has neither.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeCaps } from '../../src/probes/caps.js';
import { CapsOutputSchema } from '../../src/schema/caps.js';
import { EXIT } from '../../src/output/exit-codes.js';
import { postfixEnv } from '../support/postfix.js';

const pf = postfixEnv();
const CLI = fileURLToPath(new URL('../../commands/cli.js', import.meta.url));
const mailboxSizes = (): number[] =>
  ['alice', 'bob'].map((u) => statSync(join(pf.mailDir, u)).size);

test('caps on the VRFY+STARTTLS listener: extensions, TLS, certificate, census', async () => {
  const before = mailboxSizes();
  const { status, result, error } = await probeCaps(pf.vrfyAddr, {
    caFiles: [pf.certFile],
    tlsName: pf.hostname,
    helo: 'interop.smtp-probe.test',
  });
  assert.equal(status, 'ok', error?.message);
  assert.equal(result.banner?.reply.code, 220);
  assert.equal(result.banner?.hostname, pf.hostname);
  const caps = result.capabilities!;
  assert.equal(caps.hostname, pf.hostname);
  assert.equal(caps.size, 10240000);
  for (const flag of [
    'pipelining',
    'starttls',
    'vrfy',
    'etrn',
    'enhancedStatusCodes',
    'eightBitMime',
    'dsn',
    'smtpUtf8',
    'chunking',
  ] as const) {
    assert.equal(caps[flag], true, flag);
  }
  assert.equal(result.tls?.outcome, 'ok');
  const info = result.tls!.info!;
  assert.match(info.protocol, /^TLSv1\.[23]$/);
  const leaf = info.chain[0]!;
  assert.match(leaf.subject, new RegExp(`CN=${pf.hostname}`));
  assert.ok(leaf.subjectAltNames.includes(`DNS:${pf.hostname}`), leaf.subjectAltNames.join());
  assert.equal(leaf.selfSigned, true);
  assert.ok(leaf.daysLeft > 0);
  assert.deepEqual([info.nameMatch.ok, info.trusted.ok], [true, true]);
  assert.deepEqual(result.capabilityChanges, { added: [], removed: ['STARTTLS'] });
  assert.equal(result.capabilitiesAfterTls?.starttls, false);
  const support = Object.fromEntries(result.census!.map((e) => [e.verb, e.support]));
  assert.equal(support.NOOP, 'implemented');
  assert.equal(support.RSET, 'implemented');
  // Postfix answers 252 to postmaster and 550 5.1.1 to a made-up name: a real lookup.
  assert.equal(support.VRFY, 'implemented');
  assert.equal(result.census!.find((e) => e.verb === 'VRFY')?.probe?.reply.enhanced, '5.1.1');
  assert.equal(support.EXPN, 'not-implemented');
  assert.equal(support.TURN, 'not-implemented');
  assert.equal(support.ETRN, 'implemented');
  assert.ok(result.findings.some((f) => f.id === 'vrfy-enabled'));
  assert.ok(result.findings.some((f) => f.id === 'cert-self-signed'));
  assert.ok(!result.findings.some((f) => f.id === 'no-starttls'));
  assert.deepEqual(mailboxSizes(), before, 'caps must never deliver mail');
});

test('caps without the CA: certificate reported untrusted, and --tls-verify makes it fatal', async () => {
  const lenient = await probeCaps(pf.vrfyAddr, { tlsName: pf.hostname, census: false });
  assert.equal(lenient.status, 'ok');
  assert.equal(lenient.result.tls?.info?.trusted.ok, false);
  assert.ok(lenient.result.findings.some((f) => f.id === 'cert-untrusted'));
  const strict = await probeCaps(pf.vrfyAddr, {
    tlsName: pf.hostname,
    census: false,
    tlsVerify: true,
  });
  assert.equal(strict.status, 'tls-error');
  assert.equal(strict.error?.code, 'TLS_CERT_INVALID');
  assert.equal(strict.error?.stage, 'starttls');
  assert.equal(strict.result.capabilities?.starttls, true, 'what was learned before TLS is kept');
});

test('caps on the listener without VRFY or STARTTLS', async () => {
  const { status, result } = await probeCaps(pf.noVrfyAddr, { helo: 'interop.smtp-probe.test' });
  assert.equal(status, 'ok');
  assert.equal(result.capabilities?.vrfy, false);
  assert.equal(result.capabilities?.starttls, false);
  assert.equal(result.tls, null);
  const vrfy = result.census!.find((e) => e.verb === 'VRFY')!;
  assert.equal(vrfy.reply?.code, 502);
  assert.equal(vrfy.support, 'not-implemented');
  assert.ok(result.findings.some((f) => f.id === 'no-starttls'));
});

test('the CLI prints schema-valid JSON and documented exit codes against Postfix', () => {
  const ok = spawnSync(
    process.execPath,
    [CLI, 'caps', pf.vrfyAddr, '--json', '--ca', pf.certFile, '--tls-name', pf.hostname],
    { encoding: 'utf8' },
  );
  assert.equal(ok.status, EXIT.OK, ok.stderr);
  const env = CapsOutputSchema.parse(JSON.parse(ok.stdout));
  assert.equal(env.status, 'ok');
  assert.equal(env.result?.tls?.info?.trusted.ok, true);
  const bad = spawnSync(
    process.execPath,
    [CLI, 'caps', pf.vrfyAddr, '--json', '--tls-verify', '--no-census'],
    { encoding: 'utf8' },
  );
  assert.equal(bad.status, EXIT.TLS, bad.stderr);
  assert.equal(CapsOutputSchema.parse(JSON.parse(bad.stdout)).error?.code, 'TLS_CERT_INVALID');
});
