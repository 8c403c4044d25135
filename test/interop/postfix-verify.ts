/**
 * verify against real Postfix through real DNS: dnsmasq's postfix.dnsmasq.test
 * has its MX at the Postfix on 127.0.0.1:2525, which takes mail for that
 * domain (alice, bob, staff exist; anyone else is 550 5.1.1 at RCPT).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { probeVerify } from '../../src/probes/verify.js';
import { dnsmasqEnv } from '../support/dnsmasq.js';
import { postfixEnv } from '../support/postfix.js';

const dns = dnsmasqEnv();
const pf = postfixEnv();
const domain = `postfix.${dns.zone}`;
const opts = {
  resolvers: [dns.addr],
  port: Number(pf.vrfyAddr.split(':')[1]),
  caFiles: [pf.certFile],
};
const mailboxSizes = (): number[] =>
  ['alice', 'bob'].map((u) => statSync(join(pf.mailDir, u)).size);

test('real users are deliverable, unknown ones undeliverable (5.1.1), nothing is delivered', async () => {
  const before = mailboxSizes();
  const { status, result } = await probeVerify(
    [`alice@${domain}`, `nobody@${domain}`, `bob@${domain}`, `staff@${domain}`],
    opts,
  );
  assert.equal(status, 'ok');
  assert.deepEqual(
    result.addresses.map((a) => [a.verdict, a.reason]),
    [
      ['deliverable', 'accepted'],
      ['undeliverable', 'bad-mailbox'],
      ['deliverable', 'accepted'],
      ['deliverable', 'accepted'],
    ],
  );
  assert.equal(result.addresses[1]!.evidence[0]!.reply.enhanced, '5.1.1');
  const d = result.domains[0]!;
  assert.deepEqual(
    [d.catchAll, d.pipelining, d.tls?.startsWith('TLSv1') ?? false, d.sessions],
    ['no', true, true, 1],
  );
  assert.equal(d.rcptBatches, 1, 'MAIL and all RCPTs in one pipelined group');
  assert.deepEqual(mailboxSizes(), before, 'verify must never deliver mail');
});

test("many unknown users: Postfix's error limits are never bet on (its banner names it), sessions stay under them, every address gets one verdict", async () => {
  const unknown = Array.from({ length: 30 }, (_, i) => `ghost${i}@${domain}`);
  const { result } = await probeVerify([...unknown, `alice@${domain}`], opts);
  assert.equal(result.addresses.length, 31);
  assert.deepEqual(
    new Set(result.addresses.slice(0, 30).map((a) => a.reason)),
    new Set(['bad-mailbox']),
  );
  assert.equal(result.addresses[30]!.verdict, 'deliverable');
  const d = result.domains[0]!;
  // Stock Postfix always punishes past smtpd_soft_error_limit and its banner says Postfix: the test
  // past the budget is not worth a second here, so every session stays at 9 and none is slowed.
  assert.equal(d.throttled, false, d.notes.join('; '));
  assert.equal(d.maxErrorsPerSession, 9);
  // 30 unknown and the catch-all test: 31 rejections at 9 a session.
  assert.equal(d.sessions, 4, `${d.sessions} sessions`);
  assert.ok(
    d.notes.some((n) => /was not tested: .* less than a slowdown risks \(20000 ms\)/.test(n)),
    d.notes.join('; '),
  );
  assert.ok(
    !d.notes.some((n) => /421|too many errors|CONNECTION_CLOSED/.test(n)),
    d.notes.join('; '),
  );
});
