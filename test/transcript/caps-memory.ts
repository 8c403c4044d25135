/**
 * caps over the in-memory connector and a virtual clock: the whole session
 * entry (resolve, each address in turn, greeting, EHLO, STARTTLS with a real
 * TLS handshake over in-memory streams, EHLO again) and every timeout, at
 * virtual time — a 30 s greeting timeout costs nothing and no test sleeps.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { probeCaps, type CapsOptions } from '../../src/probes/caps.js';
import { CapsResultSchema } from '../../src/schema/caps.js';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { makeCert, type TestCert, tempDir } from '../support/certs.js';
import { memoryWorld, type MemoryWorld } from '../support/memory-world.js';
import { act, close, expect, send, type Step, upgradeTls } from '../support/scripted-server.js';
import { ehloOk, greet, HELO_NAME, plainCensus, quit } from '../support/smtp-lines.js';

let cert: TestCert;
let cleanup: () => Promise<void>;
before(async () => {
  const { dir, remove } = await tempDir();
  cleanup = remove;
  cert = await makeCert('mx.test', [{ type: 2, value: 'mx.test' }], dir);
});
after(() => cleanup());

/** caps: probe `target` in `world`, with the test's HELO name and no census unless asked. */
function caps(world: MemoryWorld, target: string, options: CapsOptions = {}) {
  return probeCaps(target, { helo: HELO_NAME, census: false, ...world.wiring, ...options });
}

const sent = (outcome: Awaited<ReturnType<typeof probeCaps>>): string[] =>
  outcome.transcript.entries.filter((e) => e.dir === 'send').map((e) => e.line);

