/**
 * mxLint, mxAddressLint and mxVerdict, pure: each lint id fires on the one
 * configuration that calls for it and stays quiet on a clean one (public,
 * dual-stack, distinct addresses, no aliases, STARTTLS offered and working);
 * the verdict's kind, winner, failures and its exact sentence.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mxAddressLint, mxLint, isNonPublic, looksLikeIpLiteral } from '../../src/mx/lint.js';
import { mxVerdict, senderOrder } from '../../src/mx/verdict.js';
import { MxResultSchema, type MxHost, type MxResult } from '../../src/schema/mx.js';
import type { DnsRecord, Lookup } from '../../src/schema/dns.js';
import type { Status as AddressStatus } from '../../src/errors.js';

type Status = Lookup['status'];

/** lookup: a schema-shaped Lookup of `name` with address records (their family from `type`). */
function lookup(
  name: string,
  type: 'A' | 'AAAA' | 'MX',
  status: Status,
  records: DnsRecord[] = [],
  cnameChain: string[] = [],
): Lookup {
  return { name, type, status, cnameChain, records };
}

const rr = (name: string, address: string): DnsRecord => ({
  type: address.includes(':') ? 'AAAA' : 'A',
  name,
  ttl: 300,
  address,
});
const mxRecords = (domain: string, ...pairs: [number, string][]): Lookup =>
  lookup(
    domain,
    'MX',
    'ok',
    pairs.map(([preference, exchange]) => ({
      type: 'MX',
      name: domain,
      ttl: 300,
      preference,
      exchange,
    })),
  );

interface HostSpec {
  v4?: string[];
  v6?: string[];
  /** statuses when there are no addresses of that family; default nodata. */
  a?: Status;
  aaaa?: Status;
  aChain?: string[];
  aaaaChain?: string[];
  implicit?: boolean;
  preference?: number;
}

/** host: an MxHost as resolveHost builds it: lookups first, addresses from their records (IPv6 first). */
function host(name: string, spec: HostSpec = {}): MxHost {
  const v4 = spec.v4 ?? [];
  const v6 = spec.v6 ?? [];
  const a = lookup(
    name,
    'A',
    v4.length ? 'ok' : (spec.a ?? 'nodata'),
    v4.map((x) => rr(spec.aChain?.at(-1) ?? name, x)),
    spec.aChain,
  );
  const aaaa = lookup(
    name,
    'AAAA',
    v6.length ? 'ok' : (spec.aaaa ?? 'nodata'),
    v6.map((x) => rr(spec.aaaaChain?.at(-1) ?? name, x)),
    spec.aaaaChain,
  );
  return {
    name,
    preference: spec.preference ?? 10,
    group: 0,
    groupSize: 1,
    implicit: spec.implicit ?? false,
    cnameChain: a.cnameChain.length ? a.cnameChain : aaaa.cnameChain,
    lookups: { a, aaaa },
    addresses: [
      ...v6.map((x) => ({ address: x, family: 6 as const, status: 'ok' as const, ms: 1 })),
      ...v4.map((x) => ({ address: x, family: 4 as const, status: 'ok' as const, ms: 1 })),
    ],
  };
}

// A clean configuration: public documentation-range addresses (not in the non-public list), both families, no aliases.
const MX1 = (): MxHost => host('mx1.example.com', { v4: ['192.0.2.1'], v6: ['2001:db8::1'] });
const MX2 = (): MxHost =>
  host('mx2.example.com', { v4: ['198.51.100.2'], v6: ['2001:db8::2'], preference: 20 });
const CLEAN_MX = mxRecords('example.com', [10, 'mx1.example.com'], [20, 'mx2.example.com']);

const ids = (lint: { id: string }[]): string[] => lint.map((l) => l.id);
const lintOf = (hosts: MxHost[], mx: Lookup | null = CLEAN_MX) => mxLint('example.com', mx, hosts);

describe('mxLint: a clean configuration says nothing', () => {
  test('two public dual-stack hosts, no aliases, distinct addresses: no findings', () => {
    assert.deepEqual(lintOf([MX1(), MX2()]), []);
  });

  test('no MX lookup at all and no hosts: no findings', () => {
    assert.deepEqual(mxLint('example.com', null, []), []);
  });
});

