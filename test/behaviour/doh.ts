/**
 * dohTransport (RFC 8484) against an in-process HTTPS server on loopback whose
 * certificate comes from a CA made here. The server answers /dns-query from
 * a small lab zone (answerQuery), or misbehaves as a test asks: HTTP 500, a
 * redirect, the wrong content type, a body too big for a DNS message,
 * silence, an answer to another question. Assertions are on the Lookup, the
 * trace, the TransportError's kind and message, and what the server received.
 */
import { test, describe, type TestContext, before } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { Resolver } from '../../src/dns/resolver.js';
import { dohTransport, DOH_MEDIA_TYPE, type DohTransport } from '../../src/dns/doh.js';
import { TransportError } from '../../src/dns/transport.js';
import { encodeQuery } from '../../src/dns/wire.js';
import { ExchangeSchema } from '../../src/schema/dns.js';
import { answerQuery, Zone } from '../../src/lab/index.js';

const LIMIT = { timeout: 20_000 };

const ZONE = new Zone([
  {
    name: 'doh.test',
    type: 'MX',
    ttl: 3600,
    data: { preference: 10, exchange: 'mail.doh.test' },
  },
  { name: 'mail.doh.test', type: 'A', ttl: 300, data: '192.0.2.53' },
  { name: 'other.doh.test', type: 'A', ttl: 300, data: '192.0.2.99' },
]);

/** Mode: how the server handles a POST to /dns-query. */
type Mode =
  | 'answer'
  | 'status-500'
  | 'redirect'
  | 'wrong-type'
  | 'huge'
  | 'silent'
  | 'other-question';

/** Received: one request as the server saw it. */
interface Received {
  method: string;
  path: string;
  contentType: string | undefined;
  accept: string | undefined;
  body: Buffer;
}

interface Pki {
  caCert: string;
  key: string;
  cert: string;
}

let pki: Pki;

