/** What VRFY/EXPN replies mean, table-driven with the forms RFC 5321 gives and real servers send; and the disclosure finding. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyLookup,
  disclosure,
  expnMembers,
  forwardPath,
  interpretLookup,
  parseMailboxText,
  type Interpretation,
  type LookupMeaning,
  type LookupVerb,
} from '../../src/smtp/lookup-meaning.js';
import { ReplyAssembler, type Reply } from '../../src/smtp/reply.js';

const reply = (...lines: string[]): Reply => {
  const a = new ReplyAssembler();
  let r: Reply | undefined;
  for (const l of lines) r = a.push(l);
  if (!r) throw new Error('incomplete reply');
  return r;
};

describe('interpretLookup: meaning from code and enhanced code, mailboxes from the text', () => {
  const cases: [string, LookupVerb, string[], Interpretation][] = [
    [
      '250 with a name: exists, and the mailbox',
      'VRFY',
      ['250 2.1.5 Alice Example <alice@x.test>'],
      { meaning: 'exists', mailbox: { name: 'Alice Example', address: 'alice@x.test' } },
    ],
    [
      '250 without an enhanced code (RFC 821 §3.3)',
      'VRFY',
      ['250 Fred Smith <Smith@USC-ISIF.ARPA>'],
      { meaning: 'exists', mailbox: { name: 'Fred Smith', address: 'Smith@USC-ISIF.ARPA' } },
    ],
    [
      '250 with a bare address',
      'VRFY',
      ['250 2.1.5 bob@x.test'],
      { meaning: 'exists', mailbox: { address: 'bob@x.test' } },
    ],
    [
      '250 with a quoted name',
      'VRFY',
      ['250 2.1.5 "Smith, Joe" <joe@x.test>'],
      { meaning: 'exists', mailbox: { name: 'Smith, Joe', address: 'joe@x.test' } },
    ],
    [
      '251: will forward, and the forward path',
      'VRFY',
      ['251 2.1.5 User not local; will forward to <smith@other.test>'],
      { meaning: 'will-forward', forwardPath: 'smith@other.test' },
    ],
    [
      '252: cannot verify — NOT exists, and no mailbox is read from it',
      'VRFY',
      ['252 2.0.0 alice@x.test'],
      { meaning: 'cannot-verify' },
    ],
    ['252 Postfix style (bare user)', 'VRFY', ['252 2.0.0 alice'], { meaning: 'cannot-verify' }],
    [
      '550 5.1.1: no such user',
      'VRFY',
      [
        '550 5.1.1 <nobody@x.test>: Recipient address rejected: User unknown in local recipient table',
      ],
      { meaning: 'no-such-user' },
    ],
    [
      '550 without an enhanced code',
      'VRFY',
      ['550 String does not match anything.'],
      { meaning: 'no-such-user' },
    ],
    [
      '551: not local, with the path to try',
      'VRFY',
      ['551 5.1.6 User not local; please try <jones@other.test>'],
      { meaning: 'not-local', forwardPath: 'jones@other.test' },
    ],
    ['553 single line: ambiguous', 'VRFY', ['553 User ambiguous.'], { meaning: 'ambiguous' }],
    [
      '553 multi-line with the candidates (RFC 5321 §3.5.2)',
      'VRFY',
      [
        '553-5.1.4 Ambiguous; Possibilities are',
        '553-5.1.4 Joe Smith <jsmith@foo-bar.test>',
        '553-5.1.4 Harry Smith <hsmith@foo-bar.test>',
        '553 5.1.4 Melvin Smith <dweep@foo-bar.test>',
      ],
      {
        meaning: 'ambiguous',
        candidates: [
          { name: 'Joe Smith', address: 'jsmith@foo-bar.test' },
          { name: 'Harry Smith', address: 'hsmith@foo-bar.test' },
          { name: 'Melvin Smith', address: 'dweep@foo-bar.test' },
        ],
      },
    ],
    [
      '553 5.1.3 is a syntax complaint, not ambiguity',
      'VRFY',
      ['553 5.1.3 Bad recipient address syntax'],
      { meaning: 'other' },
    ],
    [
      '500: not implemented (Postfix has no EXPN)',
      'EXPN',
      ['500 5.5.2 Error: command not recognized'],
      { meaning: 'not-implemented' },
    ],
    [
      '502: not implemented or switched off (Postfix disable_vrfy_command)',
      'VRFY',
      ['502 5.5.1 VRFY command is disabled'],
      { meaning: 'not-implemented' },
    ],
    [
      '502 without an enhanced code',
      'EXPN',
      ['502 Command not implemented'],
      { meaning: 'not-implemented' },
    ],
    [
      '530: authentication required is policy',
      'VRFY',
      ['530 5.7.0 Authentication required'],
      { meaning: 'disabled' },
    ],
    [
      '550 5.7.1: policy, which says nothing about the name',
      'VRFY',
      ['550 5.7.1 VRFY denied by policy'],
      { meaning: 'disabled' },
    ],
    [
      '502 5.7.0: X.7.X wins over the code',
      'EXPN',
      ['502 5.7.0 EXPN not allowed for unauthenticated clients'],
      { meaning: 'disabled' },
    ],
    [
      '450: temporary',
      'VRFY',
      ['450 4.1.1 <a@x.test>: Recipient address rejected: unverified address'],
      { meaning: 'temporary' },
    ],
    ['451: temporary', 'VRFY', ['451 4.3.0 Local lookup failure'], { meaning: 'temporary' }],
    [
      '421: the server is closing, whatever its enhanced code',
      'VRFY',
      ['421 4.7.0 mx.test Error: too many errors'],
      { meaning: 'server-closing' },
    ],
    [
      '501: a syntax error is none of the RFC 5321 answers',
      'VRFY',
      ['501 5.5.4 Syntax: VRFY address'],
      { meaning: 'other' },
    ],
    ['503: bad sequence', 'EXPN', ['503 5.5.1 Error: send HELO/EHLO first'], { meaning: 'other' }],
    // EXPN (RFC 5321 §4.3.2 lists no 553 for it): 553 is "mailbox name not allowed" (§4.2.2),
    // i.e. no such list, unless it lists possibilities the way an ambiguity reply does.
    [
      'EXPN of a missing list, Exim: 553 is not found',
      'EXPN',
      ['553 5.1.1 <staff>... is undeliverable'],
      { meaning: 'no-such-user' },
    ],
    [
      'EXPN of a missing list without an enhanced code',
      'EXPN',
      ['553 staff@x.test is undeliverable'],
      { meaning: 'no-such-user' },
    ],
    [
      'EXPN of a missing list answered 550',
      'EXPN',
      ['550 5.1.1 <staff>... is undeliverable'],
      { meaning: 'no-such-user' },
    ],
    [
      'EXPN: a multi-line 553 naming the one list asked about twice is no list of possibilities',
      'EXPN',
      ['553-5.1.1 <staff@x.test>... is undeliverable', '553 5.1.1 <staff@x.test>: no such alias'],
      { meaning: 'no-such-user' },
    ],
    [
      'EXPN: a multi-line 553 listing possibilities stays ambiguous, with the candidates',
      'EXPN',
      ['553-Ambiguous; Possibilities', '553- <staff-a@x.test>', '553 <staff-b@x.test>'],
      {
        meaning: 'ambiguous',
        candidates: [{ address: 'staff-a@x.test' }, { address: 'staff-b@x.test' }],
      },
    ],
    [
      'EXPN: 553 with X.1.4 stays ambiguous',
      'EXPN',
      ['553 5.1.4 Ambiguous list name'],
      { meaning: 'ambiguous' },
    ],
    [
      'EXPN: 550 with X.1.4 is ambiguous',
      'EXPN',
      ['550 5.1.4 Ambiguous'],
      { meaning: 'ambiguous' },
    ],
    [
      'EXPN: 553 5.1.3 is still a syntax complaint',
      'EXPN',
      ['553 5.1.3 Bad list name syntax'],
      { meaning: 'other' },
    ],
    [
      'EXPN: 553 5.7.1 is still policy',
      'EXPN',
      ['553 5.7.1 EXPN not allowed'],
      { meaning: 'disabled' },
    ],
    [
      'VRFY keeps 553 as the ambiguity reply (RFC 5321 §3.5.1), whatever the text',
      'VRFY',
      ['553 5.1.1 <staff>... is undeliverable'],
      { meaning: 'ambiguous', candidates: [{ address: 'staff' }] },
    ],
  ];
  for (const [name, verb, lines, expected] of cases) {
    test(name, () => assert.deepEqual(interpretLookup(verb, reply(...lines)), expected));
  }

  test('classifyLookup without a verb reads 553 by the VRFY rules', () => {
    const r = reply('553 5.1.1 <staff>... is undeliverable');
    assert.equal(classifyLookup(r), 'ambiguous');
    assert.equal(classifyLookup(r, 'VRFY'), 'ambiguous');
    assert.equal(classifyLookup(r, 'EXPN'), 'no-such-user');
  });

  test('the English text never changes the meaning', () => {
    assert.equal(classifyLookup(reply('250 2.1.5 User unknown')), 'exists');
    assert.equal(classifyLookup(reply('550 5.1.1 Ok, alice exists')), 'no-such-user');
    assert.equal(classifyLookup(reply('252 2.0.0 User exists')), 'cannot-verify');
  });
});

describe('EXPN members', () => {
  test('a multi-line 250 with names and the enhanced code on every line', () => {
    const r = reply(
      '250-2.1.5 Alice Example <alice@x.test>',
      '250-2.1.5 Bob Example <bob@x.test>',
      '250 2.1.5 <carol@x.test>',
    );
    assert.deepEqual(interpretLookup('EXPN', r), {
      meaning: 'exists',
      members: [
        { name: 'Alice Example', address: 'alice@x.test' },
        { name: 'Bob Example', address: 'bob@x.test' },
        { address: 'carol@x.test' },
      ],
    });
  });

  test('without names and without enhanced codes (RFC 821 §3.3)', () => {
    const r = reply('250-<Jon@ISIF.ARPA>', '250-<Fred@USC-ISIQ.ARPA>', '250 <Sam@USC-ISIF.ARPA>');
    assert.deepEqual(expnMembers(r), [
      { address: 'Jon@ISIF.ARPA' },
      { address: 'Fred@USC-ISIQ.ARPA' },
      { address: 'Sam@USC-ISIF.ARPA' },
    ]);
  });

  test('bare addresses, and a line that names no mailbox is kept as sent, not dropped', () => {
    const r = reply(
      '250-2.1.5 alice@x.test (Alice Example)',
      '250-2.1.5 bob@x.test',
      '250 2.1.5 "|/usr/bin/vacation alice"',
    );
    assert.deepEqual(expnMembers(r), [
      { name: 'Alice Example', address: 'alice@x.test' },
      { address: 'bob@x.test' },
      { address: '"|/usr/bin/vacation alice"' },
    ]);
  });

  test('an enhanced code is only stripped when it agrees with the reply class', () => {
    assert.deepEqual(expnMembers(reply('250 5.1.1 <a@x.test>')), [
      { name: '5.1.1', address: 'a@x.test' },
    ]);
  });

  test('a 250 to VRFY keeps one mailbox; EXPN of one user lists it as the only member', () => {
    const r = reply('250 2.1.5 Alice Example <alice@x.test>');
    assert.deepEqual(interpretLookup('EXPN', r).members, [
      { name: 'Alice Example', address: 'alice@x.test' },
    ]);
    assert.equal(interpretLookup('VRFY', r).members, undefined);
  });
});

describe('mailbox text', () => {
  const cases: [string, ReturnType<typeof parseMailboxText>][] = [
    ['Alice Example <alice@x.test>', { name: 'Alice Example', address: 'alice@x.test' }],
    ['<alice@x.test>', { address: 'alice@x.test' }],
    ['alice@x.test', { address: 'alice@x.test' }],
    ['alice@x.test.', { address: 'alice@x.test' }],
    ['Ambiguous; Possibilities are', undefined],
    ['Ok', undefined],
    ['<>', undefined],
  ];
  for (const [text, expected] of cases)
    test(JSON.stringify(text), () => assert.deepEqual(parseMailboxText(text), expected));

  test('a forward path without angle brackets', () => {
    assert.equal(
      forwardPath(reply('251 User not local; will forward to smith@other.test.')),
      'smith@other.test',
    );
    assert.equal(forwardPath(reply('551 User not local')), undefined);
  });
});

describe('disclosure', () => {
  const answers = (
    verb: LookupVerb,
    ...codes: string[]
  ): { meaning: LookupMeaning; reply?: Reply }[] =>
    codes.map((c) =>
      c === '-'
        ? { meaning: 'not-asked' as const }
        : { meaning: classifyLookup(reply(c), verb), reply: reply(c) },
    );
  const cases: [string, LookupVerb, string[], string | undefined, boolean | null, RegExp][] = [
    [
      'some found',
      'VRFY',
      ['250 2.1.5 <a@x.test>', '550 5.1.1 no'],
      undefined,
      true,
      /^VRFY discloses mailboxes: 1 of 2 found, 1 unknown \(550\)$/,
    ],
    [
      'EXPN members',
      'EXPN',
      ['250 2.1.5 <a@x.test>'],
      undefined,
      true,
      /^EXPN discloses lists and their members/,
    ],
    [
      'Postfix: 252 for known names, 550 for the rest',
      'VRFY',
      ['252 2.0.0 alice', '550 5.1.1 nobody'],
      undefined,
      true,
      /252 for 1 name\(s\), 550 for 1 — the 252s are the names it knows/,
    ],
    [
      'only unknown names still show a lookup',
      'VRFY',
      ['550 5.1.1 a', '550 5.1.1 b'],
      undefined,
      true,
      /looks names up: none of these exists \(550\)/,
    ],
    [
      '252 to everything, the made-up name included',
      'VRFY',
      ['252 2.0.0 a', '252 2.0.0 b'],
      '252 2.0.0 c',
      false,
      /^VRFY gives nothing away \(252 to everything, a made-up name included\)$/,
    ],
    [
      '252 to the names asked, 550 to the made-up one',
      'VRFY',
      ['252 2.0.0 a'],
      '550 5.1.1 c',
      true,
      /252 for these names but 550 for a made-up one/,
    ],
    [
      '252 with no control to compare',
      'VRFY',
      ['252 2.0.0 a'],
      undefined,
      null,
      /may still be a lookup/,
    ],
    [
      '502 to everything',
      'VRFY',
      ['502 5.5.1 VRFY command is disabled'],
      undefined,
      false,
      /gives nothing away: not implemented or switched off \(502\)/,
    ],
    [
      '500 and 502 together',
      'EXPN',
      ['500 5.5.2 no', '502 5.5.1 no'],
      undefined,
      false,
      /\(500\/502\)/,
    ],
    [
      'policy',
      'VRFY',
      ['530 5.7.0 Authentication required'],
      undefined,
      false,
      /refused by policy \(530\)/,
    ],
    [
      'only temporary answers',
      'VRFY',
      ['451 4.3.0 a', '421 4.7.0 b'],
      undefined,
      null,
      /no usable answer \(1 temporary, 1 server-closing\)/,
    ],
    ['nothing answered', 'VRFY', ['-', '-'], undefined, null, /no answer to judge by/],
    [
      'EXPN of missing lists (Exim 553): not found, not a disclosed list',
      'EXPN',
      ['553 5.1.1 <staff>... is undeliverable', '553 5.1.1 <all>... is undeliverable'],
      undefined,
      true,
      /^EXPN looks names up: none of these exists \(553\), so names can be enumerated$/,
    ],
    [
      'EXPN: one list expanded, one missing (550 and 553)',
      'EXPN',
      ['250 2.1.5 <a@x.test>', '553 5.1.1 <staff>...', '550 5.1.1 nope'],
      undefined,
      true,
      /^EXPN discloses lists and their members: 1 of 3 found, 2 unknown \(553\/550\)$/,
    ],
    [
      'EXPN: 252 to the names asked, Exim 553 to the made-up one',
      'EXPN',
      ['252 2.0.0 staff'],
      '553 5.1.1 <xq7z>... is undeliverable',
      true,
      /^EXPN discloses lists: 252 for these names but 553 for a made-up one/,
    ],
    [
      'not-asked items do not count',
      'VRFY',
      ['252 2.0.0 a', '-'],
      '252 2.0.0 x',
      false,
      /252 to everything/,
    ],
  ];
  for (const [name, verb, codes, control, discloses, text] of cases) {
    test(name, () => {
      const d = disclosure(verb, answers(verb, ...codes), control ? reply(control) : undefined);
      assert.equal(d.discloses, discloses, d.text);
      assert.match(d.text, text);
    });
  }

  test('EXPN: possibilities listed in a multi-line 553 are names disclosed', () => {
    const r = reply('553-Ambiguous; Possibilities', '553- <a@x.test>', '553 <b@x.test>');
    const d = disclosure('EXPN', [{ meaning: classifyLookup(r, 'EXPN'), reply: r }]);
    assert.equal(d.discloses, true, d.text);
    assert.match(d.text, /^EXPN discloses lists and their members: 1 of 1 found$/);
  });

  test('a meaning classified without the verb is read again: an EXPN 553 is no list found', () => {
    const r = reply('553 5.1.1 <staff>... is undeliverable');
    const d = disclosure('EXPN', [{ meaning: 'ambiguous', reply: r }]);
    assert.doesNotMatch(d.text, /found/);
    assert.match(d.text, /none of these exists \(553\)/);
  });
});