describe('mxLint: null MX (RFC 7505 §3)', () => {
  test('null-mx-mixed: a null MX beside a real one, an error naming the domain', () => {
    const lint = lintOf([MX1()], mxRecords('example.com', [0, '.'], [10, 'mx1.example.com']));
    assert.deepEqual(ids(lint), ['null-mx-mixed']);
    assert.deepEqual(
      [lint[0]!.severity, lint[0]!.rfc, lint[0]!.subject],
      ['error', 'RFC 7505 §3', 'example.com'],
    );
  });

  test('a null MX alone is not mixed; two real MX records are not either', () => {
    assert.deepEqual(ids(lintOf([], mxRecords('example.com', [0, '.']))), []);
    assert.deepEqual(
      ids(
        lintOf(
          [MX1(), MX2()],
          mxRecords('example.com', [10, 'mx1.example.com'], [10, 'mx2.example.com']),
        ),
      ),
      [],
    );
  });

  test('null-mx-preference: a null MX with a preference other than 0 (and only then)', () => {
    const lint = lintOf([], mxRecords('example.com', [5, '.']));
    assert.deepEqual(ids(lint), ['null-mx-preference']);
    assert.equal(lint[0]!.severity, 'warning');
    assert.deepEqual(ids(lintOf([], mxRecords('example.com', [0, '.']))), []);
    // A real MX of preference 5 is not a null MX.
    assert.deepEqual(ids(lintOf([MX1()], mxRecords('example.com', [5, 'mx1.example.com']))), []);
  });

  test('both: a null MX of preference 10 beside a real one', () => {
    assert.deepEqual(
      ids(lintOf([MX1()], mxRecords('example.com', [10, '.'], [20, 'mx1.example.com']))),
      ['null-mx-mixed', 'null-mx-preference'],
    );
  });
});

describe('mxLint: names', () => {
  test('domain-is-cname: the MX lookup passed through a CNAME; the chain is in the message', () => {
    const mx = { ...CLEAN_MX, cnameChain: ['example.com', 'real.example.net'] };
    const lint = lintOf([MX1(), MX2()], mx);
    assert.deepEqual(ids(lint), ['domain-is-cname']);
    assert.equal(lint[0]!.severity, 'info');
    assert.match(lint[0]!.message, /example\.com → real\.example\.net/);
  });

  test('mx-ip-literal: dotted quad, bracketed, IPv6 and a trailing dot; an error and the only finding for that host', () => {
    for (const literal of ['192.0.2.7', '[192.0.2.7]', '2001:db8::7', '192.0.2.7.']) {
      // As the walk records it: never looked up.
      const h = host(literal, { a: 'error', aaaa: 'error' });
      const lint = lintOf([h, MX2()]);
      assert.deepEqual(ids(lint), ['mx-ip-literal'], literal);
      assert.deepEqual([lint[0]!.severity, lint[0]!.subject], ['error', literal]);
    }
  });

  test('looksLikeIpLiteral: addresses only, never names that merely contain digits', () => {
    for (const yes of ['127.0.0.10', '[127.0.0.10]', '::1', '[2001:db8::1]', '10.0.0.1.'])
      assert.equal(looksLikeIpLiteral(yes), true, yes);
    for (const no of [
      'mx1.example.com',
      '127.0.0.10.example.com',
      '1.2.3',
      '256.1.1.1',
      'a::b.example',
      '',
    ])
      assert.equal(looksLikeIpLiteral(no), false, no);
  });

  test('an implicit MX (the domain itself) is never linted as a target, even when it looks odd', () => {
    const implicit = host('example.com', {
      implicit: true,
      preference: 0,
      aChain: ['example.com', 'elsewhere.example.net'],
      v4: ['192.0.2.1'],
      v6: ['2001:db8::1'],
    });
    assert.deepEqual(ids(lintOf([implicit], lookup('example.com', 'MX', 'nodata'))), []);
    const bare = host('example.com', {
      implicit: true,
      preference: 0,
      a: 'nodata',
      aaaa: 'nodata',
    });
    assert.deepEqual(ids(lintOf([bare], lookup('example.com', 'MX', 'nodata'))), []);
  });

  test('mx-is-cname: the A or the AAAA lookup went through a CNAME; the subject is the MX name', () => {
    const viaA = host('alias.example.com', {
      v4: ['192.0.2.9'],
      v6: ['2001:db8::9'],
      aChain: ['alias.example.com', 'real.example.com'],
    });
    const lint = lintOf([viaA, MX2()]);
    assert.deepEqual(ids(lint), ['mx-is-cname']);
    assert.deepEqual(
      [lint[0]!.severity, lint[0]!.rfc, lint[0]!.subject],
      ['warning', 'RFC 2181 §10.3', 'alias.example.com'],
    );
    assert.match(lint[0]!.message, /alias\.example\.com → real\.example\.com/);
    const viaAaaa = host('alias.example.com', {
      v4: ['192.0.2.9'],
      v6: ['2001:db8::9'],
      aaaaChain: ['alias.example.com', 'real.example.com'],
    });
    assert.deepEqual(ids(lintOf([viaAaaa, MX2()])), ['mx-is-cname']);
  });
});