describe('caps over the in-memory network', () => {
  test('a name with two addresses: the refused first is passed over, the second greets; every line as scripted', async () => {
    const w = memoryWorld();
    w.hosts.set('mx.test', ['192.0.2.1', '192.0.2.2']);
    const server = w.serve('192.0.2.2:25', [
      greet(),
      ...ehloOk('PIPELINING', 'SIZE 1000'),
      ...quit(),
    ]);
    const outcome = await caps(w, 'mx.test');
    await server.finished();
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    CapsResultSchema.parse(outcome.result);
    assert.deepEqual(w.net.dialled, ['192.0.2.1:25', '192.0.2.2:25']);
    assert.deepEqual(
      outcome.result.attempts.map((a) => [a.address, a.status]),
      [
        ['192.0.2.1', 'connection-refused'],
        ['192.0.2.2', 'ok'],
      ],
    );
    assert.deepEqual(sent(outcome), server.received);
    assert.deepEqual(server.received, [`EHLO ${HELO_NAME}`, 'QUIT']);
    assert.equal(outcome.result.capabilities?.size, 1000);
  });

  test('STARTTLS over in-memory streams: the handshake, the certificate seen, EHLO again, what changed', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:25', [
      greet(),
      ...ehloOk('PIPELINING', 'STARTTLS', 'AUTH PLAIN LOGIN'),
      expect('STARTTLS'),
      send('220 2.0.0 Ready to start TLS'),
      upgradeTls(cert),
      ...ehloOk('PIPELINING', 'AUTH PLAIN LOGIN CRAM-MD5'),
      ...quit(),
    ]);
    const outcome = await caps(w, '192.0.2.1', { tlsName: 'mx.test', caFiles: [cert.certFile] });
    await server.finished();
    assert.equal(outcome.status, 'ok', outcome.error?.message);
    const r = outcome.result;
    assert.equal(r.tls?.outcome, 'ok');
    assert.equal(r.tls?.info?.nameMatch.ok, true);
    assert.equal(r.tls?.info?.trusted.ok, true);
    assert.deepEqual(r.capabilityChanges, { added: ['AUTH CRAM-MD5'], removed: ['STARTTLS'] });
    assert.deepEqual(server.received, [
      `EHLO ${HELO_NAME}`,
      'STARTTLS',
      `EHLO ${HELO_NAME}`,
      'QUIT',
    ]);
  });

  test('a silent server: GREETING_TIMEOUT after the default 30 s of virtual time, the address kept', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:25', [act((conn) => conn.whenClosed)]);
    const outcome = await caps(w, '192.0.2.1');
    await server.finished();
    assert.equal(outcome.error?.code, 'GREETING_TIMEOUT');
    assert.equal(outcome.error?.stage, 'greeting');
    assert.equal(outcome.result.address, '192.0.2.1');
    // The wait was the greeting timeout exactly: the connect took no virtual time.
    assert.equal(w.clock.now(), DEFAULT_TIMEOUTS.greetingMs);
  });

  test('a blackholed address: CONNECT_TIMEOUT at --connect-timeout, then the next address is tried', async () => {
    const w = memoryWorld();
    w.hosts.set('mx.test', ['192.0.2.9', '192.0.2.1']);
    w.net.blackhole('192.0.2.9:25');
    const server = w.serve('192.0.2.1:25', [greet(), ...ehloOk('PIPELINING'), ...quit()]);
    const outcome = await caps(w, 'mx.test', { timeouts: { connectMs: 5_000 } });
    await server.finished();
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(
      outcome.result.attempts.map((a) => [a.address, a.status, a.ms]),
      [
        ['192.0.2.9', 'connection-timeout', 5_000],
        ['192.0.2.1', 'ok', 0],
      ],
    );
  });

  test('--timeout bounds the whole probe: a server slow on every reply is cut at the deadline, not commands × timeout', async () => {
    const w = memoryWorld();
    // Every reply comes just inside the command timeout: no phase ever times out.
    const slow: Step = act(async (conn) => {
      await conn.write('220 mx.test ESMTP\r\n');
      for await (const chunk of conn.socket) {
        for (const line of String(chunk).split('\r\n').filter(Boolean)) {
          await w.clock.sleep(20_000);
          await conn.write(line.startsWith('EHLO') ? '250 mx.test\r\n' : '250 2.0.0 Ok\r\n');
        }
      }
    });
    const server = w.serve('192.0.2.1:25', [slow]);
    const outcome = await caps(w, '192.0.2.1', {
      census: true,
      timeouts: { commandMs: 25_000, targetMs: 90_000 },
    });
    await server.close();
    assert.equal(outcome.error?.code, 'TARGET_TIMEOUT');
    assert.equal(outcome.error?.stage, 'census');
    assert.equal(w.clock.now(), 90_000);
    // EHLO at 20 s, then NOOP, HELP and VRFY answered at 40, 60 and 80 s; EXPN was cut at 90 s.
    assert.deepEqual(
      outcome.result.census?.map((e) => e.verb),
      ['NOOP', 'HELP', 'VRFY'],
    );
  });

  test('a TLS handshake that never completes fails at the named TLS timeout, at stage starttls', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:25', [
      greet(),
      ...ehloOk('STARTTLS'),
      expect('STARTTLS'),
      send('220 2.0.0 Ready to start TLS'),
      act(async (conn) => {
        conn.socket.removeAllListeners('data'); // swallows the ClientHello
        await conn.whenClosed;
      }),
    ]);
    const outcome = await caps(w, '192.0.2.1', { tlsName: 'mx.test' });
    await server.finished();
    assert.equal(outcome.error?.code, 'TLS_HANDSHAKE_FAILED');
    assert.equal(outcome.error?.stage, 'starttls');
    assert.match(outcome.error?.message ?? '', new RegExp(`${DEFAULT_TIMEOUTS.tlsMs}ms`));
    assert.equal(outcome.result.tls?.outcome, 'failed');
    assert.equal(outcome.result.banner?.reply.code, 220, 'what came before is kept');
  });

  test('Ctrl-C mid-census: status aborted, the census so far kept, the session closed', async () => {
    const w = memoryWorld();
    const controller = new AbortController();
    const server = w.serve('192.0.2.1:25', [
      greet(),
      ...ehloOk('PIPELINING'),
      expect('NOOP'),
      send('250 2.0.0 Ok'),
      expect('HELP'),
      act(async (conn) => {
        controller.abort();
        await conn.whenClosed;
      }),
    ]);
    const outcome = await caps(w, '192.0.2.1', { census: true, signal: controller.signal });
    await server.finished();
    assert.equal(outcome.status, 'aborted');
    assert.equal(outcome.error?.code, 'ABORTED');
    assert.deepEqual(
      outcome.result.census?.map((e) => e.verb),
      ['NOOP'],
    );
  });

  test('the plain census against a Postfix with VRFY off, then QUIT', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:25', [
      greet(),
      ...ehloOk('PIPELINING'),
      ...plainCensus(),
      ...quit(),
    ]);
    const outcome = await caps(w, '192.0.2.1', { census: true });
    await server.finished();
    assert.equal(outcome.status, 'ok');
    assert.equal(outcome.result.census?.length, 11);
    assert.equal(server.received.at(-1), 'QUIT');
  });

  test('a shifted census: HELP’s 214 arriving as VRFY’s answer is UNSOLICITED_REPLY, the session’s answers unpaired, no finding from them', async () => {
    // A stray 250 after NOOP's answer became HELP's; HELP's real 214 then came back to VRFY.
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:25', [
      greet(),
      ...ehloOk('PIPELINING'),
      expect('NOOP'),
      send('250 2.0.0 Ok'),
      expect('HELP'),
      send('250 2.0.0 nobody asked'),
      expect('VRFY postmaster'),
      send('214 2.0.0 See https://www.postfix.org/'),
      act((conn) => conn.whenClosed),
    ]);
    const outcome = await caps(w, '192.0.2.1', { census: true });
    await server.finished();
    assert.equal(outcome.status, 'protocol-error');
    assert.equal(outcome.error?.code, 'UNSOLICITED_REPLY');
    assert.match(outcome.error?.message ?? '', /214 2\.0\.0 answers no VRFY/);
    CapsResultSchema.parse(outcome.result);
    assert.deepEqual(
      outcome.result.census?.map((e) => [e.verb, e.support, e.reply?.code]),
      [
        ['NOOP', 'unpaired', 250],
        ['HELP', 'unpaired', 250],
      ],
    );
    assert.ok(!outcome.result.findings.some((f) => /help|noop/i.test(f.id)));
  });

  test('a 554 greeting: QUIT is still said, GREETING_REJECTED, the banner kept', async () => {
    const w = memoryWorld();
    const server = w.serve('192.0.2.1:25', [
      send('554 5.7.1 mx.test no service for you'),
      expect('QUIT'),
      send('221 2.0.0 Bye'),
      close(),
    ]);
    const outcome = await caps(w, '192.0.2.1');
    await server.finished();
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.error?.code, 'GREETING_REJECTED');
    assert.equal(outcome.result.banner?.reply.code, 554);
    assert.equal(outcome.result.banner?.hostname, 'mx.test');
  });
});
