/**
 * Resolver behaviour when servers misbehave: truncation and the TCP retry,
 * garbage, silence, stray packets, SERVFAIL/REFUSED, refused ports, slowness,
 * rotation through servers, cancellation. Timeouts are tiny; no test asserts
 * how long anything took, only what the lookup and its trace say.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Resolver, type ResolverOptions, type ServerAddress } from '../../src/dns/index.js';
import {
  ExchangeSchema,
  LookupSchema,
  type DnsExchange,
  type Lookup,
} from '../../src/schema/dns.js';
import { ProbeError } from '../../src/errors.js';
import {
  startDnsServer,
  TEST_ZONE,
  type ServerOptions,
  type TestDnsServer,
} from '../support/dns-server.js';

/** withServers: servers started with the given options, closed after `fn`. */
async function withServers(
  options: ServerOptions[],
  fn: (servers: TestDnsServer[]) => Promise<void>,
): Promise<void> {
  const servers = await Promise.all(options.map((o) => startDnsServer(TEST_ZONE, o)));
  try {
    await fn(servers);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
}

/** lookupVia: mail.lab.test A through `servers`, schema-checked, with the trace reduced to what the tests compare. */
async function lookupVia(
  servers: ServerAddress[],
  opts: Partial<ResolverOptions> = {},
): Promise<{
  lookup: Lookup;
  trace: Pick<DnsExchange, 'server' | 'transport' | 'attempt' | 'outcome'>[];
  exchanges: DnsExchange[];
}> {
  const resolver = new Resolver({ servers, timeoutMs: 100, ...opts });
  const lookup = await resolver.lookup('mail.lab.test', 'A');
  LookupSchema.parse(lookup);
  for (const e of resolver.exchanges) ExchangeSchema.parse(e);
  const trace = resolver.exchanges.map(({ server, transport, attempt, outcome }) => ({
    server,
    transport,
    attempt,
    outcome,
  }));
  return { lookup, trace, exchanges: resolver.exchanges };
}

const at = (s: TestDnsServer): string => `127.0.0.1:${s.port}`;
const MAIL_A = [{ type: 'A', name: 'mail.lab.test', ttl: 300, address: '192.0.2.25' }];

/** closedPort: a loopback UDP port nobody listens on (bound, noted, released). */
async function closedPort(): Promise<ServerAddress> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return { address: '127.0.0.1', port };
}

describe('truncation (RFC 7766 §5)', () => {
  test('TC=1 over UDP → the same server over TCP; both exchanges in the trace', () =>
    withServers([{ udp: 'truncated' }], async ([s]) => {
      const { lookup, trace } = await lookupVia([s!.server]);
      assert.equal(lookup.status, 'ok');
      assert.deepEqual(lookup.records, MAIL_A);
      assert.deepEqual(trace, [
        { server: at(s!), transport: 'udp', attempt: 1, outcome: 'truncated' },
        { server: at(s!), transport: 'tcp', attempt: 1, outcome: 'answer' },
      ]);
      assert.deepEqual(
        s!.queries.map((q) => q.transport),
        ['udp', 'tcp'],
      );
    }));

  test('a TCP answer cut off by a close → malformed, and the try is spent', () =>
    withServers([{ udp: 'truncated', tcp: 'truncated' }], async ([s]) => {
      const { lookup, trace, exchanges } = await lookupVia([s!.server], { retries: 0 });
      assert.equal(lookup.status, 'error');
      assert.deepEqual(
        trace.map((t) => `${t.transport} ${t.outcome}`),
        ['udp truncated', 'tcp malformed'],
      );
      assert.match(
        exchanges[1]!.error ?? '',
        /closed the connection mid-answer \(\d+ of \d+ bytes\)/,
      );
    }));

  test('TCP noise after truncation → malformed (on our own connection nothing else can answer)', () =>
    withServers([{ udp: 'truncated', tcp: 'noise' }], async ([s]) => {
      const { lookup, exchanges } = await lookupVia([s!.server], { retries: 0 });
      assert.equal(lookup.status, 'error');
      assert.equal(exchanges[1]!.outcome, 'malformed');
      assert.match(exchanges[1]!.error ?? '', /answered something else: /);
    }));
});

