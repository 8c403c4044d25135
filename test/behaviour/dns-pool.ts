/**
 * The pooled UDP transport the audit resolves with, against a real UDP server on loopback: every
 * answer reaches its own query though they come back in reverse order and two queries share an
 * ID (matched by question too, RFC 5452 §9.1); a burst wider than one socket takes several; a
 * query nobody answers still times out; TCP is still a connection per query.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { pooledUdpTransport, QUERIES_PER_SOCKET, TransportError } from '../../src/dns/transport.js';
import { encodeQuery } from '../../src/dns/wire.js';

let server: Socket;
let port: number;
const senders = new Set<number>();
let held: { msg: Buffer; from: { port: number } }[] = [];
let release = QUERIES_PER_SOCKET;

/** answer: the query back with QR set: enough for answerMismatch to take it as the answer. */
const answer = (query: Buffer): Buffer => {
  const a = Buffer.from(query);
  a[2] = (a[2] ?? 0) | 0x80;
  return a;
};

before(async () => {
  server = createSocket('udp4');
  server.on('message', (msg, from) => {
    senders.add(from.port);
    if (msg.includes(Buffer.from('unanswered'))) return;
    held.push({ msg, from });
    // Hold answers until `release` queries are in, then answer the newest first.
    if (held.length < release) return;
    for (const h of held.reverse()) server.send(answer(h.msg), h.from.port, '127.0.0.1');
    held = [];
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  port = server.address().port;
});
after(() => server.close());

const opts = { timeoutMs: 2_000, tcp: false };

test('answers in reverse order, two queries with one ID: each query gets its own answer', async () => {
  const t = pooledUdpTransport();
  release = 4;
  const queries = ['a.test', 'b.test', 'c.test', 'd.test'].map(
    (name, i) => encodeQuery(name, 'A', i < 2 ? 4242 : 1000 + i).bytes,
  );
  const answers = await Promise.all(
    queries.map((q) => t.exchange(q, { address: '127.0.0.1', port }, opts)),
  );
  for (const [i, a] of answers.entries()) {
    assert.deepEqual(a.subarray(12), queries[i]!.subarray(12));
  }
  t.close();
});

test(`a burst wider than ${QUERIES_PER_SOCKET} queries spreads over more sockets, and all are answered`, async () => {
  const t = pooledUdpTransport();
  senders.clear();
  const n = QUERIES_PER_SOCKET * 3;
  release = n;
  const queries = Array.from({ length: n }, (_, i) => encodeQuery(`q${i}.test`, 'A').bytes);
  const answers = await Promise.all(
    queries.map((q) => t.exchange(q, { address: '127.0.0.1', port }, opts)),
  );
  assert.equal(answers.length, n);
  assert.equal(senders.size, 3, 'three sockets, not one per query');
  t.close();
});

test('a query nobody answers times out with a TransportError', async () => {
  const t = pooledUdpTransport();
  await assert.rejects(
    t.exchange(
      encodeQuery('unanswered.test', 'A').bytes,
      { address: '127.0.0.1', port },
      {
        timeoutMs: 50,
        tcp: false,
      },
    ),
    (err: unknown) => err instanceof TransportError && err.kind === 'timeout',
  );
  t.close();
});
