/**
 * Resolver behaviour against a real (tiny) DNS server on loopback: records
 * with TTLs, CNAME chains in one answer and across queries, loops, NXDOMAIN
 * vs NODATA, names refused before anything is sent, and identical concurrent
 * lookups sharing one query. Every Lookup and exchange is checked against
 * its schema.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver, type ResolverOptions } from '../../src/dns/index.js';
import { ExchangeSchema, LookupSchema, type Lookup, type QueryType } from '../../src/schema/dns.js';
import { ProbeError } from '../../src/errors.js';
import { startDnsServer, TEST_ZONE, type TestDnsServer } from '../support/dns-server.js';

let dns: TestDnsServer;
let noChase: TestDnsServer;
before(async () => {
  dns = await startDnsServer(TEST_ZONE);
  noChase = await startDnsServer({ ...TEST_ZONE, chaseCnames: false });
});
after(async () => {
  await dns.close();
  await noChase.close();
});

/** ask: one lookup on a fresh resolver; the lookup and trace are schema-checked. */
async function ask(
  name: string,
  type: QueryType,
  server = dns,
  opts: Partial<ResolverOptions> = {},
): Promise<{ lookup: Lookup; resolver: Resolver }> {
  const resolver = new Resolver({ servers: [server.server], timeoutMs: 1000, ...opts });
  const lookup = await resolver.lookup(name, type);
  LookupSchema.parse(lookup);
  for (const e of resolver.exchanges) ExchangeSchema.parse(e);
  return { lookup, resolver };
}

describe('answers', () => {
  test('A: records with TTLs, and one exchange that shows the server, flags and rcode', async () => {
    const { lookup, resolver } = await ask('mail.lab.test', 'A');
    assert.deepEqual(lookup, {
      name: 'mail.lab.test',
      type: 'A',
      status: 'ok',
      cnameChain: [],
      records: [{ type: 'A', name: 'mail.lab.test', ttl: 300, address: '192.0.2.25' }],
    });
    assert.equal(resolver.exchanges.length, 1);
    const [e] = resolver.exchanges;
    assert.deepEqual(
      { ...e, rttMs: 0 },
      {
        server: `127.0.0.1:${dns.port}`,
        transport: 'udp',
        question: { name: 'mail.lab.test', type: 'A' },
        attempt: 1,
        outcome: 'answer',
        rcode: 'NOERROR',
        flags: { aa: true, tc: false, rd: true, ra: true, ad: false },
        answers: lookup.records,
        authority: [],
        rttMs: 0,
      },
    );
  });

  test('AAAA', async () => {
    const { lookup } = await ask('mail.lab.test', 'AAAA');
    assert.deepEqual(lookup.records, [
      { type: 'AAAA', name: 'mail.lab.test', ttl: 301, address: '2001:db8::25' },
    ]);
  });

  test('MX: every record with preference, exchange and TTL', async () => {
    const { lookup } = await ask('lab.test', 'MX');
    assert.equal(lookup.status, 'ok');
    assert.deepEqual(lookup.records, [
      { type: 'MX', name: 'lab.test', ttl: 3600, preference: 10, exchange: 'mail.lab.test' },
      { type: 'MX', name: 'lab.test', ttl: 3600, preference: 20, exchange: 'backup.lab.test' },
    ]);
  });

  test('null MX (RFC 7505): exchange "."', async () => {
    const { lookup } = await ask('nullmx.lab.test', 'MX');
    assert.deepEqual(lookup.records, [
      { type: 'MX', name: 'nullmx.lab.test', ttl: 600, preference: 0, exchange: '.' },
    ]);
  });

  test('TXT is kept as text', async () => {
    const { lookup } = await ask('lab.test', 'TXT');
    assert.deepEqual(lookup.records, [
      { type: 'OTHER', name: 'lab.test', ttl: 900, rrtype: 'TXT', data: '"v=spf1 -all"' },
    ]);
  });

  test('the name is normalized first: case, root dot, IDN to A-labels (the question shows the A-label)', async () => {
    const upper = await ask('MAIL.Lab.Test.', 'A');
    assert.equal(upper.lookup.name, 'mail.lab.test');
    assert.equal(upper.lookup.status, 'ok');
    const idn = await ask('bücher.lab.test', 'A');
    assert.equal(idn.lookup.name, 'xn--bcher-kva.lab.test');
    assert.deepEqual(
      idn.lookup.records.map((r) => r.type === 'A' && r.address),
      ['192.0.2.44'],
    );
    assert.deepEqual(idn.resolver.exchanges[0]!.question, {
      name: 'xn--bcher-kva.lab.test',
      type: 'A',
    });
  });
});

