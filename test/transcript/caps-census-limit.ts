/**
 * The census against servers that hang up on unrecognised commands. A stock
 * Exim drops the session at the 4th ("500 Too many unrecognized commands"); the
 * census lets no session collect more than two replies that count toward that
 * (500, 501, 503): the verb that would risk a third waits for a new session,
 * after QUIT, and in the last allowed session such a verb is `not-asked`.
 * First exact conversations (Exim 4.96 and Postfix 3.7 lines, as the interop
 * tier's servers send them), then servers that count and hang up for real,
 * then the new session's set-up and Ctrl-C over the in-memory network.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { probeCaps, type CapsOptions } from '../../src/probes/caps.js';
import { renderCaps } from '../../src/output/caps-table.js';
import { paint } from '../../src/output/terminal.js';
import { CapsResultSchema, type CapsResult } from '../../src/schema/caps.js';
import {
  CENSUS_VERBS,
  countsTowardDrop,
  DROP_LIMIT,
  MAX_CENSUS_SESSIONS,
} from '../../src/smtp/census.js';
import { makeCert, type TestCert, tempDir } from '../support/certs.js';
import { memoryWorld } from '../support/memory-world.js';
import {
  act,
  close,
  expect,
  scriptedSessions,
  send,
  type Step,
  upgradeTls,
} from '../support/scripted-server.js';
import { ehloOk, greet, HELO_NAME, quit, TIMEOUTS } from '../support/smtp-lines.js';

const VRFY_PROBE = /^VRFY smtp-probe-[0-9a-f]{10}$/;
const POSTFIX_UNKNOWN = '500 5.5.2 Error: command not recognized';
const EXIM_UNKNOWN = '500 unrecognized command';

/** eximHello: Exim 4.96's greeting and EHLO reply as the interop tier's instance sends them (no STARTTLS here). */
const eximHello = (...extra: string[]): Step[] => [
  send('220 mx.exim.test ESMTP Exim 4.96 Tue, 01 Dec 2026 22:03:00 +0000'),
  expect(`EHLO ${HELO_NAME}`),
  send(
    `250-mx.exim.test Hello ${HELO_NAME} [127.0.0.1]`,
    '250-SIZE 52428800',
    '250-8BITMIME',
    ...extra.map((x) => `250-${x}`),
    '250-PIPELINING',
    '250-CHUNKING',
    '250-SMTPUTF8',
    '250 HELP',
  ),
];
const eximQuit = (): Step[] => [
  expect('QUIT'),
  send('221 mx.exim.test closing connection'),
  close(),
];
const postfixHello = (): Step[] => [greet(), ...ehloOk('PIPELINING', 'VRFY', 'ETRN')];

/** converse: probeCaps against scripted sessions; every line it sent must be the scripts', and never DATA. */
async function converse(scripts: Step[][], options: CapsOptions = {}) {
  const server = await scriptedSessions(scripts);
  try {
    const outcome = await probeCaps(server.target, {
      helo: HELO_NAME,
      timeouts: TIMEOUTS,
      ...options,
    });
    await server.finished();
    CapsResultSchema.parse(outcome.result);
    assert.deepEqual(
      outcome.transcript.entries.filter((e) => e.dir === 'send').map((e) => e.line),
      server.received,
    );
    assert.ok(!server.received.some((l) => /^DATA\b/i.test(l)), 'DATA is never sent');
    assert.equal(server.connections, scripts.length);
    const notes = outcome.transcript.entries.filter((e) => e.dir === 'note').map((e) => e.line);
    return { outcome, result: outcome.result, sessions: server.sessions, notes };
  } finally {
    await server.close();
  }
}

const census = (r: CapsResult): [string, string, number | undefined][] =>
  (r.census ?? []).map((e) => [e.verb, e.support, e.reply?.code]);
/** commands: a session's lines without EHLO and QUIT, the random follow-up name masked. */
const commands = (lines: string[]): string[] =>
  lines
    .filter((l) => !/^(EHLO|QUIT)/.test(l))
    .map((l) => (VRFY_PROBE.test(l) ? 'VRFY <made-up>' : l));