describe('mxLint: addresses', () => {
  test('mx-dangling: NXDOMAIN and NODATA each give one error, told apart in the message', () => {
    const gone = host('gone.example.com', { a: 'nxdomain', aaaa: 'nxdomain' });
    const empty = host('empty.example.com', { a: 'nodata', aaaa: 'nodata' });
    const lint = lintOf([gone, empty, MX2()]);
    assert.deepEqual(
      lint.map((l) => [l.id, l.severity, l.subject]),
      [
        ['mx-dangling', 'error', 'gone.example.com'],
        ['mx-dangling', 'error', 'empty.example.com'],
      ],
    );
    assert.match(lint[0]!.message, /does not exist \(NXDOMAIN\)/);
    assert.match(lint[1]!.message, /no A or AAAA record \(NODATA\)/);
  });

  test('a host with an address is not dangling, even when its other family is NODATA', () => {
    assert.deepEqual(
      ids(lintOf([host('v4only.example.com', { v4: ['192.0.2.1'], aaaa: 'nodata' }), MX2()])),
      [],
    );
  });

  test('mx-lookup-failed: a timeout or SERVFAIL is not dangling (it may resolve later)', () => {
    for (const failure of ['timeout', 'servfail', 'refused', 'error'] as const) {
      const lint = lintOf([host('flaky.example.com', { a: failure, aaaa: 'nodata' }), MX2()]);
      assert.deepEqual(ids(lint), ['mx-lookup-failed'], failure);
      assert.equal(lint[0]!.severity, 'warning');
      assert.match(lint[0]!.message, new RegExp(`A: ${failure}, AAAA: nodata`));
    }
    // One family failed while the other gave an address: still worth a warning.
    assert.deepEqual(
      ids(lintOf([host('half.example.com', { v4: ['192.0.2.1'], aaaa: 'servfail' }), MX2()])),
      ['mx-lookup-failed'],
    );
  });

  test('isNonPublic: loopback, RFC 1918, RFC 6598, link-local, ULA; not public or documentation space', () => {
    for (const yes of [
      '127.0.0.1',
      '127.255.0.9',
      '10.1.2.3',
      '192.168.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '100.64.0.1',
      '100.127.255.254',
      '169.254.1.1',
      '0.0.0.0',
      '::1',
      'fc00::1',
      'fd12::1',
      'fe80::1',
      '::',
    ]) {
      assert.equal(isNonPublic(yes), true, yes);
    }
    for (const no of [
      '192.0.2.1',
      '8.8.8.8',
      '172.15.0.1',
      '172.32.0.1',
      '100.63.0.1',
      '100.128.0.1',
      '11.0.0.1',
      '2001:db8::1',
      '2a00::1',
      'fec0::1',
    ]) {
      assert.equal(isNonPublic(no), false, no);
    }
  });

  test('mx-non-public: one warning listing every host and address in non-public space', () => {
    const lan = host('lan.example.com', { v4: ['10.0.0.5'], v6: ['fd00::5'] });
    const lint = lintOf([lan, MX2()]);
    assert.deepEqual(ids(lint), ['mx-non-public']);
    assert.deepEqual([lint[0]!.severity, lint[0]!.rfc], ['warning', 'RFC 6890']);
    assert.equal(lint[0]!.subject, 'lan.example.com 10.0.0.5, lan.example.com fd00::5');
  });

  test('mx-shared-address: one finding per address behind several MX names, naming them', () => {
    const a = host('a.example.com', { v4: ['192.0.2.1'], v6: ['2001:db8::1'] });
    const b = host('b.example.com', { v4: ['192.0.2.1'], v6: ['2001:db8::2'], preference: 20 });
    const lint = lintOf([a, b]);
    assert.deepEqual(
      lint.map((l) => [l.id, l.severity, l.subject]),
      [['mx-shared-address', 'info', '192.0.2.1']],
    );
    assert.match(lint[0]!.message, /2 MX names \(a\.example\.com, b\.example\.com\)/);
    // The same host listed once with two addresses shares nothing.
    assert.deepEqual(
      ids(lintOf([host('c.example.com', { v4: ['192.0.2.1', '192.0.2.2'], v6: ['2001:db8::1'] })])),
      [],
    );
  });

  test('single-address-family: IPv4-only and IPv6-only are info; mixed, or no address at all, say nothing', () => {
    const v4 = lintOf([
      host('a.example.com', { v4: ['192.0.2.1'] }),
      host('b.example.com', { v4: ['192.0.2.2'], preference: 20 }),
    ]);
    assert.deepEqual(
      v4.map((l) => [l.id, l.severity, l.subject]),
      [['single-address-family', 'info', 'all 2 MX hosts']],
    );
    assert.match(v4[0]!.message, /IPv4-only/);
    const v6 = lintOf([host('a.example.com', { v6: ['2001:db8::1'] })]);
    assert.deepEqual(
      v6.map((l) => [l.id, l.subject]),
      [['single-address-family', 'the one MX host']],
    );
    assert.match(v6[0]!.message, /IPv6-only/);
    // Mixed across hosts counts as both families.
    assert.deepEqual(
      ids(
        lintOf([
          host('a.example.com', { v4: ['192.0.2.1'] }),
          host('b.example.com', { v6: ['2001:db8::2'], preference: 20 }),
        ]),
      ),
      [],
    );
    assert.deepEqual(ids(lintOf([host('gone.example.com', { a: 'nxdomain', aaaa: 'nxdomain' })])), [
      'mx-dangling',
    ]);
  });

  test('findings come in a stable order: RRset, then per host, then across hosts', () => {
    const lint = mxLint(
      'example.com',
      {
        ...mxRecords('example.com', [0, '.'], [10, 'x.example.com']),
        cnameChain: ['example.com', 'y.example.com'],
      },
      [
        host('127.0.0.1'),
        host('gone.example.com', { a: 'nxdomain', aaaa: 'nxdomain' }),
        host('a.example.com', { v4: ['10.0.0.1'] }),
        host('b.example.com', { v4: ['10.0.0.1'] }),
      ],
    );
    assert.deepEqual(ids(lint), [
      'null-mx-mixed',
      'domain-is-cname',
      'mx-ip-literal',
      'mx-dangling',
      'mx-non-public',
      'mx-shared-address',
      'single-address-family',
    ]);
  });
});

