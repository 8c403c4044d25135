/**
 * vrfy and expn against real sockets: the lab's personalities (what a name
 * lookup meets in the wild), scripted servers for 421 mid-run, injection
 * attempts that must open no connection, and the commands with --file -.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, type Lab } from '../../src/lab/index.js';
import { formatEndpoint } from '../../src/net/target.js';
import { ProbeError } from '../../src/errors.js';
import { probeExpn, probeVrfy, type LookupOptions } from '../../src/probes/lookup.js';
import {
  LookupResultSchema,
  VrfyOutputSchema,
  ExpnOutputSchema,
  type LookupResult,
} from '../../src/schema/lookup.js';
import { vrfyCommand } from '../../commands/vrfy.js';
import { expnCommand } from '../../commands/expn.js';
import { expect, scriptedSessions, send, close, type Step } from '../support/scripted-server.js';
import { HELO_NAME, TIMEOUTS, ehloOk, greet, quit } from '../support/smtp-lines.js';
import { countingServer } from '../support/cli-run.js';
import { runCommand } from '../support/command-run.js';

let lab: Lab;
const target = (personality: string): string =>
  formatEndpoint(lab.host(personality).address, lab.host(personality).port);
const OPTS: LookupOptions = { timeouts: TIMEOUTS };

/** heard: what the lab's `personality` received while `fn` ran. */
async function heard<T>(personality: string, fn: () => Promise<T>): Promise<[T, string[]]> {
  const from = lab.log.length;
  const value = await fn();
  return [
    value,
    lab.log
      .slice(from)
      .filter((e) => e.personality === personality)
      .map((e) => e.line),
  ];
}

const summary = (r: LookupResult): string[] =>
  r.items.map((i) => `${i.command ?? `(${i.query})`} → ${i.meaning}`);

before(async () => {
  lab = await startLab({ port: 0 });
});
after(() => lab.close());

describe('vrfy against the lab', () => {
  test('vrfy-open: alice exists with her mailbox, a made-up name is no-such-user; one session, no transaction', async () => {
    const [outcome, lines] = await heard('vrfy-open', () =>
      probeVrfy(target('vrfy-open'), ['alice', 'zz-nobody'], OPTS),
    );
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    const r = LookupResultSchema.parse(outcome.result);
    assert.deepEqual(summary(r), ['VRFY alice → exists', 'VRFY zz-nobody → no-such-user']);
    assert.deepEqual(r.items[0]!.mailbox, {
      name: 'Alice Example',
      address: 'alice@vrfy-open.lab.test',
    });
    assert.equal(r.items[1]!.mailbox, undefined);
    assert.equal(r.items[1]!.reply?.enhanced, '5.1.1');
    assert.equal(r.discloses, true);
    assert.match(r.disclosure, /^VRFY discloses mailboxes/);
    assert.equal(r.sessions, 1);
    assert.equal(r.control, null, 'no control lookup when the answers already differ');
    assert.deepEqual(
      lines.filter((l) => !/^EHLO /.test(l)),
      ['VRFY alice', 'VRFY zz-nobody', 'QUIT'],
    );
  });

  test('vrfy-closed: cannot-verify for everyone, a made-up name included, and the disclosure line says so', async () => {
    const outcome = await probeVrfy(target('vrfy-closed'), ['alice', 'bob', 'zz-nobody'], OPTS);
    const r = LookupResultSchema.parse(outcome.result);
    assert.deepEqual(
      r.items.map((i) => i.meaning),
      ['cannot-verify', 'cannot-verify', 'cannot-verify'],
    );
    assert.ok(
      r.items.every((i) => i.mailbox === undefined),
      'a 252 names no mailbox',
    );
    assert.match(r.control?.command ?? '', /^VRFY smtp-probe-[0-9a-f]{10}$/);
    assert.equal(r.control?.meaning, 'cannot-verify');
    assert.equal(r.discloses, false);
    assert.equal(
      r.disclosure,
      'VRFY gives nothing away (252 to everything, a made-up name included)',
    );
    assert.deepEqual(r.counts, { 'cannot-verify': 3 });
  });

  test('esmtp: not-implemented (502), asked after STARTTLS', async () => {
    const [outcome, lines] = await heard('esmtp', () =>
      probeVrfy(target('esmtp'), ['alice', 'postmaster'], { ...OPTS, caFiles: [lab.caCertFile] }),
    );
    const r = LookupResultSchema.parse(outcome.result);
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(
      r.items.map((i) => `${i.meaning} ${i.reply?.code}`),
      ['not-implemented 502', 'not-implemented 502'],
    );
    assert.equal(r.tls?.outcome, 'ok');
    assert.ok(lines.indexOf('STARTTLS') < lines.indexOf('VRFY alice'), lines.join('\n'));
    assert.match(r.disclosure, /not implemented or switched off \(502\)/);
    assert.equal(r.discloses, false);
  });

  test('esmtp with --no-starttls: the lookups run in clear', async () => {
    const [outcome, lines] = await heard('esmtp', () =>
      probeVrfy(target('esmtp'), ['alice'], { ...OPTS, starttls: false }),
    );
    assert.equal(outcome.result.tls, null);
    assert.ok(!lines.includes('STARTTLS'));
  });

  test('--both-forms: user and user@<banner host name>, each its own item', async () => {
    const outcome = await probeVrfy(target('vrfy-open'), ['alice', 'bob@vrfy-open.lab.test'], {
      ...OPTS,
      bothForms: true,
    });
    const r = LookupResultSchema.parse(outcome.result);
    assert.equal(r.domain, 'vrfy-open.lab.test');
    assert.deepEqual(
      r.items.map((i) => [i.query, i.form, i.command, i.meaning]),
      [
        ['alice', 'user', 'VRFY alice', 'exists'],
        ['alice', 'mailbox', 'VRFY alice@vrfy-open.lab.test', 'exists'],
        ['bob@vrfy-open.lab.test', 'mailbox', 'VRFY bob@vrfy-open.lab.test', 'exists'],
        ['bob@vrfy-open.lab.test', 'user', 'VRFY bob', 'exists'],
      ],
    );
  });

  test('--both-forms with --domain: the given domain, which this host does not serve', async () => {
    const outcome = await probeVrfy(target('vrfy-open'), ['alice'], {
      ...OPTS,
      bothForms: true,
      domain: 'Other.Example',
    });
    assert.deepEqual(summary(outcome.result), [
      'VRFY alice → exists',
      'VRFY alice@other.example → no-such-user',
    ]);
  });
});