/** makePki: a CA and a leaf for 127.0.0.1 signed by it (only the leaf is served, as real servers do). */
async function makePki(): Promise<Pki> {
  const { generate } = await import('selfsigned');
  const ca = await generate([{ name: 'commonName', value: 'doh test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: 'doh.test' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  return { caCert: ca.cert, key: leaf.private, cert: leaf.cert };
}

/** Reply: a response to send; undefined: send nothing. `length: false` sends the body chunked, undeclared. */
type Reply =
  | { status: number; type: string; body: Buffer; length?: false; location?: string }
  | undefined;

/** reply: the response `mode` calls for to `query`. */
function reply(mode: Mode, query: Buffer): Reply {
  const dns = (q: Buffer): Buffer => answerQuery(ZONE, q, 'tcp').response ?? Buffer.alloc(0);
  switch (mode) {
    case 'answer':
      return { status: 200, type: DOH_MEDIA_TYPE, body: dns(query) };
    case 'status-500':
      return { status: 500, type: 'text/plain', body: Buffer.from('internal error') };
    case 'redirect':
      return {
        status: 302,
        type: 'text/plain',
        body: Buffer.alloc(0),
        location: 'https://127.0.0.1:1/dns-query',
      };
    case 'wrong-type':
      return { status: 200, type: 'text/html; charset=utf-8', body: dns(query) };
    case 'huge':
      // Chunked, so only counting the bytes read can catch it (no content-length to refuse early).
      return { status: 200, type: DOH_MEDIA_TYPE, body: Buffer.alloc(70_000), length: false };
    case 'silent':
      return undefined; // headers never come
    case 'other-question': {
      // Our ID, QR set, a real answer, but to a question we did not ask.
      const other = encodeQuery('other.doh.test', 'A', query.readUInt16BE(0)).bytes;
      return { status: 200, type: DOH_MEDIA_TYPE, body: dns(other) };
    }
  }
}

/** send: `r` on `res`. */
function send(r: Reply, res: ServerResponse): void {
  if (!r) return;
  res.writeHead(r.status, {
    'content-type': r.type,
    ...(r.length === false ? {} : { 'content-length': r.body.length }),
    ...(r.location ? { location: r.location } : {}),
  });
  res.end(r.body);
}

interface DohServer {
  url: string;
  port: number;
  received: Received[];
}

/** serve: an HTTPS DoH server on 127.0.0.1:0 for this test, presenting `cert`; closed (connections and all) when it ends. */
async function serve(t: TestContext, mode: Mode): Promise<DohServer> {
  const received: Received[] = [];
  const server: Server = createServer(
    { key: pki.key, cert: pki.cert },
    (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          accept: req.headers.accept,
          body,
        });
        if (req.url !== '/dns-query') {
          res.writeHead(404).end();
          return;
        }
        send(reply(mode, body), res);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const { port } = server.address() as AddressInfo;
  return { url: `https://127.0.0.1:${port}/dns-query`, port, received };
}

/** transportFor: a DoH transport trusting the test CA (or nothing but the system store), closed after the test. */
function transportFor(t: TestContext, s: DohServer, trustTestCa = true): DohTransport {
  const trust = { source: 'the test CA', context: createSecureContext({ ca: pki.caCert }) };
  const transport = dohTransport(s.url, trustTestCa ? { trust } : {});
  t.after(() => transport.close());
  return transport;
}

/** failure: the TransportError one exchange for mail.doh.test A rejects with. */
async function failure(
  transport: DohTransport,
  s: DohServer,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<TransportError> {
  const query = encodeQuery('mail.doh.test', 'A').bytes;
  const err = await transport
    .exchange(
      query,
      { address: '127.0.0.1', port: s.port },
      { timeoutMs: 2_000, tcp: false, ...opts },
    )
    .then(
      () => assert.fail('the exchange resolved'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof TransportError, `not a TransportError: ${String(err)}`);
  return err;
}

before(async () => {
  pki = await makePki();
});

describe('dohTransport: answers through a Resolver', LIMIT, () => {
  test('an A and an MX lookup, each one POST of application/dns-message, traced as https', async (t) => {
    const s = await serve(t, 'answer');
    const transport = transportFor(t, s);
    const r = new Resolver({
      servers: [{ address: '127.0.0.1', port: s.port }],
      transport,
      retries: 0,
    });
    const a = await r.lookup('mail.doh.test', 'A');
    assert.equal(a.status, 'ok', a.error);
    assert.deepEqual(a.records, [
      { type: 'A', name: 'mail.doh.test', ttl: 300, address: '192.0.2.53' },
    ]);
    const mx = await r.lookup('doh.test', 'MX');
    assert.equal(mx.status, 'ok', mx.error);
    assert.deepEqual(mx.records, [
      { type: 'MX', name: 'doh.test', ttl: 3600, preference: 10, exchange: 'mail.doh.test' },
    ]);
    assert.equal(s.received.length, 2);
    for (const got of s.received) {
      assert.equal(got.method, 'POST');
      assert.equal(got.path, '/dns-query');
      assert.equal(got.contentType, DOH_MEDIA_TYPE);
      assert.equal(got.accept, DOH_MEDIA_TYPE);
      assert.notEqual(got.body.readUInt16BE(0), 0, 'kept a random ID (a 1-in-65536 flake if not)');
    }
    assert.deepEqual(
      r.exchanges.map((e) => `${e.transport} ${e.server} ${e.outcome} ${e.rcode}`),
      [`https 127.0.0.1:${s.port} answer NOERROR`, `https 127.0.0.1:${s.port} answer NOERROR`],
    );
    for (const e of r.exchanges) ExchangeSchema.parse(e);
    t.diagnostic(`loopback round trips: ${r.exchanges.map((e) => `${e.rttMs} ms`).join(', ')}`);
  });

  test('a plain http: URL is refused before anything is sent (RFC 8484 §5.1)', () => {
    assert.throws(() => dohTransport('http://127.0.0.1/dns-query'), /not https/);
  });
});

describe('dohTransport: failures', LIMIT, () => {
  test('HTTP 500 is a network-error naming the status', async (t) => {
    const s = await serve(t, 'status-500');
    const err = await failure(transportFor(t, s), s);
    assert.equal(err.kind, 'network-error');
    assert.match(err.message, /HTTP 500/);
  });

  test('a redirect is not followed: a network-error naming the status and where it pointed', async (t) => {
    const s = await serve(t, 'redirect');
    const err = await failure(transportFor(t, s), s);
    assert.equal(err.kind, 'network-error');
    assert.match(
      err.message,
      /HTTP 302 \(a redirect to https:\/\/127\.0\.0\.1:1\/dns-query, not followed\)/,
    );
    assert.equal(s.received.length, 1);
  });

  test('the wrong content type is malformed', async (t) => {
    const s = await serve(t, 'wrong-type');
    const err = await failure(transportFor(t, s), s);
    assert.equal(err.kind, 'malformed');
    assert.match(
      err.message,
      /content-type "text\/html; charset=utf-8", not application\/dns-message/,
    );
  });

  test('a body over 65535 bytes is malformed', async (t) => {
    const s = await serve(t, 'huge');
    const err = await failure(transportFor(t, s), s);
    assert.equal(err.kind, 'malformed');
    assert.match(err.message, /sent more than 65535 bytes; a DNS message is at most 65535 bytes/);
  });

  test('an answer to another question is malformed', async (t) => {
    const s = await serve(t, 'other-question');
    const err = await failure(transportFor(t, s), s);
    assert.equal(err.kind, 'malformed');
    assert.match(err.message, /answered something else: question is for "other\.doh\.test"/);
  });

  test('a server that never answers is a timeout at the deadline', async (t) => {
    const s = await serve(t, 'silent');
    const t0 = performance.now();
    const err = await failure(transportFor(t, s), s, { timeoutMs: 300 });
    const ms = performance.now() - t0;
    assert.equal(err.kind, 'timeout');
    assert.match(err.message, /within 300ms/);
    assert.ok(ms >= 290 && ms < 2_000, `took ${ms} ms`);
  });

  test("the caller's signal is aborted, not a timeout", async (t) => {
    const s = await serve(t, 'silent');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await failure(transportFor(t, s), s, { signal: controller.signal });
    assert.equal(err.kind, 'aborted');
  });

  test('a certificate the client does not trust is a network-error naming TLS', async (t) => {
    const s = await serve(t, 'answer');
    const err = await failure(transportFor(t, s, false), s);
    assert.equal(err.kind, 'network-error');
    assert.match(
      err.message,
      /^TLS with 127\.0\.0\.1:\d+ failed: .*UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
    assert.equal(s.received.length, 0, 'no request got through');
  });
});
