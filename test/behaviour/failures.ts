/**
 * Behaviour tests over real loopback sockets: each failure gives the right
 * code, stage and status, and keeps what was learned before it. Timeouts are
 * tiny; no test asserts how long anything took.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { probeCaps, type CapsOptions } from '../../src/probes/caps.js';
import { MAX_REPLY_LINES } from '../../src/smtp/reply.js';
import { MAX_LINE_OCTETS } from '../../src/smtp/lines.js';
import { CapsResultSchema } from '../../src/schema/caps.js';
import {
  act,
  expect,
  scriptedServer,
  send,
  type Conn,
  type Step,
} from '../support/scripted-server.js';
import { HELO_NAME, TIMEOUTS, ehloOk, greet } from '../support/smtp-lines.js';

/** probe: probeCaps against a scripted server, checked against the script. */
async function probe(steps: Step[], options: CapsOptions = {}) {
  const server = await scriptedServer(steps);
  try {
    const outcome = await probeCaps(server.target, {
      helo: HELO_NAME,
      ...options,
      timeouts: { ...TIMEOUTS, ...options.timeouts },
    });
    await server.finished();
    CapsResultSchema.parse(outcome.result);
    return { outcome, result: outcome.result, error: outcome.error, sent: server.received };
  } finally {
    await server.close();
  }
}

/** silence: say nothing until the client gives up and closes. */
const silence = (): Step => act((conn) => conn.whenClosed);

/** flood: write `chunk` as fast as the client takes it, up to `capBytes`; reports whether the client hung up first. */
function flood(
  chunk: string,
  capBytes: number,
  report: { sent: number; clientClosedFirst: boolean },
): Step {
  return act(async (conn: Conn) => {
    while (report.sent < capBytes) {
      if (!(await conn.write(chunk))) break;
      report.sent += chunk.length;
    }
    report.clientClosedFirst = report.sent < capBytes;
    await conn.whenClosed;
  });
}

/** drip: one line every `everyMs` until the client closes. */
function drip(line: string, everyMs: number): Step {
  return act(async (conn: Conn) => {
    while (await conn.write(`${line}\r\n`)) await new Promise((r) => setTimeout(r, everyMs));
    await conn.whenClosed;
  });
}

