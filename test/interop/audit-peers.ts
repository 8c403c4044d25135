/**
 * `audit` against CI's real Postfix 3.7 and Exim 4.96 (.ci/postfix.sh, .ci/exim.sh): the
 * exposure verdicts those servers really earn, every relay variant refused, and not a byte
 * delivered — Postfix's mailbox files are exactly as they were.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { runAudit } from '../../src/probes/audit.js';
import { AuditAddressSchema, type AuditAddress } from '../../src/schema/audit.js';
import { eximEnv } from '../support/exim.js';
import { postfixEnv } from '../support/postfix.js';

const pf = postfixEnv();
const ex = eximEnv();
const mailboxSizes = (): number[] =>
  ['alice', 'bob'].map((u) => statSync(join(pf.mailDir, u)).size);

test('audit of Postfix (VRFY on and off) and Exim (defaults, and VRFY/EXPN open): the verdicts each earns, nothing delivered', async () => {
  const before = mailboxSizes();
  const addresses = new Map<string, AuditAddress>();
  const outcome = await runAudit(
    [pf.vrfyAddr, pf.noVrfyAddr, ex.addr, ex.vrfyAddr].map((text) => ({ text })),
    {
      caFiles: [pf.certFile, ex.certFile],
      helo: 'interop.smtp-probe.test',
      onAddress: (a) => addresses.set(a.key, AuditAddressSchema.parse(a)),
    },
  );
  assert.equal(outcome.status, 'ok', outcome.error?.message);
  const at = (key: string): AuditAddress => {
    const a = addresses.get(key);
    assert.ok(a, `${key} was probed`);
    assert.equal(a.status, 'ok', a.error?.message);
    return a;
  };

  // Postfix answers VRFY with 252 for a user and 550 5.1.1 for anyone else: that difference discloses.
  const pfOpen = at(pf.vrfyAddr);
  assert.equal(pfOpen.vrfy?.exposure, 'discloses');
  assert.deepEqual(
    pfOpen.vrfy?.evidence.map((e) => e.reply.code),
    [252, 550],
  );
  assert.equal(pfOpen.expn?.exposure, 'not-implemented', 'Postfix has no EXPN (500)');
  assert.equal(pfOpen.tls?.outcome, 'ok');
  assert.ok(pfOpen.findings.some((f) => f.id === 'vrfy-discloses'));

  const pfOff = at(pf.noVrfyAddr);
  assert.equal(pfOff.vrfy?.exposure, 'disabled');
  assert.equal(pfOff.tls?.outcome, 'not-offered');
  assert.ok(pfOff.findings.some((f) => f.id === 'no-starttls'));

  // Debian's Exim without VRFY/EXPN ACLs: "252 Administrative prohibition" to every VRFY, 550 to EXPN.
  const exDefault = at(ex.addr);
  assert.equal(exDefault.vrfy?.exposure, 'blanket-252');
  assert.notEqual(exDefault.expn?.exposure, 'discloses');

  const exOpen = at(ex.vrfyAddr);
  assert.equal(exOpen.expn?.exposure, 'discloses');
  const staff = exOpen.expn?.lists.find((l) => l.list === 'staff');
  assert.deepEqual(staff?.members.map((m) => m.replace(/@.*/, '')).sort(), ['alice', 'bob']);
  assert.ok(exOpen.findings.some((f) => f.id === 'expn-discloses'));

  for (const a of addresses.values()) {
    assert.equal(a.relay?.verdict, 'closed', `${a.key} relays nothing`);
    assert.ok(a.relay!.trials.length >= 10, `${a.key}: every variant tried`);
    assert.ok(!a.findings.some((f) => f.id === 'open-relay'));
  }
  assert.equal(outcome.result.counts.openRelay, 0);
  assert.equal(
    outcome.result.counts.exposesVrfy,
    1 + (exOpen.vrfy?.exposure === 'discloses' ? 1 : 0),
  );
  assert.deepEqual(mailboxSizes(), before, 'no mail was delivered');
});
