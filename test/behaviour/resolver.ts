/**
 * The Resolver against a real DNS server on loopback (test/support/zone-server):
 * answers with TTLs, null MX, CNAME chains in one answer and across queries,
 * loops, NXDOMAIN vs NODATA, truncation and the TCP retry, garbage, silence,
 * stray packets, SERVFAIL/REFUSED and rotation, cancellation, bad names that
 * never reach the wire, shared in-flight lookups, and the trace of every
 * exchange. Then probeMx when the MX lookup itself fails. Assertions are on
 * what the lookup and the trace say and what the server received; the only
 * clock checks are generous upper bounds proving nothing hangs.
 */
import { test, describe, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver, MAX_CNAME_HOPS, type ResolverOptions } from '../../src/dns/index.js';
import {
  ExchangeSchema,
  LookupSchema,
  type DnsExchange,
  type Lookup,
} from '../../src/schema/dns.js';
import { ProbeError } from '../../src/errors.js';
import { probeMx } from '../../src/probes/mx.js';
import {
  zoneServer,
  type Fault,
  type ZoneRecord,
  type ZoneServer,
} from '../support/zone-server.js';

// A broken resolver may loop or wait for ever; a suite that outlives this fails instead of hanging the run.
const LIMIT = { timeout: 20_000 };

const ZONE: ZoneRecord[] = [
  {
    name: 'example.test',
    type: 'MX',
    ttl: 3600,
    data: { preference: 20, exchange: 'backup.example.test' },
  },
  {
    name: 'example.test',
    type: 'MX',
    ttl: 3600,
    data: { preference: 10, exchange: 'mail.example.test' },
  },
  { name: 'mail.example.test', type: 'A', ttl: 120, data: '192.0.2.25' },
  { name: 'mail.example.test', type: 'A', ttl: 120, data: '192.0.2.26' },
  { name: 'mail.example.test', type: 'AAAA', ttl: 60, data: '2001:db8::25' },
  { name: 'backup.example.test', type: 'A', ttl: 300, data: '192.0.2.50' },
  { name: 'v4only.example.test', type: 'A', ttl: 300, data: '192.0.2.40' },
  { name: 'nullmx.test', type: 'MX', ttl: 86400, data: { preference: 0, exchange: '.' } },
  { name: 'xn--bcher-kva.test', type: 'A', ttl: 300, data: '192.0.2.77' },
  { name: 'txt.example.test', type: 'TXT', ttl: 30, data: ['v=spf1 -all'] },
  // One answer carries the whole chain: www → web → mail.
  { name: 'www.example.test', type: 'CNAME', ttl: 600, data: 'web.example.test' },
  { name: 'web.example.test', type: 'CNAME', ttl: 500, data: 'mail.example.test' },
  // The server stops at the alias (the target is outside its zone): a second query is needed.
  { name: 'alias.example.test', type: 'CNAME', ttl: 600, data: 'far.other.test', chase: false },
  { name: 'far.other.test', type: 'A', ttl: 90, data: '192.0.2.80' },
  { name: 'dangling.example.test', type: 'CNAME', ttl: 600, data: 'gone.example.test' },
  // Loops: inside one answer, and across queries.
  { name: 'loop1.test', type: 'CNAME', ttl: 60, data: 'loop2.test' },
  { name: 'loop2.test', type: 'CNAME', ttl: 60, data: 'loop1.test' },
  { name: 'ping.test', type: 'CNAME', ttl: 60, data: 'pong.test', chase: false },
  { name: 'pong.test', type: 'CNAME', ttl: 60, data: 'ping.test', chase: false },
  // A chain one CNAME longer than the resolver follows: c0 → … → c9, then the address.
  ...Array.from(
    { length: MAX_CNAME_HOPS + 1 },
    (_, i): ZoneRecord => ({ name: `c${i}.test`, type: 'CNAME', ttl: 60, data: `c${i + 1}.test` }),
  ),
  { name: `c${MAX_CNAME_HOPS + 1}.test`, type: 'A', ttl: 60, data: '192.0.2.99' },
];

/** serve: a zone server for this test only, closed when it ends. */
async function serve(
  t: TestContext,
  faults: Fault[] = [],
  host?: '127.0.0.1' | '::1',
): Promise<ZoneServer> {
  const zs = await zoneServer(ZONE, { faults, ...(host ? { host } : {}) });
  t.after(() => zs.close());
  return zs;
}