describe('census against Exim and Postfix (exact conversations)', () => {
  test('a default Exim 4.96: three sessions of at most two counted replies each, the whole census', async () => {
    const { outcome, result, sessions, notes } = await converse([
      [
        ...eximHello(),
        expect('NOOP'),
        send('250 OK'),
        expect('HELP'),
        send(
          '214-Commands supported:',
          '214 AUTH STARTTLS HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP EXPN VRFY',
        ),
        expect('VRFY postmaster'),
        send('252 Administrative prohibition'),
        // Exim wants a domain on any name but postmaster. It does not count this 501, but it
        // counts other 501s, and the code cannot tell which: the census counts it.
        expect(VRFY_PROBE, (line) => [
          `501 ${line.slice(5)}: recipient address must contain a domain`,
        ]),
        expect('EXPN postmaster'),
        send('550 Administrative prohibition'),
        expect('ETRN smtp-probe.invalid'),
        send('458 Administrative prohibition'),
        expect('VERB'),
        send(EXIM_UNKNOWN),
        ...eximQuit(),
      ],
      [
        ...eximHello(),
        expect('SEND FROM:<>'),
        send(EXIM_UNKNOWN),
        expect('SOML FROM:<>'),
        send(EXIM_UNKNOWN),
        ...eximQuit(),
      ],
      [
        ...eximHello(),
        expect('SAML FROM:<>'),
        send(EXIM_UNKNOWN),
        expect('RSET'),
        send('250 Reset OK'),
        expect('TURN'),
        send(EXIM_UNKNOWN),
        ...eximQuit(),
      ],
    ]);
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(outcome.error, undefined);
    assert.deepEqual(sessions.map(commands), [
      [
        'NOOP',
        'HELP',
        'VRFY postmaster',
        'VRFY <made-up>',
        'EXPN postmaster',
        'ETRN smtp-probe.invalid',
        'VERB',
      ],
      ['SEND FROM:<>', 'SOML FROM:<>'],
      ['SAML FROM:<>', 'RSET', 'TURN'],
    ]);
    for (const lines of sessions) assert.equal(lines.at(-1), 'QUIT');
    assert.deepEqual(census(result), [
      ['NOOP', 'implemented', 250],
      ['HELP', 'implemented', 214],
      ['VRFY', 'unknown', 252],
      ['EXPN', 'disabled', 550],
      ['ETRN', 'implemented', 458],
      ['VERB', 'not-implemented', 500],
      ['SEND', 'not-implemented', 500],
      ['SOML', 'not-implemented', 500],
      ['SAML', 'not-implemented', 500],
      ['RSET', 'implemented', 250],
      ['TURN', 'not-implemented', 500],
    ]);
    assert.equal(result.census!.find((e) => e.verb === 'VRFY')!.probe?.reply.code, 501);
    assert.deepEqual(
      notes.filter((n) => n.startsWith('census:')),
      [
        'census: 2 replies in this session that a server may count toward hanging up; QUIT, and a new session for SEND SOML SAML RSET TURN',
        'census: 2 replies in this session that a server may count toward hanging up; QUIT, and a new session for SAML RSET TURN',
      ],
    );
    // What the result says about the server is the first session's.
    assert.equal(result.banner?.hostname, 'mx.exim.test');
    assert.deepEqual(
      result.attempts.map((a) => a.status),
      ['ok'],
    );
    assert.equal(typeof result.timings.quit, 'number', 'the last session is QUIT by caps');
    assert.deepEqual(
      result.findings.map((f) => f.id),
      ['no-starttls'],
    );
  });

  test('Postfix 3.7 (500 5.5.2 to the seven verbs it lacks, no hang-up count): the whole census in four sessions', async () => {
    const { outcome, result, sessions } = await converse([
      [
        ...postfixHello(),
        expect('NOOP'),
        send('250 2.0.0 Ok'),
        expect('HELP'),
        send(POSTFIX_UNKNOWN),
        expect('VRFY postmaster'),
        send('252 2.0.0 postmaster'),
        expect(VRFY_PROBE, (line) => [
          `550 5.1.1 <${line.slice(5)}>: Recipient address rejected: User unknown in local recipient table`,
        ]),
        expect('EXPN postmaster'),
        send(POSTFIX_UNKNOWN),
        ...quit(),
      ],
      [
        ...postfixHello(),
        expect('ETRN smtp-probe.invalid'),
        send('459 <smtp-probe.invalid>: service unavailable'),
        expect('VERB'),
        send(POSTFIX_UNKNOWN),
        expect('SEND FROM:<>'),
        send(POSTFIX_UNKNOWN),
        ...quit(),
      ],
      [
        ...postfixHello(),
        expect('SOML FROM:<>'),
        send(POSTFIX_UNKNOWN),
        expect('SAML FROM:<>'),
        send(POSTFIX_UNKNOWN),
        ...quit(),
      ],
      [
        ...postfixHello(),
        expect('RSET'),
        send('250 2.0.0 Ok'),
        expect('TURN'),
        send(POSTFIX_UNKNOWN),
        ...quit(),
      ],
    ]);
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(sessions.length, MAX_CENSUS_SESSIONS);
    assert.deepEqual(census(result), [
      ['NOOP', 'implemented', 250],
      ['HELP', 'not-implemented', 500],
      ['VRFY', 'implemented', 252],
      ['EXPN', 'not-implemented', 500],
      ['ETRN', 'implemented', 459],
      ['VERB', 'not-implemented', 500],
      ['SEND', 'not-implemented', 500],
      ['SOML', 'not-implemented', 500],
      ['SAML', 'not-implemented', 500],
      ['RSET', 'implemented', 250],
      ['TURN', 'not-implemented', 500],
    ]);
  });

  test('a server that knows nothing: the last session holds back SOML and SAML; RSET takes the slot kept, so TURN is not asked', async () => {
    const everyUnknown = (...verbs: string[]): Step[] =>
      verbs.flatMap((line) => [expect(line), send(EXIM_UNKNOWN)]);
    const { outcome, result, sessions } = await converse([
      [...eximHello(), ...everyUnknown('NOOP', 'HELP'), ...eximQuit()],
      [...eximHello(), ...everyUnknown('VRFY postmaster', 'EXPN postmaster'), ...eximQuit()],
      [...eximHello(), ...everyUnknown('ETRN smtp-probe.invalid', 'VERB'), ...eximQuit()],
      [...eximHello(), ...everyUnknown('SEND FROM:<>', 'RSET'), ...eximQuit()],
    ]);
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(sessions.length, MAX_CENSUS_SESSIONS);
    assert.deepEqual(
      result.census!.filter((e) => e.support === 'not-asked').map((e) => [e.verb, e.command]),
      [
        ['SOML', 'SOML FROM:<>'],
        ['SAML', 'SAML FROM:<>'],
        ['TURN', 'TURN'],
      ],
    );
    assert.ok(result.census!.every((e) => (e.support === 'not-asked') === (e.reply === undefined)));

    // The table shows the held-back verbs without a line or reply that never existed.
    const text = renderCaps(result, { paint: paint(false), color: false });
    const rows = text.split('\n').filter((l) => /│ (SOML|SAML|TURN) /.test(l));
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.match(row, /│ — +│ not-asked +│ held back/);
      assert.doesNotMatch(row, /undefined|FROM:<>/);
    }
  });

  test('a new session that cannot be had: the verbs left are not asked, status ok, the reason noted', async () => {
    const { outcome, result, sessions, notes } = await converse([
      [
        ...eximHello(),
        expect('NOOP'),
        send('250 OK'),
        expect('HELP'),
        send(EXIM_UNKNOWN),
        expect('VRFY postmaster'),
        send('250 <postmaster@exim.test> is deliverable'),
        expect('EXPN postmaster'),
        send(EXIM_UNKNOWN),
        ...eximQuit(),
      ],
      [send('421 mx.exim.test too many connections from your host'), expect('QUIT'), close()],
    ]);
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.deepEqual(sessions[1], ['QUIT']);
    assert.deepEqual(
      result.census!.filter((e) => e.support === 'not-asked').map((e) => e.verb),
      ['ETRN', 'VERB', 'SEND', 'SOML', 'SAML', 'RSET', 'TURN'],
    );
    assert.ok(
      notes.some((n) => /^census: a new session to 127\.0\.0\.1:\d+ failed: .*421/.test(n)),
    );
    assert.ok(
      notes.includes('census: no new session; not asked: ETRN VERB SEND SOML SAML RSET TURN'),
    );
    assert.equal(result.timings.quit, undefined, 'the first session was already QUIT');
  });

  test('a 421 still ends the census at once: the verbs after it are absent, not not-asked', async () => {
    const { outcome, result } = await converse([
      [
        ...eximHello(),
        expect('NOOP'),
        send('250 OK'),
        expect('HELP'),
        send('214 HELP'),
        expect('VRFY postmaster'),
        send('421 mx.exim.test lost input connection'),
        close(),
      ],
    ]);
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(
      result.census!.map((e) => e.verb),
      ['NOOP', 'HELP', 'VRFY'],
    );
  });
});