describe('broken and stray answers', () => {
  test('garbage after a matching header → malformed at once on every try, status error (no waiting out timeouts)', () =>
    withServers([{ udp: 'garbage' }], async ([s]) => {
      // A generous per-try timeout: were garbage ignored, the lookup would end in 'timeout' instead.
      const { lookup, trace, exchanges } = await lookupVia([s!.server], { timeoutMs: 2000 });
      assert.equal(lookup.status, 'error');
      assert.deepEqual(
        trace.map((t) => t.outcome),
        ['malformed', 'malformed', 'malformed'],
      );
      assert.match(exchanges[0]!.error ?? '', /answer record 1: .*bad pointer/);
      assert.match(lookup.error ?? '', /^no answer in 3 tries: /);
    }));

  test('a wrong-id packet and one for another question are ignored; the right answer is taken', () =>
    withServers([{ udp: 'wrong-id-first' }], async ([s]) => {
      const { lookup, trace } = await lookupVia([s!.server], { timeoutMs: 1000 });
      assert.equal(lookup.status, 'ok');
      assert.deepEqual(lookup.records, MAIL_A);
      assert.deepEqual(
        trace.map((t) => t.outcome),
        ['answer'],
      );
    }));

  test('noise that answers nothing is ignored until the timeout, and the timeout says so', () =>
    withServers([{ udp: 'noise' }], async ([s]) => {
      const { lookup, trace, exchanges } = await lookupVia([s!.server], { retries: 1 });
      assert.equal(lookup.status, 'timeout');
      assert.deepEqual(
        trace.map((t) => t.outcome),
        ['timeout', 'timeout'],
      );
      assert.match(
        exchanges[0]!.error ?? '',
        /within 100ms; ignored 1 packet\(s\) that did not answer our query/,
      );
    }));
});

describe('silence, refusal and rotation', () => {
  test('a server that never answers → timeout after 1 + 2 tries, a fresh id each time', () =>
    withServers([{ udp: 'silent' }], async ([s]) => {
      const { lookup, trace } = await lookupVia([s!.server]);
      assert.equal(lookup.status, 'timeout');
      assert.deepEqual(
        trace.map((t) => [t.attempt, t.outcome]),
        [
          [1, 'timeout'],
          [2, 'timeout'],
          [3, 'timeout'],
        ],
      );
      assert.equal(s!.queries.length, 3);
      assert.equal(new Set(s!.queries.map((q) => q.id)).size, 3);
      assert.match(lookup.error ?? '', /no answer in 3 tries: .*within 100ms/);
    }));

  test('a slow answer past the timeout is not taken by the next try', () =>
    withServers([{ delayMs: 250 }], async ([s]) => {
      const { lookup, trace } = await lookupVia([s!.server], { retries: 1 });
      assert.equal(lookup.status, 'timeout');
      assert.deepEqual(
        trace.map((t) => t.outcome),
        ['timeout', 'timeout'],
      );
    }));

  test('a slow answer within the timeout is an answer', () =>
    withServers([{ delayMs: 50 }], async ([s]) => {
      const { lookup } = await lookupVia([s!.server], { timeoutMs: 2000 });
      assert.equal(lookup.status, 'ok');
    }));

  test('nothing listening (ICMP port unreachable) → network-error, then the second server answers', async () => {
    const closed = await closedPort();
    await withServers([{}], async ([good]) => {
      const { lookup, trace } = await lookupVia([closed, good!.server]);
      assert.equal(lookup.status, 'ok');
      assert.deepEqual(trace, [
        {
          server: `127.0.0.1:${closed.port}`,
          transport: 'udp',
          attempt: 1,
          outcome: 'network-error',
        },
        { server: at(good!), transport: 'udp', attempt: 2, outcome: 'answer' },
      ]);
    });
  });

  test('retries rotate through the servers: silent, silent, answer', () =>
    withServers([{ udp: 'silent' }, { udp: 'silent' }, {}], async ([a, b, c]) => {
      const { lookup, trace } = await lookupVia([a!.server, b!.server, c!.server]);
      assert.equal(lookup.status, 'ok');
      assert.deepEqual(
        trace.map((t) => `${t.attempt} ${t.server} ${t.outcome}`),
        [`1 ${at(a!)} timeout`, `2 ${at(b!)} timeout`, `3 ${at(c!)} answer`],
      );
    }));

  test('a lone server answering SERVFAIL → servfail, asked once', () =>
    withServers([{ udp: 'servfail' }], async ([s]) => {
      const { lookup, exchanges } = await lookupVia([s!.server]);
      assert.equal(lookup.status, 'servfail');
      assert.equal(lookup.error, `${at(s!)} answered SERVFAIL`);
      assert.equal(s!.queries.length, 1);
      assert.deepEqual([exchanges[0]!.outcome, exchanges[0]!.rcode], ['answer', 'SERVFAIL']);
    }));

  test('REFUSED speaks for one server: the next one is asked', () =>
    withServers([{ udp: 'refused' }, {}], async ([bad, good]) => {
      const { lookup, exchanges } = await lookupVia([bad!.server, good!.server]);
      assert.equal(lookup.status, 'ok');
      assert.deepEqual(
        exchanges.map((e) => `${e.server} ${e.rcode}`),
        [`${at(bad!)} REFUSED`, `${at(good!)} NOERROR`],
      );
    }));

  test('REFUSED from one server, silence from the other → refused: what a server said beats silence', () =>
    withServers([{ udp: 'refused' }, { udp: 'silent' }], async ([a, b]) => {
      const { lookup, trace } = await lookupVia([a!.server, b!.server]);
      assert.equal(lookup.status, 'refused');
      assert.deepEqual(
        trace.map((t) => `${t.server} ${t.outcome}`),
        [`${at(a!)} answer`, `${at(b!)} timeout`, `${at(b!)} timeout`],
      );
    }));
});

