/** Verb census classification from real-world replies (Postfix, Exchange, Sendmail, Exim). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  CENSUS_VERBS,
  censusArgument,
  classifySupport,
  classifyVerifyPair,
  countsTowardDrop,
  DROP_LIMIT,
  MAX_CENSUS_SESSIONS,
  mayAsk,
  opensTransaction,
  type CensusVerb,
  type Support,
} from '../../src/smtp/census.js';
import { ReplyAssembler, type Reply } from '../../src/smtp/reply.js';

/** reply: a Reply parsed from wire lines, so enhanced codes are found as in a session. */
function reply(...wire: string[]): Reply {
  const a = new ReplyAssembler();
  let r: Reply | undefined;
  for (const l of wire) r = a.push(l);
  assert.ok(r, 'incomplete reply');
  return r;
}

describe('classifySupport', () => {
  const cases: { verb: CensusVerb; wire: string; want: Support }[] = [
    { verb: 'NOOP', wire: '250 2.0.0 Ok', want: 'implemented' },
    { verb: 'HELP', wire: '214 2.0.0 This is sendmail', want: 'implemented' },
    { verb: 'HELP', wire: '502 5.5.2 Error: command not recognized', want: 'not-implemented' },
    { verb: 'EXPN', wire: '500 5.5.2 Error: command not recognized', want: 'not-implemented' },
    { verb: 'VRFY', wire: '502 5.5.1 VRFY command is disabled', want: 'not-implemented' },
    { verb: 'VERB', wire: '504 5.5.1 Command parameter not implemented', want: 'not-implemented' },
    {
      verb: 'VRFY',
      wire: '550 5.1.1 <postmaster>: Recipient address rejected: User unknown in local recipient table',
      want: 'disabled',
    },
    { verb: 'EXPN', wire: '553 5.3.0 expn postmaster... not allowed', want: 'disabled' },
    { verb: 'VRFY', wire: '530 5.7.0 Must issue a STARTTLS command first', want: 'disabled' },
    { verb: 'VRFY', wire: '530 Authentication required', want: 'disabled' },
    { verb: 'EXPN', wire: '550 5.7.1 EXPN not available', want: 'disabled' },
    { verb: 'SEND', wire: '554 5.7.1 Access denied', want: 'disabled' },
    { verb: 'TURN', wire: '250 OK', want: 'implemented' },
    { verb: 'SEND', wire: '501 5.5.4 Syntax: SEND FROM:<address>', want: 'implemented' },
    { verb: 'SOML', wire: '503 5.5.1 Error: nested MAIL command', want: 'implemented' },
    {
      verb: 'ETRN',
      wire: '458 Unable to queue messages for node smtp-probe.invalid',
      want: 'implemented',
    },
    {
      verb: 'ETRN',
      wire: '459 4.3.0 <smtp-probe.invalid>: service unavailable',
      want: 'implemented',
    },
    { verb: 'ETRN', wire: '250 Queuing for node smtp-probe.invalid started', want: 'implemented' },
    {
      verb: 'NOOP',
      wire: '421 4.3.2 Service shutting down, closing transmission channel',
      want: 'unknown',
    },
    { verb: 'VRFY', wire: '421 4.7.0 mx.example.com Error: too many errors', want: 'unknown' },
    { verb: 'VRFY', wire: '450 4.7.1 Client host rejected: try again later', want: 'disabled' },
    { verb: 'VRFY', wire: '451 4.3.0 Temporary lookup failure', want: 'unknown' },
    { verb: 'RSET', wire: '250 2.0.0 Ok', want: 'implemented' },
  ];
  for (const c of cases) {
    test(`${c.verb} → ${c.wire} is ${c.want}`, () =>
      assert.equal(classifySupport(c.verb, reply(c.wire)), c.want));
  }

  test('the reply text is never read: same code, different words, same class', () => {
    assert.equal(
      classifySupport('HELP', reply('502 nope')),
      classifySupport('HELP', reply('502 5.5.1 VRFY command is disabled')),
    );
  });
});

