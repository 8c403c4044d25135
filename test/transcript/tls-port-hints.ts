/**
 * A plaintext probe of a port that speaks TLS from the first byte (RFC 8314), over the
 * in-memory network and the virtual clock: on port 465 the greeting timeout says to try
 * --implicit-tls; on any port, a TLS record as the first bytes ends the wait at once with
 * PROTOCOL_ERROR and the same hint, instead of waiting out the greeting timeout.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { probeCaps, type CapsOptions } from '../../src/probes/caps.js';
import { CapsResultSchema } from '../../src/schema/caps.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { memoryWorld, type MemoryWorld } from '../support/memory-world.js';
import { act, type Conn, type Step } from '../support/scripted-server.js';
import { ehloOk, greet, HELO_NAME, quit } from '../support/smtp-lines.js';

const HINT = /this port may speak TLS from the first byte: try --implicit-tls/;

/** caps: probe `target` in `world` with the test's HELO name and no census. */
function caps(world: MemoryWorld, target: string, options: CapsOptions = {}) {
  return probeCaps(target, { helo: HELO_NAME, census: false, ...world.wiring, ...options });
}

/** writeBytes: the server writes `chunks` (each its own write), then waits for the client to hang up. */
const writeBytes = (...chunks: number[][]): Step =>
  act(async (conn: Conn) => {
    for (const c of chunks) await new Promise((r) => conn.socket.write(Buffer.from(c), r));
    await conn.whenClosed;
  });

// A TLS 1.2 fatal alert, decode_error (RFC 8446 §6): what a TLS server may send a client that said nothing.
const ALERT = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x32];

describe('a TLS-only port probed in clear', () => {
  test('port 465, silent: GREETING_TIMEOUT at the greeting timeout, with the --implicit-tls hint', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:465', [act((conn) => conn.whenClosed)]);
    const outcome = await caps(w, '192.0.2.1:465');
    await server.finished();
    assert.deepEqual([outcome.error?.code, outcome.error?.stage], ['GREETING_TIMEOUT', 'greeting']);
    assert.match(outcome.error!.message, HINT);
    assert.match(outcome.error!.message, /port 465 is for implicit TLS \(RFC 8314\)/);
    assert.equal(w.clock.now(), DEFAULT_TIMEOUTS.greetingMs);
    assert.deepEqual(server.received, [], 'nothing sent');
    CapsResultSchema.parse(outcome.result);
  });

  test('port 25, silent: GREETING_TIMEOUT without the hint', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:25', [act((conn) => conn.whenClosed)]);
    const outcome = await caps(w, '192.0.2.1');
    await server.finished();
    assert.equal(outcome.error?.code, 'GREETING_TIMEOUT');
    assert.doesNotMatch(outcome.error!.message, HINT);
  });

  test('a TLS alert as the first bytes: PROTOCOL_ERROR at once, naming the record, with the hint', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:2525', [writeBytes(ALERT)]);
    const outcome = await caps(w, '192.0.2.1:2525');
    await server.finished();
    assert.deepEqual([outcome.error?.code, outcome.error?.stage], ['PROTOCOL_ERROR', 'greeting']);
    assert.equal(outcome.status, 'protocol-error');
    assert.match(
      outcome.error!.message,
      /a TLS alert record \(version 3\.3\) instead of a greeting/,
    );
    assert.match(outcome.error!.message, HINT);
    assert.ok(w.clock.now() < 1000, `ended at ${w.clock.now()} ms, not at the greeting timeout`);
    assert.ok(
      outcome.transcript.entries.some((e) =>
        /15 03 03…: a TLS alert record, not SMTP/.test(e.line),
      ),
      'the transcript says what arrived',
    );
    assert.deepEqual(server.received, [], 'nothing sent');
    CapsResultSchema.parse(outcome.result);
  });

  test('a handshake record header dripped one byte at a time is seen all the same', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:2525', [writeBytes([0x16], [0x03], [0x01, 0x00, 0x05])]);
    const outcome = await caps(w, '192.0.2.1:2525');
    await server.finished();
    assert.equal(outcome.error?.code, 'PROTOCOL_ERROR');
    assert.match(outcome.error!.message, /a TLS handshake record \(version 3\.1\)/);
    assert.match(outcome.error!.message, HINT);
  });

  test('port 465 that sends a TLS record: the record is named, not the port', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:465', [writeBytes(ALERT)]);
    const outcome = await caps(w, '192.0.2.1:465');
    await server.finished();
    assert.equal(outcome.error?.code, 'PROTOCOL_ERROR');
    assert.equal(outcome.error!.message.match(new RegExp(HINT, 'g'))?.length, 1, 'one hint');
  });

  test('bytes that only start like a record (0x16 then not 0x03) are no TLS: the usual syntax error', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:25', [writeBytes([0x16, 0x20, 0x32, 0x0d, 0x0a])]);
    const outcome = await caps(w, '192.0.2.1');
    await server.finished();
    assert.equal(outcome.error?.code, 'PROTOCOL_ERROR');
    assert.doesNotMatch(outcome.error!.message, HINT);
  });

  test('a greeting on port 465 in clear is just a greeting: no hint, no error', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:465', [greet(), ...ehloOk('PIPELINING'), ...quit()]);
    const outcome = await caps(w, '192.0.2.1:465');
    await server.finished();
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    assert.equal(outcome.result.banner?.reply.code, 220);
  });
});