function resolverFor(servers: ZoneServer[], opts: Partial<ResolverOptions> = {}): Resolver {
  return new Resolver({
    servers: servers.map((s) => ({ address: s.address, port: s.port })),
    timeoutMs: 2_000,
    ...opts,
  });
}

/** brief: the parts of an exchange a test compares (not rtt, not records). */
const brief = (e: DnsExchange): string =>
  `${e.question.type} ${e.question.name} @${e.server}/${e.transport} #${e.attempt} ${e.outcome}${e.rcode ? ` ${e.rcode}` : ''}`;

/** elapsed: how long `fn` took, with its result. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

function checkShapes(lookup: Lookup, exchanges: DnsExchange[]): void {
  LookupSchema.parse(lookup);
  for (const e of exchanges) ExchangeSchema.parse(e);
}

describe('Resolver: answers', LIMIT, () => {
  test('A records with their TTLs, one UDP query with RD and EDNS0 1232, and a full trace', async (t) => {
    const zs = await serve(t);
    const seen: DnsExchange[] = [];
    const r = resolverFor([zs], { onExchange: (e) => seen.push(e) });
    const l = await r.lookup('mail.example.test', 'A');
    checkShapes(l, r.exchanges);
    assert.deepEqual(l, {
      name: 'mail.example.test',
      type: 'A',
      status: 'ok',
      cnameChain: [],
      records: [
        { type: 'A', name: 'mail.example.test', ttl: 120, address: '192.0.2.25' },
        { type: 'A', name: 'mail.example.test', ttl: 120, address: '192.0.2.26' },
      ],
    });
    assert.equal(r.exchanges.length, 1);
    const e = r.exchanges[0]!;
    assert.equal(e.server, `127.0.0.1:${zs.port}`);
    assert.equal(e.transport, 'udp');
    assert.equal(e.attempt, 1);
    assert.equal(e.outcome, 'answer');
    assert.equal(e.rcode, 'NOERROR');
    assert.deepEqual(e.flags, { aa: true, tc: false, rd: true, ra: true, ad: false });
    assert.deepEqual(e.question, { name: 'mail.example.test', type: 'A' });
    assert.equal(e.answers.length, 2);
    assert.ok(typeof e.rttMs === 'number' && e.rttMs >= 0 && e.rttMs < 2_000, `rttMs ${e.rttMs}`);
    assert.deepEqual(seen, r.exchanges, 'onExchange sees every exchange the trace keeps');
    assert.deepEqual(
      zs.queries.map((q) => [q.transport, q.name, q.type, q.rd, q.edns]),
      [['udp', 'mail.example.test', 'A', true, 1232]],
    );
  });

  test('AAAA', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('mail.example.test', 'AAAA');
    assert.equal(l.status, 'ok');
    assert.deepEqual(l.records, [
      { type: 'AAAA', name: 'mail.example.test', ttl: 60, address: '2001:db8::25' },
    ]);
  });

  test("MX records as served (ordering is the walker's job)", async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('example.test', 'MX');
    assert.equal(l.status, 'ok');
    assert.deepEqual(l.records, [
      {
        type: 'MX',
        name: 'example.test',
        ttl: 3600,
        preference: 20,
        exchange: 'backup.example.test',
      },
      {
        type: 'MX',
        name: 'example.test',
        ttl: 3600,
        preference: 10,
        exchange: 'mail.example.test',
      },
    ]);
  });

  test('a null MX comes back with exchange "." (RFC 7505)', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('nullmx.test', 'MX');
    assert.equal(l.status, 'ok');
    assert.deepEqual(l.records, [
      { type: 'MX', name: 'nullmx.test', ttl: 86400, preference: 0, exchange: '.' },
    ]);
  });

  test('TXT is kept as text', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('txt.example.test', 'TXT');
    assert.equal(l.status, 'ok');
    assert.deepEqual(l.records, [
      { type: 'OTHER', name: 'txt.example.test', ttl: 30, rrtype: 'TXT', data: '"v=spf1 -all"' },
    ]);
  });

  test('names are asked in lower-case A-labels: "BÜCHER.test." asks xn--bcher-kva.test', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('BÜCHER.test.', 'A');
    assert.equal(l.name, 'xn--bcher-kva.test');
    assert.equal(l.status, 'ok');
    assert.deepEqual(
      zs.queries.map((q) => q.name),
      ['xn--bcher-kva.test'],
    );
  });

  test('the server can be an IPv6 address: [::1]:port in the trace', async (t) => {
    const zs = await serve(t, [], '::1');
    const r = resolverFor([zs]);
    const l = await r.lookup('mail.example.test', 'AAAA');
    assert.equal(l.status, 'ok');
    assert.equal(r.exchanges[0]!.server, `[::1]:${zs.port}`);
  });
});

describe('Resolver: CNAMEs (RFC 1034 §3.6.2)', LIMIT, () => {
  test('a chain inside one answer: one query, cnameChain lists every name, records from the end', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('www.example.test', 'A');
    assert.equal(l.status, 'ok');
    assert.deepEqual(l.cnameChain, ['www.example.test', 'web.example.test', 'mail.example.test']);
    assert.deepEqual(
      l.records.map((r) => r.type === 'A' && r.address),
      ['192.0.2.25', '192.0.2.26'],
    );
    assert.equal(zs.count(), 1);
  });

  test('an answer that stops at the alias: the target is asked in a second query', async (t) => {
    const zs = await serve(t);
    const r = resolverFor([zs]);
    const l = await r.lookup('alias.example.test', 'A');
    assert.equal(l.status, 'ok');
    assert.deepEqual(l.cnameChain, ['alias.example.test', 'far.other.test']);
    assert.deepEqual(l.records, [
      { type: 'A', name: 'far.other.test', ttl: 90, address: '192.0.2.80' },
    ]);
    assert.deepEqual(
      zs.queries.map((q) => `${q.type} ${q.name}`),
      ['A alias.example.test', 'A far.other.test'],
    );
    assert.deepEqual(
      r.exchanges.map((e) => e.question.name),
      ['alias.example.test', 'far.other.test'],
    );
  });

  test('a loop inside one answer is an error, not a hang', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('loop1.test', 'A');
    assert.equal(l.status, 'error');
    assert.match(l.error ?? '', /loop/i);
    assert.equal(l.records.length, 0);
    assert.equal(zs.count(), 1);
  });

  test('a loop across queries is an error after a bounded number of queries', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('ping.test', 'A');
    assert.equal(l.status, 'error');
    assert.match(l.error ?? '', /loop/i);
    assert.ok(zs.count() <= 3, `${zs.count()} queries`);
  });

  test(`a chain longer than ${MAX_CNAME_HOPS} CNAMEs is an error`, async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('c0.test', 'A');
    assert.equal(l.status, 'error');
    assert.match(l.error ?? '', new RegExp(`${MAX_CNAME_HOPS}`));
    assert.equal(l.records.length, 0);
  });

  test('asking for CNAME itself returns the alias, not its target', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('www.example.test', 'CNAME');
    assert.equal(l.status, 'ok');
    assert.deepEqual(l.records, [
      { type: 'CNAME', name: 'www.example.test', ttl: 600, target: 'web.example.test' },
    ]);
  });
});

describe('Resolver: negative answers (RFC 2308)', LIMIT, () => {
  test("NXDOMAIN: the name does not exist; the SOA is in the trace's authority", async (t) => {
    const zs = await serve(t);
    const r = resolverFor([zs]);
    const l = await r.lookup('nosuch.example.test', 'A');
    assert.deepEqual(l, {
      name: 'nosuch.example.test',
      type: 'A',
      status: 'nxdomain',
      cnameChain: [],
      records: [],
    });
    assert.equal(r.exchanges[0]!.rcode, 'NXDOMAIN');
    assert.deepEqual(
      r.exchanges[0]!.authority.map((a) => a.type === 'OTHER' && a.rrtype),
      ['SOA'],
    );
    assert.equal(zs.count(), 1, 'a negative answer is final: no retry, no other server');
  });

  test('NODATA: the name exists without records of the type', async (t) => {
    const zs = await serve(t);
    const r = resolverFor([zs]);
    const l = await r.lookup('v4only.example.test', 'AAAA');
    assert.deepEqual(l, {
      name: 'v4only.example.test',
      type: 'AAAA',
      status: 'nodata',
      cnameChain: [],
      records: [],
    });
    assert.equal(r.exchanges[0]!.rcode, 'NOERROR');
    assert.equal(zs.count(), 1);
  });

  test('an alias to a name that does not exist is NXDOMAIN, the chain kept (RFC 6604)', async (t) => {
    const zs = await serve(t);
    const l = await resolverFor([zs]).lookup('dangling.example.test', 'A');
    assert.equal(l.status, 'nxdomain');
    assert.deepEqual(l.cnameChain, ['dangling.example.test', 'gone.example.test']);
  });
});

describe('Resolver: truncation, garbage, silence, strays', LIMIT, () => {
  test('TC=1 over UDP: the same server is asked over TCP, both exchanges traced, the first "truncated"', async (t) => {
    const zs = await serve(t, [{ mode: 'truncate', name: 'mail.example.test' }]);
    const r = resolverFor([zs]);
    const l = await r.lookup('mail.example.test', 'A');
    assert.equal(l.status, 'ok');
    assert.equal(l.records.length, 2);
    assert.deepEqual(r.exchanges.map(brief), [
      `A mail.example.test @127.0.0.1:${zs.port}/udp #1 truncated NOERROR`,
      `A mail.example.test @127.0.0.1:${zs.port}/tcp #1 answer NOERROR`,
    ]);
    assert.equal(r.exchanges[0]!.flags?.tc, true);
    assert.deepEqual(
      zs.queries.map((q) => q.transport),
      ['udp', 'tcp'],
    );
  });

  test('TC=1 on an answer cut off inside a record: still a truncation, and TCP gets the whole answer', async (t) => {
    const zs = await serve(t, [{ mode: 'truncate-cut', name: 'mail.example.test' }]);
    const r = resolverFor([zs]);
    const l = await r.lookup('mail.example.test', 'A');
    assert.equal(l.status, 'ok');
    assert.equal(l.records.length, 2);
    assert.deepEqual(
      r.exchanges.map((e) => `${e.transport} #${e.attempt} ${e.outcome}`),
      ['udp #1 truncated', 'tcp #1 answer'],
    );
  });

  test('TCP closed mid-answer after TC=1: that try fails, the next try gets the answer', async (t) => {
    const zs = await serve(t, [{ mode: 'close-mid-answer', times: 2 }]); // the first UDP query (TC) and the first TCP one
    const r = resolverFor([zs]);
    const l = await r.lookup('mail.example.test', 'A');
    assert.equal(l.status, 'ok');
    assert.deepEqual(
      r.exchanges.map((e) => `${e.transport} #${e.attempt} ${e.outcome}`),
      ['udp #1 truncated', 'tcp #1 malformed', 'udp #2 answer'],
    );
    assert.match(r.exchanges[1]!.error ?? '', /mid-answer/);
  });

  test('TCP closed mid-answer every time: status error after 1 + retries tries', async (t) => {
    const zs = await serve(t, [{ mode: 'close-mid-answer' }]);
    const r = resolverFor([zs], { retries: 1 });
    const l = await r.lookup('mail.example.test', 'A');
    assert.equal(l.status, 'error');
    assert.deepEqual(
      r.exchanges.map((e) => `${e.transport} #${e.attempt} ${e.outcome}`),
      ['udp #1 truncated', 'tcp #1 malformed', 'udp #2 truncated', 'tcp #2 malformed'],
    );
  });

  test('garbage: every try is a "malformed" exchange and the lookup ends in status error without waiting for a timeout', async (t) => {
    const zs = await serve(t, [{ mode: 'garbage' }]);
    const r = resolverFor([zs], { timeoutMs: 5_000, retries: 2 });
    const { value: l, ms } = await timed(() => r.lookup('mail.example.test', 'A'));
    assert.equal(l.status, 'error');
    assert.match(l.error ?? '', /malformed|decode/);
    assert.deepEqual(
      r.exchanges.map((e) => `#${e.attempt} ${e.outcome}`),
      ['#1 malformed', '#2 malformed', '#3 malformed'],
    );
    for (const e of r.exchanges) assert.match(e.error ?? '', /cannot decode/);
    assert.equal(zs.count(), 3);
    assert.ok(ms < 5_000, `took ${ms} ms: a malformed answer must not wait out the timeout`);
  });

  test('a silent server: "timeout" after 1 + retries tries, then status timeout', async (t) => {
    const zs = await serve(t, [{ mode: 'silent' }]);
    const r = resolverFor([zs], { timeoutMs: 100, retries: 2 });
    const { value: l, ms } = await timed(() => r.lookup('mail.example.test', 'A'));
    assert.equal(l.status, 'timeout');
    assert.deepEqual(
      r.exchanges.map((e) => `#${e.attempt} ${e.outcome}`),
      ['#1 timeout', '#2 timeout', '#3 timeout'],
    );
    assert.equal(zs.count(), 3);
    assert.ok(ms < 3_000, `took ${ms} ms for 3 tries of 100 ms`);
  });

  test('retries: 0 means one try', async (t) => {
    const zs = await serve(t, [{ mode: 'silent' }]);
    const r = resolverFor([zs], { timeoutMs: 100, retries: 0 });
    assert.equal((await r.lookup('mail.example.test', 'A')).status, 'timeout');
    assert.equal(zs.count(), 1);
  });

  test('a wrong-id packet is ignored and the right answer taken', async (t) => {
    const zs = await serve(t, [{ mode: 'wrong-id-first' }]);
    const r = resolverFor([zs]);
    const l = await r.lookup('mail.example.test', 'A');
    assert.equal(l.status, 'ok', 'the stray (an empty NOERROR) would have made this nodata');
    assert.equal(l.records.length, 2);
    assert.deepEqual(
      r.exchanges.map((e) => e.outcome),
      ['answer'],
    );
    assert.equal(zs.count(), 1);
  });

  test('an answer later than the timeout: the next try is a new query and its answer is taken', async (t) => {
    const zs = await serve(t, [{ mode: 'delay', delayMs: 600, times: 1 }]);
    const r = resolverFor([zs], { timeoutMs: 300 });
    const l = await r.lookup('mail.example.test', 'A');
    assert.equal(l.status, 'ok');
    assert.deepEqual(
      r.exchanges.map((e) => `#${e.attempt} ${e.outcome}`),
      ['#1 timeout', '#2 answer'],
    );
    assert.notEqual(
      zs.queries[0]!.id,
      zs.queries[1]!.id,
      'each try has a fresh id (RFC 5452 §9.2)',
    );
  });

  test('an answer slower than usual but within the timeout is taken on the first try', async (t) => {
    const zs = await serve(t, [{ mode: 'delay', delayMs: 50 }]);
    const r = resolverFor([zs], { timeoutMs: 2_000 });
    assert.equal((await r.lookup('mail.example.test', 'A')).status, 'ok');
    assert.equal(zs.count(), 1);
  });
});

describe('Resolver: several servers (RFC 1035 §7.2)', LIMIT, () => {
  test('the second server is asked after the first times out', async (t) => {
    const [a, b] = [await serve(t, [{ mode: 'silent' }]), await serve(t)];
    const r = resolverFor([a, b], { timeoutMs: 150 });
    const l = await r.lookup('mail.example.test', 'A');
    assert.equal(l.status, 'ok');
    assert.deepEqual(r.exchanges.map(brief), [
      `A mail.example.test @127.0.0.1:${a.port}/udp #1 timeout`,
      `A mail.example.test @127.0.0.1:${b.port}/udp #2 answer NOERROR`,
    ]);
    assert.deepEqual([a.count(), b.count()], [1, 1]);
  });

  test('SERVFAIL from one server moves to the next', async (t) => {
    const [a, b] = [await serve(t, [{ mode: 'servfail' }]), await serve(t)];
    const r = resolverFor([a, b]);
    const l = await r.lookup('example.test', 'MX');
    assert.equal(l.status, 'ok');
    assert.deepEqual(
      r.exchanges.map((e) => `${e.server} #${e.attempt} ${e.rcode}`),
      [`127.0.0.1:${a.port} #1 SERVFAIL`, `127.0.0.1:${b.port} #2 NOERROR`],
    );
  });

  test('REFUSED from one server moves to the next', async (t) => {
    const [a, b] = [await serve(t, [{ mode: 'refused' }]), await serve(t)];
    const l = await resolverFor([a, b]).lookup('example.test', 'MX');
    assert.equal(l.status, 'ok');
    assert.deepEqual([a.count(), b.count()], [1, 1]);
  });

  test('SERVFAIL everywhere: status servfail, naming the server', async (t) => {
    const [a, b] = [await serve(t, [{ mode: 'servfail' }]), await serve(t, [{ mode: 'servfail' }])];
    const l = await resolverFor([a, b]).lookup('example.test', 'MX');
    assert.equal(l.status, 'servfail');
    assert.match(l.error ?? '', /SERVFAIL/);
    assert.ok(a.count() >= 1 && b.count() >= 1);
  });

  test('REFUSED from the only server: status refused', async (t) => {
    const zs = await serve(t, [{ mode: 'refused' }]);
    const l = await resolverFor([zs]).lookup('example.test', 'MX');
    assert.equal(l.status, 'refused');
  });

  test('NOTIMP is an error, never NODATA (no records does not mean none exist)', async (t) => {
    const zs = await serve(t, [{ mode: 'notimp' }]);
    const l = await resolverFor([zs]).lookup('example.test', 'MX');
    assert.equal(l.status, 'error');
    assert.match(l.error ?? '', /NOTIMP/);
  });

  test('a port nobody listens on (ICMP unreachable) is a network-error; the next server answers', async (t) => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        const { port } = s.address();
        s.close(() => resolve(port));
      });
    });
    const b = await serve(t);
    const r = new Resolver({
      servers: [
        { address: '127.0.0.1', port: closedPort },
        { address: b.address, port: b.port },
      ],
      timeoutMs: 2_000,
    });
    const l = await r.lookup('mail.example.test', 'A');
    assert.equal(l.status, 'ok');
    assert.deepEqual(
      r.exchanges.map((e) => `#${e.attempt} ${e.outcome}`),
      ['#1 network-error', '#2 answer'],
    );
  });
});

describe('Resolver: input, cancellation, sharing', LIMIT, () => {
  const bad: [string, RegExp][] = [
    [`${'a'.repeat(64)}.test`, /64 octets/],
    ['a..b.test', /empty/],
    ['.example.test', /empty/],
    ['mail.example.test\r\nX', /CR/],
    ['mail\u0000.example.test', /NUL/],
    ['192.0.2.25', /IP address/],
    [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, /254 octets/],
  ];
  for (const [name, why] of bad) {
    test(`${JSON.stringify(name.length > 30 ? `${name.slice(0, 30)}…` : name)} rejects with INVALID_INPUT and nothing reaches the server`, async (t) => {
      const zs = await serve(t);
      const r = resolverFor([zs]);
      const p = r.lookup(name, 'A');
      assert.ok(p instanceof Promise, 'a bad name is a rejection, not a synchronous throw');
      await assert.rejects(
        p,
        (err: unknown) =>
          err instanceof ProbeError &&
          err.code === 'INVALID_INPUT' &&
          err.stage === 'input' &&
          why.test(err.message),
      );
      assert.equal(zs.count(), 0);
      assert.deepEqual(r.exchanges, []);
    });
  }

  test('an unknown query type rejects with INVALID_INPUT and nothing is sent', async (t) => {
    const zs = await serve(t);
    await assert.rejects(resolverFor([zs]).lookup('example.test', 'ANY' as never), {
      code: 'INVALID_INPUT',
    });
    assert.equal(zs.count(), 0);
  });

  test('aborting stops a lookup waiting on a silent server: ABORTED at stage resolve, no further try', async (t) => {
    const zs = await serve(t, [{ mode: 'silent' }]);
    const ac = new AbortController();
    const r = resolverFor([zs], { timeoutMs: 10_000, retries: 2, signal: ac.signal });
    const { ms } = await timed(async () => {
      const p = r.lookup('mail.example.test', 'A');
      await zs.received(1);
      ac.abort();
      await assert.rejects(
        p,
        (err: unknown) =>
          err instanceof ProbeError && err.code === 'ABORTED' && err.stage === 'resolve',
      );
    });
    assert.ok(ms < 5_000, `took ${ms} ms with a 10 s timeout: the abort did not stop it`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(zs.count(), 1, 'no try after the abort');
  });

  test('an already-aborted signal: nothing is sent', async (t) => {
    const zs = await serve(t);
    const r = resolverFor([zs], { signal: AbortSignal.abort() });
    await assert.rejects(r.lookup('mail.example.test', 'A'), { code: 'ABORTED' });
    assert.equal(zs.count(), 0);
  });

  test('a timeout signal (the whole-target deadline) rejects with TARGET_TIMEOUT', async (t) => {
    const zs = await serve(t, [{ mode: 'silent' }]);
    const r = resolverFor([zs], { timeoutMs: 10_000, signal: AbortSignal.timeout(100) });
    await assert.rejects(r.lookup('mail.example.test', 'A'), {
      code: 'TARGET_TIMEOUT',
      stage: 'resolve',
    });
  });

  test('identical lookups at the same time share one query (the same name in any spelling)', async (t) => {
    const zs = await serve(t, [{ mode: 'delay', delayMs: 50 }]);
    const r = resolverFor([zs]);
    const all = await Promise.all([
      r.lookup('mail.example.test', 'A'),
      r.lookup('MAIL.example.test', 'A'),
      r.lookup('mail.example.test.', 'A'),
      r.lookup('mail.example.test', 'AAAA'),
    ]);
    assert.deepEqual(
      all.map((l) => l.status),
      ['ok', 'ok', 'ok', 'ok'],
    );
    assert.deepEqual(all[1], all[0]);
    assert.deepEqual(all[2], all[0]);
    assert.deepEqual(zs.queries.map((q) => q.type).sort(), ['A', 'AAAA']);
    assert.equal(r.exchanges.length, 2);
    // No cache: once finished, the same lookup asks again.
    await r.lookup('mail.example.test', 'A');
    assert.equal(zs.count({ type: 'A' }), 2);
  });

  test('every exchange of a mixed run fits the schema the JSON output promises', async (t) => {
    const [a, b] = [
      await serve(t, [
        { mode: 'servfail', name: 'example.test' },
        { mode: 'truncate', name: 'mail.example.test' },
      ]),
      await serve(t),
    ];
    const r = resolverFor([a, b]);
    await Promise.all([
      r.lookup('example.test', 'MX'),
      r.lookup('mail.example.test', 'A'),
      r.lookup('www.example.test', 'AAAA'),
      r.lookup('nosuch.test', 'A'),
    ]);
    assert.ok(r.exchanges.length >= 5);
    for (const e of r.exchanges) {
      ExchangeSchema.parse(e);
      assert.match(e.server, /^127\.0\.0\.1:\d+$/);
      assert.ok(e.attempt >= 1);
      if (e.outcome === 'answer' || e.outcome === 'truncated')
        assert.ok(e.rcode && e.flags, `${brief(e)} lacks rcode or flags`);
      assert.ok(e.rttMs >= 0);
    }
  });
});

describe('probeMx when the MX lookup fails', LIMIT, () => {
  const DNS_TIMEOUT_MS = 100;
  // probeMx asks with the resolver's default retries (2): three tries of DNS_TIMEOUT_MS, plus generous slack.
  const BUDGET_MS = 3 * DNS_TIMEOUT_MS + 2_000;

  for (const mode of ['garbage', 'silent'] as const) {
    test(`${mode} for the MX query: host-unreachable, RESOLVE_FAILED at resolve, within the DNS budget, the failed exchanges in result.dns`, async (t) => {
      const zs = await serve(t, [{ mode, type: 'MX' }]);
      const out = await probeMx('example.test', {
        resolvers: [zs.resolver],
        dnsTimeoutMs: DNS_TIMEOUT_MS,
        timeouts: { targetMs: 30_000 },
      });
      assert.equal(out.status, 'host-unreachable');
      assert.equal(out.error?.code, 'RESOLVE_FAILED');
      assert.equal(out.error?.stage, 'resolve');
      assert.match(out.error?.message ?? '', /MX lookup for example\.test failed/);
      assert.ok(out.durationMs < BUDGET_MS, `took ${out.durationMs} ms`);
      const want = mode === 'garbage' ? 'malformed' : 'timeout';
      assert.deepEqual(
        out.result.dns.map(
          (e) => `${e.question.type} ${e.question.name} #${e.attempt} ${e.outcome}`,
        ),
        [1, 2, 3].map((n) => `MX example.test #${n} ${want}`),
      );
      assert.equal(out.result.mxLookup?.status, mode === 'garbage' ? 'error' : 'timeout');
      assert.deepEqual(out.result.hosts, []);
      assert.equal(zs.count({ type: 'MX' }), 3);
      assert.equal(zs.count(), 3, 'no address lookups after the MX lookup failed');
    });
  }

  const invalid: [string, string][] = [
    ['a label over 63 octets', `${'a'.repeat(64)}.test`],
    ['a control byte', 'example.test\r\nRCPT TO:<x>'],
    ['an empty label', 'example..test'],
  ];
  for (const [what, domain] of invalid) {
    test(`${what}: INVALID_INPUT and the server saw no query`, async (t) => {
      const zs = await serve(t);
      await assert.rejects(
        probeMx(domain, { resolvers: [zs.resolver], dnsTimeoutMs: DNS_TIMEOUT_MS }),
        (err: unknown) =>
          err instanceof ProbeError && err.code === 'INVALID_INPUT' && err.stage === 'input',
      );
      assert.equal(zs.count(), 0);
    });
  }
});
