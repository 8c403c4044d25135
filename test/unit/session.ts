/** SmtpSession over an in-memory duplex: what it writes, what it reads, and what it forgets at STARTTLS. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { SmtpSession } from '../../src/session/session.js';
import { ProbeError } from '../../src/errors.js';
import { Transcript } from '../../src/session/transcript.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { Deadline } from '../../src/time/deadline.js';
import { FakeWire } from '../support/fake-wire.js';

const TIMEOUTS = { ...DEFAULT_TIMEOUTS, connectMs: 1000, greetingMs: 1000, commandMs: 1000 };

function open(wire: Duplex = new FakeWire(), timeouts = TIMEOUTS) {
  const transcript = new Transcript();
  return {
    session: new SmtpSession(wire, {
      transcript,
      timeouts,
      deadline: new Deadline(),
      endpoint: '192.0.2.1:25',
    }),
    transcript,
  };
}

const isCode =
  (code: string, stage?: string) =>
  (err: unknown): boolean =>
    err instanceof ProbeError && err.code === code && (stage === undefined || err.stage === stage);

describe('SmtpSession', () => {
  test('greeting, then a command: one CRLF line written, its reply read', async () => {
    const wire = new FakeWire();
    const { session, transcript } = open(wire);
    wire.serve('220 mx.example.com ESMTP\r\n');
    assert.equal((await session.greeting()).code, 220);
    const pending = session.send('NOOP', 'census');
    wire.serve('250 2.0.0 Ok\r\n');
    assert.deepEqual(await pending, { code: 250, enhanced: '2.0.0', lines: ['2.0.0 Ok'] });
    assert.deepEqual(wire.writes, ['NOOP\r\n']);
    assert.deepEqual(
      transcript.entries.map((e) => [e.dir, e.line]),
      [
        ['recv', '220 mx.example.com ESMTP'],
        ['send', 'NOOP'],
        ['recv', '250 2.0.0 Ok'],
      ],
    );
  });

  test('a reply nobody asked for is UNSOLICITED_REPLY (a protocol error), and the command is not sent', async () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    wire.serve('220 mx.example.com ESMTP\r\n250 2.0.0 TURN accepted\r\n');
    assert.equal((await session.greeting()).code, 220);
    await assert.rejects(
      session.send('TURN', 'census'),
      (err: unknown) =>
        isCode('UNSOLICITED_REPLY', 'census')(err) &&
        (err as ProbeError).status === 'protocol-error' &&
        /TURN accepted/.test((err as Error).message),
    );
    assert.deepEqual(wire.writes, []);
  });

  test('a 5xx is a result, not an exception', async () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    wire.serve('550 5.1.1 <nobody@example.com>: Recipient address rejected\r\n');
    assert.equal((await session.send('RCPT TO:<nobody@example.com>', 'rcpt')).code, 550);
  });

  test('a line with a control byte is refused at the I/O boundary and nothing is written', async () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    await assert.rejects(session.send('NOOP\r\nDATA', 'census'), isCode('INVALID_INPUT', 'input'));
    await assert.rejects(
      session.pipeline(['MAIL FROM:<>', 'RCPT TO:<a@b>\nDATA'], 'rcpt'),
      isCode('INVALID_INPUT', 'input'),
    );
    assert.deepEqual(wire.writes, []);
  });

  test('pipeline writes the group at once and reads replies in order (RFC 2920)', async () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    const seen: number[] = [];
    const pending = session.pipeline(
      ['MAIL FROM:<>', 'RCPT TO:<a@example.com>', 'RCPT TO:<b@example.com>'],
      'rcpt',
      (r, i) => seen.push(i * 1000 + r.code),
    );
    wire.serve('250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n');
    wire.serve('550 5.1.1 <b@example.com>: User unknown\r\n');
    assert.deepEqual(
      (await pending).map((r) => r.code),
      [250, 250, 550],
    );
    assert.deepEqual(seen, [250, 1250, 2550]);
    assert.deepEqual(wire.writes, [
      'MAIL FROM:<>\r\nRCPT TO:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n',
    ]);
  });

  const hellos: {
    name: string;
    server: string[];
    writes: string[];
    verb: 'EHLO' | 'HELO';
    code: number;
    caps: boolean;
  }[] = [
    {
      name: 'EHLO 250 gives capabilities',
      server: ['250-mx\r\n250 PIPELINING\r\n'],
      writes: ['EHLO c.example\r\n'],
      verb: 'EHLO',
      code: 250,
      caps: true,
    },
    {
      name: 'EHLO 502 falls back to HELO',
      server: ['502 5.5.2 Error\r\n', '250 mx\r\n'],
      writes: ['EHLO c.example\r\n', 'HELO c.example\r\n'],
      verb: 'HELO',
      code: 250,
      caps: false,
    },
    {
      name: 'EHLO 500 falls back to HELO',
      server: ['500 unrecognized\r\n', '250 mx\r\n'],
      writes: ['EHLO c.example\r\n', 'HELO c.example\r\n'],
      verb: 'HELO',
      code: 250,
      caps: false,
    },
    {
      name: 'EHLO 554 does not',
      server: ['554 5.7.1 go away\r\n'],
      writes: ['EHLO c.example\r\n'],
      verb: 'EHLO',
      code: 554,
      caps: false,
    },
    {
      name: 'EHLO 421 does not',
      server: ['421 4.3.2 shutting down\r\n'],
      writes: ['EHLO c.example\r\n'],
      verb: 'EHLO',
      code: 421,
      caps: false,
    },
  ];
  for (const h of hellos) {
    test(`hello: ${h.name}`, async () => {
      const wire = new FakeWire();
      const { session } = open(wire);
      wire.answer(...h.server);
      const hello = await session.hello('c.example');
      assert.deepEqual(
        [hello.verb, hello.reply.code, hello.capabilities !== undefined],
        [h.verb, h.code, h.caps],
      );
      assert.deepEqual(wire.writes, h.writes);
    });
  }

  test('starttls: on 220 everything buffered is dropped and reading moves to the upgraded stream', async () => {
    const raw = new FakeWire();
    const secure = new FakeWire();
    const { session } = open(raw);
    let upgradedFrom: Duplex | undefined;
    raw.serve('220 2.0.0 Ready to start TLS\r\n250-injected\r\n250 AUTH PLAIN\r\n250-half');
    const reply = await session.starttls(async (s) => {
      upgradedFrom = s;
      return secure;
    });
    assert.equal(reply.code, 220);
    assert.equal(upgradedFrom, raw);
    const pending = session.send('EHLO c.example', 'ehlo');
    secure.serve('250-mx.example.com\r\n250 PIPELINING\r\n');
    assert.deepEqual((await pending).lines, ['mx.example.com', 'PIPELINING']);
    assert.deepEqual(secure.writes, ['EHLO c.example\r\n']);
    assert.deepEqual(raw.writes, ['STARTTLS\r\n']);
  });

  test('starttls: a refusal is returned and nothing is upgraded', async () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    wire.serve('454 4.7.0 TLS not available due to local problem\r\n');
    let called = false;
    const reply = await session.starttls(async (s) => {
      called = true;
      return s;
    });
    assert.equal(reply.code, 454);
    assert.equal(called, false);
  });

  test('quit: a server that hangs up instead of answering is fine', async () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    const pending = session.quit();
    wire.hangUp();
    assert.equal(await pending, undefined);
    assert.ok(wire.destroyed);
  });

  test('a syntax error is given to every later reader', async () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    wire.serve('250-mx\r\n251 mismatch\r\n');
    await assert.rejects(session.greeting(), isCode('PROTOCOL_ERROR', 'greeting'));
    await assert.rejects(session.send('NOOP', 'census'), isCode('PROTOCOL_ERROR', 'census'));
  });

  test('a closed stream is CONNECTION_CLOSED for the stage that was waiting', async () => {
    const wire = new FakeWire();
    const { session } = open(wire);
    wire.serve('220 mx\r\n');
    await session.greeting();
    const pending = session.send('EHLO c.example', 'ehlo');
    wire.hangUp();
    await assert.rejects(pending, isCode('CONNECTION_CLOSED', 'ehlo'));
  });

  test('a timeout names its phase and says when a partial reply came', async () => {
    const wire = new FakeWire();
    const { session } = open(wire, { ...TIMEOUTS, greetingMs: 50, commandMs: 50 });
    await assert.rejects(
      session.greeting(),
      (err: unknown) =>
        isCode('GREETING_TIMEOUT', 'greeting')(err) &&
        /no greeting within 50ms/.test((err as Error).message),
    );
    wire.serve('250-mx\r\n');
    await assert.rejects(
      session.send('EHLO c.example', 'ehlo'),
      (err: unknown) =>
        isCode('COMMAND_TIMEOUT', 'ehlo')(err) && /partial reply/.test((err as Error).message),
    );
  });
});