describe('CNAME', () => {
  test('a chain inside one answer: one query, the chain from the asked name to the canonical one', async () => {
    const { lookup, resolver } = await ask('www.lab.test', 'A');
    assert.equal(lookup.status, 'ok');
    assert.deepEqual(lookup.cnameChain, ['www.lab.test', 'web.lab.test', 'mail.lab.test']);
    assert.deepEqual(lookup.records, [
      { type: 'A', name: 'mail.lab.test', ttl: 300, address: '192.0.2.25' },
    ]);
    assert.equal(resolver.exchanges.length, 1);
    assert.deepEqual(
      resolver.exchanges[0]!.answers.map((r) => r.type),
      ['CNAME', 'CNAME', 'A'],
    );
  });

  test('an answer that stops at an alias: the target is asked next, each hop in the trace', async () => {
    const { lookup, resolver } = await ask('www.lab.test', 'A', noChase);
    assert.equal(lookup.status, 'ok');
    assert.deepEqual(lookup.cnameChain, ['www.lab.test', 'web.lab.test', 'mail.lab.test']);
    assert.deepEqual(
      lookup.records.map((r) => r.type === 'A' && r.address),
      ['192.0.2.25'],
    );
    assert.deepEqual(
      resolver.exchanges.map((e) => e.question.name),
      ['www.lab.test', 'web.lab.test', 'mail.lab.test'],
    );
  });

  test('8 CNAMEs are followed; 9 are an error', async () => {
    const eight = await ask('eight0.lab.test', 'A');
    assert.equal(eight.lookup.status, 'ok');
    assert.equal(eight.lookup.cnameChain.length, 9);
    const nine = await ask('nine0.lab.test', 'A', noChase);
    assert.equal(nine.lookup.status, 'error');
    assert.match(nine.lookup.error ?? '', /more than 8 CNAMEs from nine0\.lab\.test/);
    assert.equal(nine.resolver.exchanges.length, 9, 'stops asking once the limit is passed');
  });

  test('a loop inside one answer → error naming the loop', async () => {
    const { lookup, resolver } = await ask('loop-a.lab.test', 'A');
    assert.equal(lookup.status, 'error');
    assert.equal(lookup.error, 'CNAME loop: loop-a.lab.test → loop-b.lab.test → loop-a.lab.test');
    assert.equal(resolver.exchanges.length, 1);
  });

  test('a loop across queries → error, no query repeated', async () => {
    const { lookup, resolver } = await ask('loop-a.lab.test', 'A', noChase);
    assert.equal(lookup.status, 'error');
    assert.match(
      lookup.error ?? '',
      /^CNAME loop: loop-a\.lab\.test → loop-b\.lab\.test → loop-a\.lab\.test$/,
    );
    assert.deepEqual(
      resolver.exchanges.map((e) => e.question.name),
      ['loop-a.lab.test', 'loop-b.lab.test'],
    );
  });

  test('asking for CNAME returns the alias itself, not its target', async () => {
    const { lookup } = await ask('www.lab.test', 'CNAME');
    assert.deepEqual(lookup, {
      name: 'www.lab.test',
      type: 'CNAME',
      status: 'ok',
      cnameChain: [],
      records: [{ type: 'CNAME', name: 'www.lab.test', ttl: 120, target: 'web.lab.test' }],
    });
  });
});

describe('negative answers (RFC 2308)', () => {
  test('NXDOMAIN: the name does not exist; the SOA is in the trace', async () => {
    const { lookup, resolver } = await ask('nope.lab.test', 'A');
    assert.deepEqual(lookup, {
      name: 'nope.lab.test',
      type: 'A',
      status: 'nxdomain',
      cnameChain: [],
      records: [],
    });
    const [e] = resolver.exchanges;
    assert.equal(e!.rcode, 'NXDOMAIN');
    assert.deepEqual(
      e!.authority.map((r) => r.type === 'OTHER' && r.rrtype),
      ['SOA'],
    );
  });

  test('NODATA: the name exists without records of the type', async () => {
    const { lookup, resolver } = await ask('mail.lab.test', 'MX');
    assert.deepEqual(lookup, {
      name: 'mail.lab.test',
      type: 'MX',
      status: 'nodata',
      cnameChain: [],
      records: [],
    });
    assert.equal(resolver.exchanges[0]!.rcode, 'NOERROR');
  });

  test('NODATA for an empty non-terminal, NXDOMAIN beside it', async () => {
    assert.equal((await ask('sub.lab.test', 'A')).lookup.status, 'nodata');
    assert.equal((await ask('other.sub.lab.test', 'A')).lookup.status, 'nxdomain');
  });

  test('NXDOMAIN at the end of a chain (RFC 6604) keeps the chain', async () => {
    const { lookup } = await ask('alias.lab.test', 'A');
    assert.equal(lookup.status, 'nxdomain');
    assert.deepEqual(lookup.cnameChain, ['alias.lab.test', 'gone.lab.test']);
  });
});