/** result: a schema-valid walk; each host is [name, preference, ...[address, status]]. */
function result(
  domain: { ascii: string; unicode: string },
  hosts: [string, number, ...[string, AddressStatus][]][],
): MxResult {
  return MxResultSchema.parse({
    domain: { input: domain.unicode, ...domain },
    port: 25,
    resolvers: ['192.0.2.53:53'],
    source: 'mx',
    mxLookup: null,
    lint: [],
    verdict: null,
    dns: [],
    hosts: hosts.map(([name, preference, ...addrs], i) => ({
      ...host(name),
      preference,
      group: i,
      groupSize: 1,
      addresses: addrs.map(([address, status]) => ({
        address,
        family: address.includes(':') ? 6 : 4,
        status,
        ms: 1,
      })),
    })),
  });
}

const EX = { ascii: 'example.com', unicode: 'example.com' };

describe('mxVerdict', () => {
  test('senderOrder: by host (preference order as given), then each address in order', () => {
    const r = result(EX, [
      ['mx1.example.com', 10, ['2001:db8::1', 'ok'], ['192.0.2.1', 'ok']],
      ['mx2.example.com', 20, ['192.0.2.2', 'ok']],
    ]);
    assert.deepEqual(
      senderOrder(r).map((o) => [o.host, o.preference, o.address.address]),
      [
        ['mx1.example.com', 10, '2001:db8::1'],
        ['mx1.example.com', 10, '192.0.2.1'],
        ['mx2.example.com', 20, '192.0.2.2'],
      ],
    );
  });

  test('the first address works: accepted, nothing failed before it', () => {
    const v = mxVerdict(
      result(EX, [
        ['mx1.example.com', 10, ['192.0.2.1', 'ok']],
        ['mx2.example.com', 20, ['192.0.2.2', 'connection-refused']],
      ]),
    );
    assert.deepEqual(v, {
      kind: 'accepted',
      host: 'mx1.example.com',
      address: '192.0.2.1',
      failedBefore: [],
      text: 'mail for example.com is accepted by mx1.example.com (192.0.2.1) — the first address a sender tries',
    });
  });

  test('one failure before the winner: singular wording', () => {
    const v = mxVerdict(
      result(EX, [
        ['mx1.example.com', 10, ['192.0.2.1', 'greeting-timeout']],
        ['mx2.example.com', 20, ['192.0.2.2', 'ok']],
      ]),
    );
    assert.equal(
      v.text,
      'mail for example.com is accepted by mx2.example.com (192.0.2.2) — 1 address before it fails: greeting-timeout',
    );
    assert.deepEqual(v.failedBefore, [
      { host: 'mx1.example.com', address: '192.0.2.1', status: 'greeting-timeout' },
    ]);
  });

  test('two failures before the winner, in sender order, and the rest after it are not counted', () => {
    const v = mxVerdict(
      result(EX, [
        ['r.example.com', 10, ['192.0.2.1', 'connection-refused']],
        ['bh.example.com', 20, ['192.0.2.2', 'connection-timeout']],
        ['mx.example.com', 30, ['192.0.2.3', 'ok']],
        ['late.example.com', 40, ['192.0.2.4', 'connection-refused']],
      ]),
    );
    assert.equal(v.kind, 'accepted');
    assert.equal(
      v.text,
      'mail for example.com is accepted by mx.example.com (192.0.2.3) — 2 addresses before it fail: connection-refused, connection-timeout',
    );
    assert.deepEqual(
      v.failedBefore.map((f) => f.address),
      ['192.0.2.1', '192.0.2.2'],
    );
  });

  test('a host that greets but fails TLS or rejects us does not take the mail', () => {
    const v = mxVerdict(
      result(EX, [
        ['mx1.example.com', 10, ['192.0.2.1', 'tls-error'], ['192.0.2.9', 'rejected']],
        ['mx2.example.com', 20, ['192.0.2.2', 'ok']],
      ]),
    );
    assert.deepEqual(
      [v.kind, v.host, v.failedBefore.map((f) => f.status)],
      ['accepted', 'mx2.example.com', ['tls-error', 'rejected']],
    );
  });

  test('every address fails: no-usable-host, repeated outcomes counted', () => {
    const v = mxVerdict(
      result(EX, [
        [
          'mx1.example.com',
          10,
          ['192.0.2.1', 'connection-refused'],
          ['192.0.2.9', 'connection-refused'],
        ],
        ['mx2.example.com', 20, ['192.0.2.2', 'connection-timeout']],
      ]),
    );
    assert.equal(v.kind, 'no-usable-host');
    assert.equal(v.host, undefined);
    assert.equal(
      v.text,
      'mail for example.com is not accepted now — all 3 addresses fail: 2× connection-refused, connection-timeout; senders queue it and retry',
    );
    assert.equal(v.failedBefore.length, 3);
  });

  test('the only address fails: singular wording, never "all 1 addresses"', () => {
    const v = mxVerdict(result(EX, [['mx1.example.com', 10, ['192.0.2.1', 'connection-refused']]]));
    assert.equal(
      v.text,
      'mail for example.com is not accepted now — the one address fails: connection-refused; senders queue it and retry',
    );
  });

  test('no host has an address: no-usable-host saying so', () => {
    const v = mxVerdict(result(EX, [['gone.example.com', 10]]));
    assert.deepEqual([v.kind, v.failedBefore], ['no-usable-host', []]);
    assert.equal(
      v.text,
      'mail for example.com is not accepted now — no MX host has an address; senders queue it and retry',
    );
  });

  test('an IDN domain is named in its Unicode form', () => {
    const v = mxVerdict(
      result({ ascii: 'xn--bcher-kva.example', unicode: 'bücher.example' }, [
        ['mx.xn--bcher-kva.example', 10, ['192.0.2.1', 'ok']],
      ]),
    );
    assert.match(v.text, /^mail for bücher\.example is accepted by mx\.xn--bcher-kva\.example/);
  });
});