describe('expn against the lab', () => {
  test('vrfy-open: staff lists alice and bob, with names', async () => {
    const outcome = await probeExpn(target('vrfy-open'), ['staff'], OPTS);
    const r = LookupResultSchema.parse(outcome.result);
    assert.equal(r.verb, 'EXPN');
    assert.deepEqual(r.items[0]!.members, [
      { name: 'Alice Example', address: 'alice@vrfy-open.lab.test' },
      { name: 'Bob Example', address: 'bob@vrfy-open.lab.test' },
    ]);
    assert.match(r.disclosure, /^EXPN discloses lists and their members/);
  });

  test('vrfy-closed: EXPN disabled (502), esmtp: 502 as well', async () => {
    for (const host of ['vrfy-closed', 'esmtp']) {
      const outcome = await probeExpn(target(host), ['staff'], OPTS);
      assert.deepEqual(summary(outcome.result), ['EXPN staff → not-implemented'], host);
      assert.equal(outcome.result.discloses, false);
    }
  });
});

/** scripted: probeVrfy against one script per connection; every script must be followed exactly. */
async function scripted(scripts: Step[][], names: string[], options: LookupOptions = {}) {
  const server = await scriptedSessions(scripts);
  try {
    const outcome = await probeVrfy(server.target, names, { helo: HELO_NAME, ...OPTS, ...options });
    await server.finished();
    return { outcome, result: LookupResultSchema.parse(outcome.result), server };
  } finally {
    await server.close();
  }
}

const hello = (): Step[] => [greet(), ...ehloOk('PIPELINING', 'ENHANCEDSTATUSCODES')];
const CLOSING = '421 4.7.0 mx.test Error: too many errors';