describe('before anything is sent', () => {
  test('invalid names and types → INVALID_INPUT, and the server saw no query', async () => {
    const server = await startDnsServer(TEST_ZONE);
    try {
      const resolver = new Resolver({ servers: [server.server], timeoutMs: 1000 });
      const bad: [string, QueryType][] = [
        ['a..lab.test', 'A'],
        [`${'x'.repeat(64)}.lab.test`, 'A'],
        ['mail.lab.test\r\nRCPT', 'A'],
        ['192.0.2.1', 'A'],
        ['', 'MX'],
        ['mail.lab.test', 'SOA' as QueryType],
      ];
      for (const [name, type] of bad) {
        await assert.rejects(
          resolver.lookup(name, type),
          (err: unknown) =>
            err instanceof ProbeError && err.code === 'INVALID_INPUT' && err.stage === 'input',
        );
      }
      // A valid lookup afterwards: loopback delivers in order, so any earlier query would be seen first.
      assert.equal((await resolver.lookup('mail.lab.test', 'A')).status, 'ok');
      assert.deepEqual(
        server.queries.map((q) => q.name),
        ['mail.lab.test'],
      );
      assert.equal(resolver.exchanges.length, 1);
    } finally {
      await server.close();
    }
  });

  test('a resolver without servers is refused', () => {
    assert.throws(() => new Resolver({ servers: [] }), { code: 'INVALID_INPUT' });
  });

  test('the query carries RD and EDNS0 with a 1232-byte payload', async () => {
    const server = await startDnsServer(TEST_ZONE);
    try {
      await new Resolver({ servers: [server.server] }).lookup('mail.lab.test', 'A');
      assert.deepEqual(
        server.queries.map(({ transport, name, type, rd, ednsUdpSize }) => ({
          transport,
          name,
          type,
          rd,
          ednsUdpSize,
        })),
        [{ transport: 'udp', name: 'mail.lab.test', type: 'A', rd: true, ednsUdpSize: 1232 }],
      );
    } finally {
      await server.close();
    }
  });
});

describe('concurrency and the trace', () => {
  test('identical concurrent lookups share one query; a later one asks again (no cache)', async () => {
    const server = await startDnsServer(TEST_ZONE, { delayMs: 30 });
    try {
      const seen: string[] = [];
      const resolver = new Resolver({
        servers: [server.server],
        onExchange: (e) => seen.push(`${e.question.name}/${e.question.type}`),
      });
      const [one, two, aaaa] = await Promise.all([
        resolver.lookup('mail.lab.test', 'A'),
        resolver.lookup('MAIL.lab.test.', 'A'),
        resolver.lookup('mail.lab.test', 'AAAA'),
      ]);
      assert.equal(one, two, 'the same Lookup for both callers');
      assert.equal(one.status, 'ok');
      assert.equal(aaaa.status, 'ok');
      assert.equal(server.queries.filter((q) => q.type === 'A').length, 1);
      assert.equal(server.queries.filter((q) => q.type === 'AAAA').length, 1);
      await resolver.lookup('mail.lab.test', 'A');
      assert.equal(server.queries.filter((q) => q.type === 'A').length, 2);
      assert.deepEqual(seen.sort(), ['mail.lab.test/A', 'mail.lab.test/A', 'mail.lab.test/AAAA']);
      assert.equal(resolver.exchanges.length, 3);
    } finally {
      await server.close();
    }
  });

  test('over IPv6 loopback', async () => {
    const server = await startDnsServer(TEST_ZONE, { host: '::1' });
    try {
      const { lookup, resolver } = await ask('mail.lab.test', 'A', server);
      assert.equal(lookup.status, 'ok');
      assert.equal(resolver.exchanges[0]!.server, `[::1]:${server.port}`);
    } finally {
      await server.close();
    }
  });
});