describe('cancellation', () => {
  const isAbort =
    (code: string) =>
    (err: unknown): boolean =>
      err instanceof ProbeError && err.code === code && err.stage === 'resolve';
  // The per-try timeout is a minute and the test's watchdog 10 s: only the signal can end these lookups in time.
  const PATIENT_MS = 60_000;
  const watchdog = { timeout: 10_000 };

  test('aborting the signal stops a lookup waiting on a silent server', watchdog, () =>
    withServers([{ udp: 'silent' }], async ([s]) => {
      const controller = new AbortController();
      const resolver = new Resolver({
        servers: [s!.server],
        timeoutMs: PATIENT_MS,
        retries: 0,
        signal: controller.signal,
      });
      const pending = resolver.lookup('mail.lab.test', 'A');
      await s!.sawQueries(1);
      controller.abort();
      await assert.rejects(pending, isAbort('ABORTED'));
      assert.deepEqual(resolver.exchanges, [], 'an abandoned query has no outcome to record');
    }),
  );

  test('an already aborted signal sends nothing', () =>
    withServers([{}], async ([s]) => {
      const resolver = new Resolver({ servers: [s!.server], signal: AbortSignal.abort() });
      await assert.rejects(resolver.lookup('mail.lab.test', 'A'), isAbort('ABORTED'));
      assert.equal(
        (await new Resolver({ servers: [s!.server] }).lookup('mail.lab.test', 'A')).status,
        'ok',
      );
      assert.equal(s!.queries.length, 1, "only the second resolver's query arrived");
    }));

  test('a deadline signal (AbortSignal.timeout) → TARGET_TIMEOUT', watchdog, () =>
    withServers([{ udp: 'silent' }], async ([s]) => {
      const resolver = new Resolver({
        servers: [s!.server],
        timeoutMs: PATIENT_MS,
        retries: 0,
        signal: AbortSignal.timeout(50),
      });
      await assert.rejects(resolver.lookup('mail.lab.test', 'A'), isAbort('TARGET_TIMEOUT'));
    }),
  );
});