describe('421 mid-run', () => {
  test('a 421 after the second VRFY: a new session, every name still gets one item, later ones from the new session', async () => {
    const { outcome, result, server } = await scripted(
      [
        [
          ...hello(),
          expect('VRFY a'),
          send('250 2.1.5 A <a@mx.test>'),
          expect('VRFY b'),
          send(CLOSING),
          close(),
        ],
        [
          ...hello(),
          expect('VRFY c'),
          send('550 5.1.1 <c@mx.test>: User unknown'),
          expect('VRFY d'),
          send('250 2.1.5 <d@mx.test>'),
          ...quit(),
        ],
      ],
      ['a', 'b', 'c', 'd'],
    );
    assert.equal(outcome.status, 'ok');
    assert.equal(server.connections, 2);
    assert.deepEqual(server.sessions, [
      [`EHLO ${HELO_NAME}`, 'VRFY a', 'VRFY b'],
      [`EHLO ${HELO_NAME}`, 'VRFY c', 'VRFY d', 'QUIT'],
    ]);
    assert.deepEqual(
      result.items.map((i) => [i.query, i.meaning, i.session, i.reconnected]),
      [
        ['a', 'exists', 1, false],
        ['b', 'server-closing', 1, false],
        ['c', 'no-such-user', 2, true],
        ['d', 'exists', 2, true],
      ],
    );
    assert.equal(result.items[1]!.reply?.code, 421, 'the 421 is kept as evidence');
    assert.equal(result.sessions, 2);
    assert.ok(
      outcome.transcript.entries.some(
        (e) => e.dir === 'note' && /421.*new session for the 2 name/.test(e.line),
      ),
    );
  });

  test('a fresh session closed with 421 at once: no third session, the rest are not-asked', async () => {
    const { outcome, result, server } = await scripted(
      [
        [
          ...hello(),
          expect('VRFY a'),
          send('252 2.0.0 a'),
          expect('VRFY b'),
          send(CLOSING),
          close(),
        ],
        [...hello(), expect('VRFY c'), send(CLOSING), close()],
      ],
      ['a', 'b', 'c', 'd', 'e'],
    );
    assert.equal(outcome.status, 'ok');
    assert.equal(server.connections, 2);
    assert.deepEqual(
      result.items.map((i) => i.meaning),
      ['cannot-verify', 'server-closing', 'server-closing', 'not-asked', 'not-asked'],
    );
    assert.match(result.items[3]!.note ?? '', /refusing us/);
    assert.equal(result.items[4]!.command, null);
  });

  test('a session that just closes (no 421) fails the probe; what was answered is kept, the rest not-asked (the one in flight keeps its command)', async () => {
    const { outcome, result, server } = await scripted(
      [[...hello(), expect('VRFY a'), send('250 2.1.5 <a@mx.test>'), expect('VRFY b'), close()]],
      ['a', 'b', 'c'],
    );
    assert.equal(outcome.status, 'connection-closed');
    assert.equal(outcome.error?.stage, 'vrfy');
    assert.equal(server.connections, 1);
    assert.deepEqual(
      result.items.map((i) => i.meaning),
      ['exists', 'not-asked', 'not-asked'],
    );
    // b was sent and never answered; c was never sent.
    assert.deepEqual(
      [result.items[1]!.command, result.items[1]!.note],
      ['VRFY b', 'sent, no answer: CONNECTION_CLOSED at vrfy'],
    );
    assert.deepEqual(
      [result.items[2]!.command, result.items[2]!.note],
      [null, 'not asked: CONNECTION_CLOSED at vrfy'],
    );
  });

  test('--both-forms when the banner names no host and no --domain: those forms are not asked, with a note', async () => {
    const { result } = await scripted(
      [
        [
          send('220 ESMTP ready'),
          ...ehloOk(),
          expect('VRFY a'),
          send('252 2.0.0 a'),
          expect(/^VRFY smtp-probe-[0-9a-f]{10}$/),
          send('252 2.0.0 x'),
          ...quit(),
        ],
      ],
      ['a'],
      { bothForms: true },
    );
    assert.deepEqual(
      result.items.map((i) => [i.form, i.meaning]),
      [
        ['user', 'cannot-verify'],
        ['mailbox', 'not-asked'],
      ],
    );
    assert.match(result.items[1]!.note ?? '', /--domain/);
    assert.equal(result.domain, null);
  });
});