describe('classifyVerifyPair', () => {
  const postfix252 = reply('252 2.0.0 postmaster');
  const cases: { name: string; bogus: string; want: Support }[] = [
    {
      name: 'Postfix: made-up name rejected, so lookups are real',
      bogus:
        '550 5.1.1 <smtp-probe-0a1b2c3d4e>: Recipient address rejected: User unknown in local recipient table',
      want: 'implemented',
    },
    {
      name: 'Exchange: 252 to everything is a blanket answer',
      bogus: '252 2.1.5 Cannot VRFY user, but will accept message for <smtp-probe-0a1b2c3d4e>',
      want: 'disabled',
    },
    { name: '551 user not local', bogus: '551 5.1.6 User not local', want: 'implemented' },
    { name: '553 mailbox name not allowed', bogus: '553 5.1.3 bad address', want: 'implemented' },
    { name: 'a temporary failure tells nothing', bogus: '450 4.1.1 try again', want: 'unknown' },
    {
      name: 'a 250 to a name that cannot exist tells nothing either',
      bogus: '250 2.1.5 smtp-probe-0a1b2c3d4e <smtp-probe@example.com>',
      want: 'unknown',
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.equal(classifyVerifyPair(postfix252, reply(c.bogus)), c.want));
  }

  test('needs a 252 to postmaster', () => {
    assert.throws(() =>
      classifyVerifyPair(reply('250 2.1.5 <postmaster@example.com>'), reply('550 5.1.1 no')),
    );
  });
});

describe('census verbs and arguments', () => {
  test('TURN is the last verb, and DATA is never among them', () => {
    assert.equal(CENSUS_VERBS.at(-1), 'TURN');
    assert.ok(!(CENSUS_VERBS as readonly string[]).includes('DATA'));
  });

  test('every argument is harmless and fixed', () => {
    const table: Record<CensusVerb, string | undefined> = {
      NOOP: undefined,
      HELP: undefined,
      VRFY: 'postmaster',
      EXPN: 'postmaster',
      ETRN: 'smtp-probe.invalid',
      VERB: undefined,
      SEND: 'FROM:<>',
      SOML: 'FROM:<>',
      SAML: 'FROM:<>',
      RSET: undefined,
      TURN: undefined,
    };
    for (const verb of CENSUS_VERBS) assert.equal(censusArgument(verb), table[verb], verb);
  });

  test('only SEND, SOML and SAML open a transaction', () => {
    assert.deepEqual(CENSUS_VERBS.filter(opensTransaction), ['SEND', 'SOML', 'SAML']);
  });
});