describe('mxAddressLint: what the probed addresses said about STARTTLS (RFC 3207, RFC 8461 §5)', () => {
  type Probe = MxHost['addresses'][number];
  const probed = (name: string, ...probes: Partial<Probe>[]): MxHost => {
    const h = host(name, { v4: probes.map((_, i) => `192.0.2.${i + 1}`) });
    h.addresses = h.addresses.map((a, i) => ({ ...a, ...probes[i] }));
    return h;
  };
  const ehlo = (...keywords: string[]): Partial<Probe> => ({
    hello: { verb: 'EHLO', code: 250, keywords },
  });

  test('STARTTLS offered and working: nothing', () => {
    const tls = {
      ...ehlo('PIPELINING', 'STARTTLS'),
      tls: { outcome: 'ok' as const, protocol: 'TLSv1.3' },
    };
    assert.deepEqual(
      mxAddressLint([probed('mx1.example.com', tls), probed('mx2.example.com', tls)]),
      [],
    );
  });

  test('an address whose EHLO has no STARTTLS: mx-no-starttls, a warning naming host and address', () => {
    const lint = mxAddressLint([
      probed('mx1.example.com', { ...ehlo('STARTTLS'), tls: { outcome: 'ok' } }),
      probed('notls.example.com', ehlo('PIPELINING', '8BITMIME'), ehlo('SIZE')),
    ]);
    assert.deepEqual(
      lint.map((l) => [l.id, l.severity, l.rfc, l.subject]),
      [
        [
          'mx-no-starttls',
          'warning',
          'RFC 3207',
          'notls.example.com 192.0.2.1, notls.example.com 192.0.2.2',
        ],
      ],
    );
    assert.match(lint[0]!.message, /travels in clear/);
    assert.match(lint[0]!.message, /MTA-STS.*RFC 8461 §5/);
  });

  test('a HELO-only server offers no STARTTLS either', () => {
    const helo = { hello: { verb: 'HELO' as const, code: 250, keywords: [] } };
    assert.deepEqual(ids(mxAddressLint([probed('old.example.com', helo)])), ['mx-no-starttls']);
  });

  test('STARTTLS offered but refused or failed: mx-starttls-broken, saying which', () => {
    const lint = mxAddressLint([
      probed(
        'mx1.example.com',
        { ...ehlo('STARTTLS'), tls: { outcome: 'refused' } },
        { ...ehlo('STARTTLS'), tls: { outcome: 'failed', error: 'handshake' } },
      ),
    ]);
    assert.deepEqual(ids(lint), ['mx-starttls-broken']);
    assert.equal(lint[0]!.subject, 'mx1.example.com 192.0.2.1, mx1.example.com 192.0.2.2');
    assert.match(lint[0]!.message, /^STARTTLS offered but refused or failed: /);
  });

  test('an address never greeted (refused, timed out) says nothing about STARTTLS', () => {
    const refused = { status: 'connection-refused' as const };
    assert.deepEqual(mxAddressLint([probed('down.example.com', refused)]), []);
  });

  test('STARTTLS not tried (--no-starttls): offered is enough, no broken finding', () => {
    assert.deepEqual(mxAddressLint([probed('mx1.example.com', ehlo('STARTTLS'))]), []);
  });

  test('mxLint (the DNS half, before any connection) never reports it', () => {
    assert.ok(!ids(lintOf([probed('notls.example.com', ehlo('SIZE'))])).includes('mx-no-starttls'));
  });
});