/** Counting: how a server that counts like Exim answers, and when it hangs up. */
interface Counting {
  /** Known verbs and their answer (a function for arguments that matter); every other verb is unrecognised. */
  known: Record<string, string | ((arg: string) => string)>;
  /** The counted reply (500, 501, 503) the server hangs up at, per session: Exim's default is the 4th. */
  hangUpAt: number;
}

/** countingServer: SMTP on 127.0.0.1:0, any number of sessions, each counting its 500/501/503 answers. */
async function countingServer(spec: Counting) {
  const sessions: { lines: string[]; counted: number; hungUp: boolean }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    const session = { lines: [] as string[], counted: 0, hungUp: false };
    sessions.push(session);
    let buffer = '';
    s.write('220 mx.test ESMTP\r\n');
    s.on('data', (chunk) => {
      buffer += String(chunk);
      for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        session.lines.push(line);
        const [verb = '', ...rest] = line.split(' ');
        if (verb === 'EHLO') s.write('250 mx.test\r\n');
        else if (verb === 'QUIT') s.end('221 mx.test closing connection\r\n');
        else {
          const known = spec.known[verb];
          const answer =
            known === undefined
              ? EXIM_UNKNOWN
              : typeof known === 'string'
                ? known
                : known(rest.join(' '));
          if (/^50[013] /.test(answer) && ++session.counted >= spec.hangUpAt) {
            session.hungUp = true;
            s.end('500 Too many unrecognized commands\r\n');
          } else s.write(`${answer}\r\n`);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    target: `127.0.0.1:${port}`,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const EXIM_DEFAULT: Counting['known'] = {
  NOOP: '250 OK',
  HELP: '214 AUTH STARTTLS HELO EHLO MAIL RCPT DATA BDAT NOOP QUIT RSET HELP EXPN VRFY',
  VRFY: (arg) =>
    arg === 'postmaster'
      ? '252 Administrative prohibition'
      : `501 ${arg}: recipient address must contain a domain`,
  EXPN: '550 Administrative prohibition',
  ETRN: '458 Administrative prohibition',
  RSET: '250 Reset OK',
};

describe('census against servers that hang up at their limit', () => {
  const cases: { name: string; spec: Counting; sessions: number; notAsked: string[] }[] = [
    {
      name: 'Exim 4.96 defaults (hangs up at the 4th)',
      spec: { known: EXIM_DEFAULT, hangUpAt: 4 },
      sessions: 3,
      notAsked: [],
    },
    {
      name: 'Exim with VRFY open (no 501 follow-up)',
      spec: {
        known: { ...EXIM_DEFAULT, VRFY: '250 <postmaster@mx.test> is deliverable' },
        hangUpAt: 4,
      },
      sessions: 3,
      notAsked: [],
    },
    {
      name: 'a stricter server that hangs up at the 3rd (qpsmtpd count_unrecognized_commands 3)',
      spec: { known: { ...EXIM_DEFAULT, VRFY: '252 Cannot VRFY user' }, hangUpAt: 3 },
      sessions: 3,
      notAsked: [],
    },
    {
      name: 'only the RFC 5321 §4.5.1 minimum known (eight unrecognised), hanging up at the 3rd: four sessions',
      spec: {
        known: { NOOP: '250 OK', VRFY: '550 5.1.1 no such user', RSET: '250 OK' },
        hangUpAt: 3,
      },
      sessions: MAX_CENSUS_SESSIONS,
      notAsked: [],
    },
    {
      name: 'a server that knows everything but TURN: one session',
      spec: {
        known: {
          ...EXIM_DEFAULT,
          VRFY: '250 <postmaster@mx.test>',
          VERB: '250 2.0.0 Verbose mode',
          SEND: '550 5.7.1 no',
          SOML: '550 5.7.1 no',
          SAML: '550 5.7.1 no',
        },
        hangUpAt: 3,
      },
      sessions: 1,
      notAsked: [],
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const server = await countingServer(c.spec);
      try {
        const outcome = await probeCaps(server.target, { helo: HELO_NAME, timeouts: TIMEOUTS });
        for (const s of server.sessions) {
          assert.equal(s.hungUp, false, `hung up after ${JSON.stringify(s.lines)}`);
          assert.ok(s.counted <= DROP_LIMIT, `counted ${s.counted} in ${JSON.stringify(s.lines)}`);
          assert.equal(s.lines.at(-1), 'QUIT');
          assert.ok(!s.lines.includes('DATA'));
        }
        assert.equal(server.sessions.length, c.sessions);
        assert.equal(outcome.status, 'ok', outcome.error?.message);
        CapsResultSchema.parse(outcome.result);
        const entries = outcome.result.census!;
        assert.deepEqual(
          entries.map((e) => e.verb),
          [...CENSUS_VERBS],
        );
        const held = entries.filter((e) => e.support === 'not-asked');
        assert.deepEqual(
          held.map((e) => e.verb),
          c.notAsked,
        );
        assert.ok(held.every((e) => e.reply === undefined && e.probe === undefined));
        const sent = server.sessions.flatMap((s) => s.lines.map((l) => l.split(' ')[0]));
        for (const verb of c.notAsked) assert.ok(!sent.includes(verb), `${verb} never sent`);
        // The counts the census kept agree with the server's.
        const counted = entries
          .flatMap((e) => [e.reply, e.probe?.reply])
          .filter((r) => r !== undefined && countsTowardDrop(r)).length;
        assert.equal(
          counted,
          server.sessions.reduce((n, s) => n + s.counted, 0),
        );
      } finally {
        await server.close();
      }
    });
  }
});

describe('the new session over the in-memory network', () => {
  let cert: TestCert;
  let cleanup: () => Promise<void>;
  before(async () => {
    const { dir, remove } = await tempDir();
    cleanup = remove;
    cert = await makeCert('mx.test', [{ type: 2, value: 'mx.test' }], dir);
  });
  after(() => cleanup());

  /** tlsHello: greeting, EHLO, STARTTLS and EHLO again, as every session must be set up. */
  const tlsHello = (): Step[] => [
    greet(),
    ...ehloOk('STARTTLS'),
    expect('STARTTLS'),
    send('220 2.0.0 Ready to start TLS'),
    upgradeTls(cert),
    ...ehloOk('PIPELINING'),
  ];
  const firstSession = (): Step[] => [
    ...tlsHello(),
    expect('NOOP'),
    send('250 2.0.0 Ok'),
    expect('HELP'),
    send(POSTFIX_UNKNOWN),
    expect('VRFY postmaster'),
    send('250 2.0.0 <postmaster@mx.test>'),
    expect('EXPN postmaster'),
    send(POSTFIX_UNKNOWN),
    ...quit(),
  ];

  test('the new session goes to the address the first reached, with STARTTLS again, and the same name checked', async () => {
    const w = memoryWorld();
    w.hosts.set('mx.test', ['192.0.2.1', '192.0.2.2']);
    const server = w.serve('192.0.2.1:25', firstSession(), [
      ...tlsHello(),
      ...[
        'ETRN smtp-probe.invalid',
        'VERB',
        'SEND FROM:<>',
        'SOML FROM:<>',
        'SAML FROM:<>',
      ].flatMap((line) => [expect(line), send('502 5.5.1 not here')]),
      expect('RSET'),
      send('250 2.0.0 Ok'),
      expect('TURN'),
      send('502 5.5.1 not here'),
      ...quit(),
    ]);
    const outcome = await probeCaps('mx.test', {
      helo: HELO_NAME,
      ...w.wiring,
      caFiles: [cert.certFile],
      tlsVerify: true,
    });
    await server.finished();
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.deepEqual(w.net.dialled, ['192.0.2.1:25', '192.0.2.1:25']);
    assert.equal(server.sessions[1]!.filter((l) => l === 'STARTTLS').length, 1);
    assert.ok(outcome.result.census!.every((e) => e.support !== 'not-asked'));
  });

  test('Ctrl-C while the new session says EHLO: aborted, the census so far kept, the session closed', async () => {
    const w = memoryWorld();
    const controller = new AbortController();
    const server = w.serve('192.0.2.1:25', firstSession(), [
      greet(),
      expect(`EHLO ${HELO_NAME}`),
      act(async (conn) => {
        controller.abort();
        await conn.whenClosed;
      }),
    ]);
    const outcome = await probeCaps('192.0.2.1', {
      helo: HELO_NAME,
      ...w.wiring,
      tlsName: 'mx.test',
      signal: controller.signal,
    });
    await server.finished();
    assert.equal(outcome.status, 'aborted');
    assert.equal(outcome.error?.code, 'ABORTED');
    assert.deepEqual(
      outcome.result.census?.map((e) => e.verb),
      ['NOOP', 'HELP', 'VRFY', 'EXPN'],
    );
  });
});