describe('nothing is sent for bad input', () => {
  test('control bytes in an argument (or the HELO name, or --domain): INVALID_INPUT before any connection', async () => {
    const server = await countingServer();
    try {
      const attempts: [string[], LookupOptions][] = [
        [['alice\r\nRCPT TO:<x@y.test>'], {}],
        [['ok', 'bob\nDATA'], {}],
        [['carol\u0000'], {}],
        [['dave\u001b[2J'], {}],
        [['alice'], { helo: 'x\r\nQUIT' }],
        [['alice'], { bothForms: true, domain: 'x.test\r\nDATA' }],
        [[], {}],
        [['a'.repeat(600)], {}],
      ];
      for (const [names, options] of attempts) {
        await assert.rejects(
          probeVrfy(server.target, names, { ...OPTS, ...options }),
          (err: unknown) => {
            assert.ok(err instanceof ProbeError, String(err));
            assert.deepEqual([err.code, err.stage], ['INVALID_INPUT', 'input']);
            return true;
          },
          JSON.stringify([names, options]),
        );
      }
      const run = await runCommand(expnCommand, [
        'expn',
        server.target,
        'staff',
        'x\u0007y',
        '--json',
      ]);
      assert.equal(run.code, 2);
      const env = ExpnOutputSchema.parse(JSON.parse(run.stdout));
      assert.deepEqual([env.status, env.error?.code], ['invalid-input', 'INVALID_INPUT']);
      assert.equal(server.connections, 0);
    } finally {
      await server.close();
    }
  });
});

describe('the commands', () => {
  test('vrfy --file - reads stdin (blank lines and # comments skipped) after the positional names', async () => {
    const run = await runCommand(
      vrfyCommand,
      ['vrfy', target('vrfy-open'), 'postmaster', '--file', '-', '--json'],
      { stdin: '# people\nalice\n\n  bob  \r\nzz-nobody\n' },
    );
    assert.equal(run.code, 0, run.stderr);
    const env = VrfyOutputSchema.parse(JSON.parse(run.stdout));
    assert.deepEqual(
      env.result!.items.map((i) => `${i.query} ${i.meaning}`),
      ['postmaster exists', 'alice exists', 'bob exists', 'zz-nobody no-such-user'],
    );
  });

  test('a control byte from the file is refused too (exit 2, nothing sent)', async () => {
    const [run, lines] = await heard('vrfy-open', () =>
      runCommand(vrfyCommand, ['vrfy', target('vrfy-open'), '--file', '-'], {
        stdin: 'alice\nbob\u001bx\n',
      }),
    );
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^smtp-probe: user contains control byte 0x1b/);
    assert.deepEqual(lines, []);
  });

  test('exit 0 when the probe ran, whatever the meanings; the table carries the disclosure line', async () => {
    const run = await runCommand(vrfyCommand, ['vrfy', target('vrfy-closed'), 'alice']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /cannot-verify/);
    assert.match(
      run.stdout,
      /Disclosure: VRFY gives nothing away \(252 to everything, a made-up name included\)/,
    );
  });

  test('a refused connection: exit 3, every name not-asked in the envelope', async () => {
    const run = await runCommand(expnCommand, ['expn', target('closed'), 'staff', '--json']);
    assert.equal(run.code, 3);
    const env = ExpnOutputSchema.parse(JSON.parse(run.stdout));
    assert.equal(env.status, 'connection-refused');
    assert.deepEqual(
      env.result!.items.map((i) => i.meaning),
      ['not-asked'],
    );
  });

  test('--domain implies --both-forms', async () => {
    const run = await runCommand(vrfyCommand, [
      'vrfy',
      target('vrfy-open'),
      'alice',
      '--domain',
      'vrfy-open.lab.test',
      '--json',
    ]);
    const env = VrfyOutputSchema.parse(JSON.parse(run.stdout));
    assert.deepEqual(
      env.result!.items.map((i) => i.command),
      ['VRFY alice', 'VRFY alice@vrfy-open.lab.test'],
    );
    assert.equal(env.result!.domain, 'vrfy-open.lab.test');
  });

  test('--file with a missing file: invalid-input envelope, exit 2', async () => {
    const run = await runCommand(vrfyCommand, [
      'vrfy',
      target('vrfy-open'),
      '--file',
      '/nonexistent/names.txt',
      '--json',
    ]);
    assert.equal(run.code, 2);
    assert.match(
      VrfyOutputSchema.parse(JSON.parse(run.stdout)).error?.message ?? '',
      /--file \/nonexistent\/names\.txt/,
    );
  });
});
