/**
 * vrfy and expn against real Postfix 3.7 (started by .ci/postfix.sh). Postfix
 * answers VRFY of a known name with 252, not 250, and of an unknown one with
 * 550 5.1.1: the 252 alone says nothing, the difference discloses. It has no
 * EXPN (500), and :2526 has VRFY switched off (502).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { probeExpn, probeVrfy } from '../../src/probes/lookup.js';
import { LookupResultSchema } from '../../src/schema/lookup.js';
import { postfixEnv } from '../support/postfix.js';

const pf = postfixEnv();
const opts = { caFiles: [pf.certFile], helo: 'interop.smtp-probe.test' };
const mailboxSizes = (): number[] =>
  ['alice', 'bob'].map((u) => statSync(join(pf.mailDir, u)).size);

test('VRFY on :2525: 252 for known names, 550 5.1.1 for a made-up one — disclosed by the difference, after STARTTLS', async () => {
  const before = mailboxSizes();
  const { status, result, error } = await probeVrfy(
    pf.vrfyAddr,
    ['alice', `bob@${pf.domain}`, 'zz-nobody'],
    opts,
  );
  assert.equal(status, 'ok', error?.message);
  LookupResultSchema.parse(result);
  assert.equal(result.tls?.outcome, 'ok');
  assert.deepEqual(
    result.items.map((i) => `${i.meaning} ${i.reply?.enhanced}`),
    ['cannot-verify 2.0.0', 'cannot-verify 2.0.0', 'no-such-user 5.1.1'],
  );
  assert.equal(result.discloses, true);
  assert.match(result.disclosure, /252 for 2 name\(s\), 550 for 1/);
  assert.deepEqual(mailboxSizes(), before, 'VRFY delivers nothing');
});

test('VRFY of known names only: the made-up control name gets 550, so the 252s still disclose', async () => {
  const { result } = await probeVrfy(pf.vrfyAddr, ['alice', 'bob'], opts);
  assert.deepEqual(
    result.items.map((i) => i.meaning),
    ['cannot-verify', 'cannot-verify'],
  );
  assert.equal(result.control?.meaning, 'no-such-user');
  assert.equal(result.discloses, true);
});

test('EXPN: Postfix has none (500); VRFY on :2526 is switched off (502)', async () => {
  const expn = await probeExpn(pf.vrfyAddr, ['staff'], opts);
  assert.deepEqual(
    expn.result.items.map((i) => `${i.meaning} ${i.reply?.code}`),
    ['not-implemented 500'],
  );
  const off = await probeVrfy(pf.noVrfyAddr, ['alice'], opts);
  assert.deepEqual(
    off.result.items.map((i) => `${i.meaning} ${i.reply?.code}`),
    ['not-implemented 502'],
  );
  assert.equal(off.result.discloses, false);
});
