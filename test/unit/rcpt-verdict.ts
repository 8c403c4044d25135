/** What RCPT replies mean for an address: from codes and enhanced codes, table-driven with real servers' replies. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { classifyRcpt, isGreylisting } from '../../src/smtp/rcpt-verdict.js';
import { ReplyAssembler, type Reply } from '../../src/smtp/reply.js';

const reply = (...lines: string[]) => {
  const a = new ReplyAssembler();
  let r: Reply | undefined;
  for (const l of lines) r = a.push(l);
  if (!r) throw new Error('incomplete reply');
  return r;
};

describe('classifyRcpt', () => {
  const cases: [string, string[], string][] = [
    ['Postfix accepts', ['250 2.1.5 Ok'], 'deliverable/accepted/high'],
    [
      'will forward',
      ['251 2.1.5 User not local; will forward to <a@b.example>'],
      'deliverable/will-forward/high',
    ],
    [
      '252 is not "exists"',
      ['252 2.1.5 Cannot verify, will attempt delivery'],
      'risky/cannot-verify/low',
    ],
    [
      'Postfix unknown user',
      ['550 5.1.1 <x@y.test>: Recipient address rejected: User unknown in local recipient table'],
      'undeliverable/bad-mailbox/high',
    ],
    [
      'Exchange unknown user',
      ['550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'],
      'undeliverable/bad-mailbox/medium',
    ],
    [
      'bad domain',
      ['550 5.1.2 <x@nowhere.test>: Recipient address rejected: Domain not found'],
      'undeliverable/bad-domain/high',
    ],
    [
      'disabled mailbox',
      ['550 5.2.1 The email account that you tried to reach is disabled'],
      'undeliverable/mailbox-disabled/high',
    ],
    ['mailbox full, permanent', ['552 5.2.2 Mailbox full'], 'risky/mailbox-full/medium'],
    ['mailbox full, temporary', ['452 4.2.2 Mailbox full'], 'risky/mailbox-full/medium'],
    [
      'relay denied is policy, not the mailbox',
      ['554 5.7.1 <x@other.test>: Relay access denied'],
      'unknown/policy/low',
    ],
    [
      'RBL block',
      ['550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org'],
      'unknown/policy/low',
    ],
    [
      'postgrey',
      [
        '450 4.7.1 <x@y.test>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/y.test.html',
      ],
      'unknown/greylisted/low',
    ],
    [
      'greylisting by words only',
      ['451 Greylisted, please try again in 180 seconds'],
      'unknown/greylisted/low',
    ],
    [
      'other temporary',
      ['450 4.1.1 <x@y.test>: Recipient address rejected: unverified address'],
      'unknown/temporary/low',
    ],
    ['550 without enhanced code', ['550 No such user here'], 'undeliverable/rejected/medium'],
    [
      'multi-line 550 with the code on every line',
      [
        '550-5.1.1 The email account that you tried to reach does not exist.',
        '550 5.1.1 https://support.example/?p=NoSuchUser',
      ],
      'undeliverable/bad-mailbox/high',
    ],
  ];
  for (const [name, lines, expected] of cases) {
    test(name, () => {
      const m = classifyRcpt(reply(...lines));
      assert.equal(m.kind, 'verdict');
      if (m.kind === 'verdict') assert.equal(`${m.verdict}/${m.reason}/${m.confidence}`, expected);
    });
  }

  test('452 4.5.3 asks for a new transaction, 421 for a new session: neither is a verdict', () => {
    assert.equal(
      classifyRcpt(reply('452 4.5.3 Error: too many recipients')).kind,
      'too-many-recipients',
    );
    assert.equal(
      classifyRcpt(reply('421 4.7.0 mx.example Error: too many errors')).kind,
      'closing',
    );
    assert.equal(classifyRcpt(reply('452 4.3.1 Insufficient system storage')).kind, 'verdict');
  });

  test('greylisting is recognised only on 450/451', () => {
    assert.equal(isGreylisting(reply('450 4.7.1 Greylisted')), true);
    assert.equal(isGreylisting(reply('451 4.7.1 Please try again later')), true);
    assert.equal(isGreylisting(reply('550 5.7.1 Greylisted forever')), false);
    assert.equal(isGreylisting(reply('452 4.7.1 whatever')), false);
  });
});