describe('connection failures', () => {
  test('nothing listening → CONNECTION_REFUSED at connect', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    await new Promise<void>((r) => holder.close(() => r()));

    const outcome = await probeCaps(`127.0.0.1:${port}`, { helo: HELO_NAME, timeouts: TIMEOUTS });
    assert.equal(outcome.status, 'connection-refused');
    assert.deepEqual(
      [outcome.error?.code, outcome.error?.stage],
      ['CONNECTION_REFUSED', 'connect'],
    );
    assert.match(outcome.error!.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.deepEqual(
      outcome.result.attempts.map((a) => [a.address, a.status]),
      [['127.0.0.1', 'connection-refused']],
    );
    assert.equal(outcome.result.address, null);
    assert.equal(outcome.result.banner, null);
  });

  test('accepts but never greets → GREETING_TIMEOUT at greeting', async () => {
    const { outcome, result, error, sent } = await probe([silence()], {
      timeouts: { greetingMs: 200 },
    });
    assert.equal(outcome.status, 'greeting-timeout');
    assert.deepEqual([error?.code, error?.stage], ['GREETING_TIMEOUT', 'greeting']);
    assert.match(error!.message, /200ms/);
    assert.deepEqual(sent, [], 'the client waits for the greeting before saying anything');
    assert.equal(result.address, '127.0.0.1');
    assert.equal(result.banner, null);
    assert.equal(typeof result.timings.connect, 'number');
  });

  test('greets, then silence after EHLO → COMMAND_TIMEOUT at ehlo, banner kept', async () => {
    const { outcome, result, error, sent } = await probe(
      [greet(), expect(`EHLO ${HELO_NAME}`), silence()],
      { timeouts: { commandMs: 200 } },
    );
    assert.equal(outcome.status, 'io-timeout');
    assert.deepEqual([error?.code, error?.stage], ['COMMAND_TIMEOUT', 'ehlo']);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`]);
    assert.equal(result.banner?.hostname, 'mx.test');
    assert.equal(typeof result.timings.ehlo, 'number', 'the failed stage is timed too');
  });

  test('a drip-fed reply does not reset the command timeout', async () => {
    const { error } = await probe(
      [greet(), expect(`EHLO ${HELO_NAME}`), drip('250-still going', 20)],
      { timeouts: { commandMs: 300 } },
    );
    assert.deepEqual([error?.code, error?.stage], ['COMMAND_TIMEOUT', 'ehlo']);
    assert.match(error!.message, /partial reply/);
  });

  test('early close after the greeting → CONNECTION_CLOSED at ehlo', async () => {
    const { outcome, result, error } = await probe([
      act(async (conn) => {
        await conn.write('220 mx.test ESMTP\r\n');
        conn.socket.destroy();
      }),
    ]);
    assert.equal(outcome.status, 'connection-closed');
    assert.deepEqual([error?.code, error?.stage], ['CONNECTION_CLOSED', 'ehlo']);
    assert.equal(result.banner?.reply.code, 220);
  });

  test('close in the middle of a multi-line EHLO reply → CONNECTION_CLOSED at ehlo', async () => {
    const { error, result } = await probe([
      greet(),
      expect(`EHLO ${HELO_NAME}`),
      send('250-mx.test', '250-PIPELINING'),
      { kind: 'close' },
    ]);
    assert.deepEqual([error?.code, error?.stage], ['CONNECTION_CLOSED', 'ehlo']);
    assert.equal(result.capabilities, null);
  });
});

describe('hostile and broken servers', () => {
  test('garbage greeting → PROTOCOL_ERROR at greeting, quoting the line', async () => {
    const { outcome, result, error, sent } = await probe([
      send('HTTP/1.1 400 Bad Request', 'Content-Length: 0', ''),
      silence(),
    ]);
    assert.equal(outcome.status, 'protocol-error');
    assert.deepEqual([error?.code, error?.stage], ['PROTOCOL_ERROR', 'greeting']);
    assert.ok(error!.message.includes('"HTTP/1.1 400 Bad Request"'), error!.message);
    assert.equal(result.banner, null);
    assert.deepEqual(sent, []);
  });

  test('mismatched codes in a multi-line EHLO reply → PROTOCOL_ERROR at ehlo', async () => {
    const { error, result } = await probe([
      greet(),
      expect(`EHLO ${HELO_NAME}`),
      send('250-mx.test', '251 PIPELINING'),
      silence(),
    ]);
    assert.deepEqual(
      [error?.code, error?.stage, error?.status],
      ['PROTOCOL_ERROR', 'ehlo', 'protocol-error'],
    );
    assert.equal(result.banner?.reply.code, 220);
  });

  test('a never-ending "250-" continuation → REPLY_TOO_LARGE, the client hangs up, memory stays bounded', async () => {
    const report = { sent: 0, clientClosedFirst: false };
    const cap = 64 * 1024 * 1024;
    const { outcome, error } = await probe([
      greet(),
      expect(`EHLO ${HELO_NAME}`),
      flood('250-x\r\n'.repeat(1000), cap, report),
    ]);
    assert.equal(outcome.status, 'protocol-error');
    assert.deepEqual([error?.code, error?.stage], ['REPLY_TOO_LARGE', 'ehlo']);
    assert.ok(
      report.clientClosedFirst,
      `the client read all ${report.sent} bytes instead of giving up`,
    );
    const received = outcome.transcript.entries.filter((e) => e.dir === 'recv').length;
    assert.ok(received <= 1 + MAX_REPLY_LINES + 1, `${received} lines kept`);
  });

  test('one endless line without LF → REPLY_TOO_LARGE at greeting, nothing kept', async () => {
    const report = { sent: 0, clientClosedFirst: false };
    const cap = 64 * 1024 * 1024;
    const { outcome, error, sent } = await probe([flood('x'.repeat(16 * 1024), cap, report)]);
    assert.equal(outcome.status, 'protocol-error');
    assert.deepEqual([error?.code, error?.stage], ['REPLY_TOO_LARGE', 'greeting']);
    assert.match(error!.message, new RegExp(`longer than ${MAX_LINE_OCTETS}`));
    assert.ok(
      report.clientClosedFirst,
      `the client read all ${report.sent} bytes instead of giving up`,
    );
    assert.equal(outcome.transcript.entries.filter((e) => e.dir === 'recv').length, 0);
    assert.deepEqual(sent, []);
  });

  test('valid lines drip-fed forever → TARGET_TIMEOUT (the whole-target deadline)', async () => {
    const { outcome, result, error } = await probe(
      [greet(), expect(`EHLO ${HELO_NAME}`), drip('250-x', 20)],
      { timeouts: { targetMs: 300, commandMs: 10_000 } },
    );
    assert.equal(outcome.status, 'io-timeout');
    assert.deepEqual([error?.code, error?.stage], ['TARGET_TIMEOUT', 'ehlo']);
    assert.match(error!.message, /whole-target/);
    assert.equal(result.banner?.reply.code, 220);
  });
});

describe('cancellation', () => {
  test('AbortController mid-EHLO → ABORTED with the partial result', async () => {
    const ac = new AbortController();
    const { outcome, result, error, sent } = await probe(
      [
        greet(),
        expect(`EHLO ${HELO_NAME}`),
        act(async (conn) => {
          ac.abort();
          await conn.whenClosed;
        }),
      ],
      { signal: ac.signal, timeouts: { commandMs: 10_000 } },
    );
    assert.equal(outcome.status, 'aborted');
    assert.deepEqual([error?.code, error?.stage], ['ABORTED', 'ehlo']);
    assert.deepEqual(sent, [`EHLO ${HELO_NAME}`]);
    assert.equal(result.banner?.hostname, 'mx.test');
    assert.equal(result.address, '127.0.0.1');
  });

  test('AbortController mid-census → ABORTED at census, entries so far kept', async () => {
    const ac = new AbortController();
    const { error, result } = await probe(
      [
        greet(),
        ...ehloOk('PIPELINING'),
        expect('NOOP'),
        send('250 2.0.0 Ok'),
        expect('HELP'),
        act(async (conn) => {
          ac.abort();
          await conn.whenClosed;
        }),
      ],
      { signal: ac.signal, timeouts: { commandMs: 10_000 } },
    );
    assert.deepEqual([error?.code, error?.stage], ['ABORTED', 'census']);
    assert.deepEqual(
      result.census?.map((e) => e.verb),
      ['NOOP'],
    );
    assert.equal(result.capabilities?.pipelining, true);
  });

  test('a signal aborted before the start → ABORTED, no connection opened', async () => {
    const server = await scriptedServer([], { watchdogMs: 10_000 });
    try {
      const outcome = await probeCaps(server.target, {
        helo: HELO_NAME,
        signal: AbortSignal.abort(),
        timeouts: TIMEOUTS,
      });
      assert.equal(outcome.status, 'aborted');
      assert.deepEqual([outcome.error?.code, outcome.error?.stage], ['ABORTED', 'connect']);
      assert.equal(server.connections, 0);
    } finally {
      await server.close();
    }
  });
});