describe('the drop limit', () => {
  const counts: { wire: string; counts: boolean; why: string }[] = [
    { wire: '500 unrecognized command', counts: true, why: 'Exim: unrecognised' },
    { wire: '500 5.5.1 Command unrecognized: "VERB"', counts: true, why: 'Sendmail: unrecognised' },
    { wire: '501 5.5.4 Syntax: SEND FROM:<address>', counts: true, why: 'syntax error' },
    { wire: '501 x: recipient address must contain a domain', counts: true, why: 'Exim VRFY' },
    { wire: '503 sender not yet given', counts: true, why: 'bad sequence' },
    { wire: '500 5.5.2 Error: command not recognized', counts: true, why: 'Postfix 3.7' },
    { wire: '502 5.5.1 VRFY command is disabled', counts: false, why: 'recognised, switched off' },
    { wire: '502 5.5.2 Error: command not recognized', counts: false, why: 'RFC 5321 §4.2.4 502' },
    { wire: '504 5.5.1 Command parameter not implemented', counts: false, why: 'recognised' },
    { wire: '250 OK', counts: false, why: 'success' },
    { wire: '252 Administrative prohibition', counts: false, why: 'Exim VRFY refused' },
    { wire: '550 Administrative prohibition', counts: false, why: 'Exim EXPN refused' },
    { wire: '458 Administrative prohibition', counts: false, why: 'Exim ETRN refused' },
    { wire: '421 4.7.0 too many errors', counts: false, why: 'closing: the census stops anyway' },
  ];
  for (const c of counts) {
    test(`${c.wire} ${c.counts ? 'counts' : 'does not count'} (${c.why})`, () =>
      assert.equal(countsTowardDrop(reply(c.wire)), c.counts));
  }

  test('two, one below the 3rd that a strict server hangs up at', () =>
    assert.equal(DROP_LIMIT, 2));

  test('in the last session the likely-unrecognised four keep a slot for TURN; before it, none does', () => {
    const last: Record<CensusVerb, [boolean, boolean, boolean]> = {
      NOOP: [true, true, false],
      HELP: [true, true, false],
      VRFY: [true, true, false],
      EXPN: [true, true, false],
      ETRN: [true, true, false],
      VERB: [true, false, false],
      SEND: [true, false, false],
      SOML: [true, false, false],
      SAML: [true, false, false],
      RSET: [true, true, false],
      TURN: [true, true, false],
    };
    for (const verb of CENSUS_VERBS) {
      assert.deepEqual(
        [0, 1, 2].map((n) => mayAsk(verb, n, true)),
        last[verb],
        verb,
      );
      assert.deepEqual(
        [0, 1, 2].map((n) => mayAsk(verb, n, false)),
        [true, true, false],
        verb,
      );
    }
  });

  /** plan: the sessions runCensus would use against a server that answers 500 to `unknown`. */
  function plan(unknown: (v: CensusVerb) => boolean) {
    const sessions: CensusVerb[][] = [[]];
    const notAsked: CensusVerb[] = [];
    let counted = 0;
    for (const verb of CENSUS_VERBS) {
      const last = sessions.length >= MAX_CENSUS_SESSIONS;
      if (!mayAsk(verb, counted, last)) {
        if (last) {
          notAsked.push(verb);
          continue;
        }
        sessions.push([]);
        counted = 0;
      }
      sessions.at(-1)!.push(verb);
      if (unknown(verb)) counted++;
    }
    return { sessions, notAsked };
  }
  const only =
    (...verbs: CensusVerb[]) =>
    (v: CensusVerb) =>
      verbs.includes(v);

  test('Postfix 3.7 (500 to HELP, EXPN, VERB, SEND, SOML, SAML, TURN): the whole census in four sessions', () => {
    const p = plan(only('HELP', 'EXPN', 'VERB', 'SEND', 'SOML', 'SAML', 'TURN'));
    assert.deepEqual(p.notAsked, []);
    assert.deepEqual(p.sessions, [
      ['NOOP', 'HELP', 'VRFY', 'EXPN'],
      ['ETRN', 'VERB', 'SEND'],
      ['SOML', 'SAML'],
      ['RSET', 'TURN'],
    ]);
  });

  test('Exim (500 to VERB, SEND, SOML, SAML, TURN; the VRFY follow-up 501 counts as VRFY here): three sessions', () => {
    const p = plan(only('VRFY', 'VERB', 'SEND', 'SOML', 'SAML', 'TURN'));
    assert.deepEqual(p.notAsked, []);
    assert.deepEqual(p.sessions, [
      ['NOOP', 'HELP', 'VRFY', 'EXPN', 'ETRN', 'VERB'],
      ['SEND', 'SOML'],
      ['SAML', 'RSET', 'TURN'],
    ]);
  });

  test('whatever a server does not know: no session passes the limit, and verbs go unasked only in the last', () => {
    // Every subset of the eleven verbs as the ones the server answers 500 (2^11 servers).
    for (let mask = 0; mask < 1 << CENSUS_VERBS.length; mask++) {
      const unknown = (v: CensusVerb) => (mask & (1 << CENSUS_VERBS.indexOf(v))) !== 0;
      const { sessions, notAsked } = plan(unknown);
      assert.ok(sessions.length <= MAX_CENSUS_SESSIONS, `mask ${mask}`);
      for (const s of sessions)
        assert.ok(s.filter(unknown).length <= DROP_LIMIT, `mask ${mask}: ${s.join(' ')}`);
      assert.deepEqual(
        [...sessions.flat(), ...notAsked].sort(),
        [...CENSUS_VERBS].sort(),
        `mask ${mask}: every verb asked once or not asked`,
      );
      assert.deepEqual(
        sessions.flat(),
        CENSUS_VERBS.filter((v) => !notAsked.includes(v)),
        `mask ${mask}: in order`,
      );
      if (notAsked.length > 0) assert.equal(sessions.length, MAX_CENSUS_SESSIONS, `mask ${mask}`);
      // In the last session the likely-unrecognised four never take the slot TURN needs.
      const lastSession = sessions.at(-1)!;
      const old = lastSession.filter((v) => ['VERB', 'SEND', 'SOML', 'SAML'].includes(v));
      assert.ok(old.filter(unknown).length <= DROP_LIMIT - 1, `mask ${mask}`);
      // A session ends only when full, so up to six unrecognised verbs leave the last session
      // nothing to hold back: the census is whole.
      if (CENSUS_VERBS.filter(unknown).length <= 2 * (MAX_CENSUS_SESSIONS - 1))
        assert.deepEqual(notAsked, [], `mask ${mask}`);
    }
  });
});
