/**
 * The MX walk against the lab: one lab on free ports, every scenario domain
 * walked once (all at once) through the lab's DNS, then each checked for the
 * source of its host list, the sender's order, equal-preference groups, every
 * address and its outcome, the lint ids, the verdict and the DNS trace. Also:
 * a dead host costs one connect timeout, not the sum; IDN input goes out as
 * A-labels; the walk never opens a mail transaction.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startLab, LAB_SCENARIOS, type Lab } from '../../src/lab/index.js';
import { probeMx, type MxOptions } from '../../src/probes/mx.js';
import type { Status } from '../../src/errors.js';
import { MxResultSchema, type MxResult } from '../../src/schema/mx.js';
import type { ProbeOutcome } from '../../src/probes/outcome.js';

/** CONNECT_TIMEOUT_MS: long enough for a loaded loopback connect, short enough to keep the file fast. */
const CONNECT_TIMEOUT_MS = 1_000;
/** MISSING: a name under .test that the lab's zone does not have. */
const MISSING = 'no-such-name.test';
/** IDN: Unicode input; its A-label form is what DNS must see. */
const IDN = { input: 'bücher.test', ascii: 'xn--bcher-kva.test' };

let lab: Lab;
let options: MxOptions;
const walks = new Map<
  string,
  { outcome: ProbeOutcome<MxResult>; startedAt: number; wallMs: number }
>();

before(async () => {
  lab = await startLab({ port: 0 });
  options = {
    resolvers: [`${lab.dns.address}:${lab.dns.port}`],
    port: lab.port,
    caFiles: [lab.caCertFile],
    timeouts: { connectMs: CONNECT_TIMEOUT_MS },
    // The policy section has its own file (mx-policy.ts); here only the walk is under test.
    policy: false,
  };
  // Independent walks, so all at once: the file costs about one connect timeout.
  const domains = [...LAB_SCENARIOS.map((s) => s.domain), MISSING, IDN.input];
  await Promise.all(
    domains.map(async (d) => {
      const startedAt = Date.now();
      const t0 = performance.now();
      const outcome = await probeMx(d, options);
      walks.set(d, { outcome, startedAt, wallMs: performance.now() - t0 });
    }),
  );
});
after(() => lab.close());

/** walked: the walk of `domain`, checked against the schema and required to have run (status ok). */
function walked(domain: string): MxResult {
  const w = walks.get(domain);
  assert.ok(w, `${domain} was not walked`);
  assert.equal(
    w.outcome.status,
    'ok',
    `${domain}: ${w.outcome.error?.code} ${w.outcome.error?.message}`,
  );
  return MxResultSchema.parse(w.outcome.result);
}

type Addr = [address: string, status: Status];
/** HostWant: [preference, name, groupSize, addresses in sender order]. */
type HostWant = [number, string, number, Addr[]];

interface Want {
  source: MxResult['source'];
  hosts: HostWant[];
  lint: string[];
  verdict: {
    kind: NonNullable<MxResult['verdict']>['kind'];
    host?: string;
    address?: string;
    failedBefore?: Status[];
    text: string;
  };
}

const accepted = (
  domain: string,
  host: string,
  address: string,
  before = 'the first address a sender tries',
): Want['verdict'] => ({
  kind: 'accepted',
  host,
  address,
  failedBefore: [],
  text: `mail for ${domain} is accepted by ${host} (${address}) — ${before}`,
});

/** WANT: what a walk of each scenario must show (the lab's scenarios.ts says why each is there). */
const WANT: Record<string, Want> = {
  // Listed MX 20 first in DNS: the walk must sort.
  'mlfarm.test': {
    source: 'mx',
    hosts: [
      [10, 'mx1.mlfarm.test', 1, [['127.0.0.20', 'ok']]],
      [20, 'mx2.mlfarm.test', 1, [['127.0.0.21', 'ok']]],
    ],
    lint: ['mx-non-public', 'single-address-family'],
    verdict: accepted('mlfarm.test', 'mx1.mlfarm.test', '127.0.0.20'),
  },
  'noao.test': {
    source: 'mx',
    hosts: [
      [
        10,
        'sun.noao.test',
        1,
        [
          ['127.0.0.22', 'connection-refused'],
          ['127.0.0.23', 'connection-refused'],
        ],
      ],
      [20, 'mx.noao.test', 1, [['127.0.0.24', 'ok']]],
    ],
    lint: ['mx-non-public', 'single-address-family'],
    verdict: {
      ...accepted(
        'noao.test',
        'mx.noao.test',
        '127.0.0.24',
        '2 addresses before it fail: connection-refused, connection-refused',
      ),
      failedBefore: ['connection-refused', 'connection-refused'],
    },
  },
  'mailhost.tuc.test': {
    source: 'mx',
    hosts: [[10, 'mx.tuc.test', 1, [['127.0.0.25', 'ok']]]],
    lint: ['domain-is-cname', 'mx-non-public', 'single-address-family'],
    verdict: accepted('mailhost.tuc.test', 'mx.tuc.test', '127.0.0.25'),
  },
  'mx-cname.test': {
    source: 'mx',
    hosts: [[10, 'alias.mx-cname.test', 1, [['127.0.0.26', 'ok']]]],
    lint: ['mx-is-cname', 'mx-non-public', 'single-address-family'],
    verdict: accepted('mx-cname.test', 'alias.mx-cname.test', '127.0.0.26'),
  },
  'nullmx.test': {
    source: 'null-mx',
    hosts: [],
    lint: [],
    verdict: {
      kind: 'no-mail',
      failedBefore: [],
      text: 'nullmx.test publishes a null MX (RFC 7505): it accepts no mail',
    },
  },
  'mixed-null.test': {
    source: 'mx',
    hosts: [[10, 'mx.mixed-null.test', 1, [['127.0.0.27', 'ok']]]],
    lint: ['null-mx-mixed', 'mx-non-public', 'single-address-family'],
    verdict: accepted('mixed-null.test', 'mx.mixed-null.test', '127.0.0.27'),
  },
  'implicit.test': {
    source: 'implicit',
    hosts: [[0, 'implicit.test', 1, [['127.0.0.28', 'ok']]]],
    lint: ['mx-non-public', 'single-address-family'],
    verdict: accepted('implicit.test', 'implicit.test', '127.0.0.28'),
  },
  'dangling.test': {
    source: 'mx',
    hosts: [
      [10, 'gone.dangling.test', 1, []],
      [20, 'nodata.dangling.test', 1, []],
      [30, 'mx.dangling.test', 1, [['127.0.0.29', 'ok']]],
    ],
    // Senders skip hosts without addresses: nothing "fails before" the good one.
    lint: ['mx-dangling', 'mx-dangling', 'mx-non-public', 'single-address-family'],
    verdict: accepted('dangling.test', 'mx.dangling.test', '127.0.0.29'),
  },
  'equal.test': {
    source: 'mx',
    hosts: [
      [10, 'a.equal.test', 2, [['127.0.0.30', 'ok']]],
      [10, 'b.equal.test', 2, [['127.0.0.31', 'ok']]],
    ],
    lint: ['mx-non-public', 'single-address-family'],
    verdict: accepted('equal.test', 'a.equal.test', '127.0.0.30'),
  },
  // IPv6 first (RFC 6724), both answer; two families, so no single-address-family.
  'v6.test': {
    source: 'mx',
    hosts: [
      [
        10,
        'mx.v6.test',
        1,
        [
          ['::1', 'ok'],
          ['127.0.0.32', 'ok'],
        ],
      ],
    ],
    lint: ['mx-non-public'],
    verdict: accepted('v6.test', 'mx.v6.test', '::1'),
  },
  'blackhole.test': {
    source: 'mx',
    hosts: [
      [10, 'refused.blackhole.test', 1, [['127.0.0.33', 'connection-refused']]],
      [20, 'bh.blackhole.test', 1, [['127.0.0.34', 'connection-timeout']]],
      [30, 'mx.blackhole.test', 1, [['127.0.0.35', 'ok']]],
    ],
    lint: ['mx-non-public', 'single-address-family'],
    verdict: {
      ...accepted(
        'blackhole.test',
        'mx.blackhole.test',
        '127.0.0.35',
        '2 addresses before it fail: connection-refused, connection-timeout',
      ),
      failedBefore: ['connection-refused', 'connection-timeout'],
    },
  },
  'samehost.test': {
    source: 'mx',
    hosts: [
      [10, 'a.samehost.test', 1, [['127.0.0.36', 'ok']]],
      [20, 'b.samehost.test', 1, [['127.0.0.36', 'ok']]],
    ],
    lint: ['mx-non-public', 'mx-shared-address', 'single-address-family'],
    verdict: accepted('samehost.test', 'a.samehost.test', '127.0.0.36'),
  },
  // An IP address written as an MX name is no host name: no address, so nobody takes the mail.
  'literal.test': {
    source: 'mx',
    hosts: [[10, '127.0.0.10', 1, []]],
    lint: ['mx-ip-literal'],
    verdict: {
      kind: 'no-usable-host',
      failedBefore: [],
      text: 'mail for literal.test is not accepted now — no MX host has an address; senders queue it and retry',
    },
  },
  // No MX and no address: the implicit MX has nothing to connect to.
  'big.test': {
    source: 'implicit',
    hosts: [[0, 'big.test', 1, []]],
    lint: [],
    verdict: {
      kind: 'no-usable-host',
      failedBefore: [],
      text: 'mail for big.test is not accepted now — no MX host has an address; senders queue it and retry',
    },
  },
};

describe('mx walk: every lab scenario', { concurrency: true }, () => {
  test('every MX-walk scenario below is in the lab', () => {
    const domains = new Set(LAB_SCENARIOS.map((s) => s.domain));
    assert.deepEqual(
      Object.keys(WANT).filter((d) => !domains.has(d)),
      [],
    );
  });

  // Scenarios made for other commands (verify's hosts) are walked too: whatever they are for, a walk of them must run.
  for (const domain of LAB_SCENARIOS.map((s) => s.domain).filter((d) => !(d in WANT))) {
    test(`${domain}: the walk runs, every MX record becomes a host, every address gets an outcome, one verdict`, () => {
      const r = walked(domain);
      const mx = r.mxLookup!.records.flatMap((x) =>
        x.type === 'MX' && x.exchange !== '.' ? [x.exchange] : [],
      );
      assert.deepEqual(new Set(r.hosts.map((h) => h.name)), new Set(mx.length ? mx : [domain]));
      for (const h of r.hosts)
        for (const a of h.addresses) assert.notEqual(a.status, 'aborted', `${h.name} ${a.address}`);
      assert.ok(r.verdict, 'a verdict');
      assert.equal(r.dns[0]?.question.name, domain);
    });
  }

  for (const [domain, want] of Object.entries(WANT)) {
    describe(domain, { concurrency: true }, () => {
      test(`source ${want.source}; hosts by preference, groups and addresses in sender order`, () => {
        const r = walked(domain);
        assert.deepEqual(r.domain, { input: domain, ascii: domain, unicode: domain });
        assert.equal(r.source, want.source);
        assert.equal(r.port, lab.port);
        assert.deepEqual(r.resolvers, [`${lab.dns.address}:${lab.dns.port}`]);
        assert.deepEqual(
          r.hosts.map((h) => [
            h.preference,
            h.name,
            h.groupSize,
            h.addresses.map((a) => [a.address, a.status]),
          ]),
          want.hosts,
        );
        // Groups count up from 0 and change exactly where the preference does.
        r.hosts.forEach((h, i) => {
          const prev = r.hosts[i - 1];
          assert.equal(
            h.group,
            prev === undefined ? 0 : prev.group + (prev.preference === h.preference ? 0 : 1),
            h.name,
          );
          assert.equal(h.implicit, want.source === 'implicit', h.name);
        });
      });

      test(`lint: ${want.lint.join(', ') || 'none'}`, () => {
        assert.deepEqual(
          walked(domain).lint.map((l) => l.id),
          want.lint,
        );
      });

      test(`verdict ${want.verdict.kind}`, () => {
        const v = walked(domain).verdict!;
        assert.ok(v, 'a verdict');
        assert.equal(v.kind, want.verdict.kind);
        assert.equal(v.text, want.verdict.text);
        assert.equal(v.host, want.verdict.host);
        assert.equal(v.address, want.verdict.address);
        if (want.verdict.failedBefore)
          assert.deepEqual(
            v.failedBefore.map((f) => f.status),
            want.verdict.failedBefore,
          );
      });

      test('the DNS trace: the MX question first, then AAAA and A of every host, all answered by the lab', () => {
        const r = walked(domain);
        const server = `${lab.dns.address}:${lab.dns.port}`;
        assert.deepEqual(r.dns[0]?.question, { name: domain, type: 'MX' });
        assert.equal(r.dns[0]!.rcode, 'NOERROR');
        assert.ok(
          r.dns.every((e) => e.server === server && e.outcome === 'answer' && e.flags?.aa === true),
          JSON.stringify(r.dns),
        );
        const asked = new Set(r.dns.map((e) => `${e.question.type} ${e.question.name}`));
        for (const h of r.hosts.filter((x) => x.lookups.a.status !== 'error')) {
          for (const t of ['AAAA', 'A'])
            assert.ok(
              asked.has(`${t} ${h.name}`),
              `${t} ${h.name} in the trace: ${[...asked].join(', ')}`,
            );
        }
        // Each MX record the lab holds is in the trace as it came (order, preference, TTL).
        const records = r.mxLookup!.records.filter((x) => x.type === 'MX');
        assert.deepEqual(
          r.dns[0]!.answers.filter((x) => x.type === 'MX'),
          records,
        );
      });
    });
  }
});

describe('mx walk: what each scenario is about', { concurrency: true }, () => {
  test('mlfarm.test: the lab sends MX 20 first; the walk tries MX 10 first', () => {
    const r = walked('mlfarm.test');
    assert.deepEqual(
      r.mxLookup!.records.map((x) => (x.type === 'MX' ? x.preference : -1)),
      [20, 10],
    );
    assert.deepEqual(
      r.hosts.map((h) => [h.preference, h.group]),
      [
        [10, 0],
        [20, 1],
      ],
    );
  });

  test('noao.test: both addresses of sun.noao.test refused at connect (CONNECTION_REFUSED), before the good MX 20', () => {
    const sun = walked('noao.test').hosts[0]!;
    assert.deepEqual(
      sun.lookups.a.records.map((x) => (x.type === 'A' ? x.address : '')),
      ['127.0.0.22', '127.0.0.23'],
    );
    for (const a of sun.addresses)
      assert.deepEqual(
        [a.status, a.error?.code, a.error?.stage, a.banner],
        ['connection-refused', 'CONNECTION_REFUSED', 'connect', undefined],
      );
  });

  test("mailhost.tuc.test: the CNAME is followed to tuc.test's MX, and linted as info", () => {
    const r = walked('mailhost.tuc.test');
    assert.deepEqual(r.mxLookup!.cnameChain, ['mailhost.tuc.test', 'tuc.test']);
    const lint = r.lint.find((l) => l.id === 'domain-is-cname')!;
    assert.deepEqual([lint.severity, lint.subject], ['info', 'mailhost.tuc.test']);
  });

  test('mx-cname.test: the MX target is an alias; it is followed (the mail still goes) and linted as a warning', () => {
    const h = walked('mx-cname.test').hosts[0]!;
    assert.deepEqual(h.cnameChain, ['alias.mx-cname.test', 'real.mx-cname.test']);
    assert.equal(h.addresses[0]!.banner?.lines[0]?.split(' ')[0], 'real.mx-cname.test');
    const lint = walked('mx-cname.test').lint.find((l) => l.id === 'mx-is-cname')!;
    assert.deepEqual([lint.severity, lint.subject], ['warning', 'alias.mx-cname.test']);
  });

  test('nullmx.test: decided by DNS alone, one MX question and no address lookups', () => {
    const r = walked('nullmx.test');
    assert.deepEqual(
      r.dns.map((e) => `${e.question.type} ${e.question.name}`),
      ['MX nullmx.test'],
    );
  });

  test('mixed-null.test: the null MX is an error beside the real MX, which still takes the mail', () => {
    const lint = walked('mixed-null.test').lint.find((l) => l.id === 'null-mx-mixed')!;
    assert.deepEqual(
      [lint.severity, lint.rfc, lint.subject],
      ['error', 'RFC 7505 §3', 'mixed-null.test'],
    );
  });

  test('dangling.test: NXDOMAIN and NODATA told apart, in the lookups and in the two mx-dangling findings', () => {
    const r = walked('dangling.test');
    const [gone, nodata] = r.hosts;
    assert.deepEqual([gone!.lookups.a.status, gone!.lookups.aaaa.status], ['nxdomain', 'nxdomain']);
    assert.deepEqual([nodata!.lookups.a.status, nodata!.lookups.aaaa.status], ['nodata', 'nodata']);
    const dangling = r.lint.filter((l) => l.id === 'mx-dangling');
    assert.deepEqual(
      dangling.map((l) => l.subject),
      ['gone.dangling.test', 'nodata.dangling.test'],
    );
    assert.match(dangling[0]!.message, /NXDOMAIN/);
    assert.match(dangling[1]!.message, /NODATA/);
    assert.ok(
      r.dns.some((e) => e.question.name === 'gone.dangling.test' && e.rcode === 'NXDOMAIN'),
    );
    assert.ok(
      r.dns.some(
        (e) =>
          e.question.name === 'nodata.dangling.test' &&
          e.rcode === 'NOERROR' &&
          e.answers.length === 0,
      ),
    );
  });

  test('equal.test: one group of two, both marked', () => {
    assert.deepEqual(
      walked('equal.test').hosts.map((h) => [h.group, h.groupSize]),
      [
        [0, 2],
        [0, 2],
      ],
    );
  });

  test('v6.test: ::1 (family 6) before 127.0.0.32 (family 4), both greet and do STARTTLS', () => {
    const h = walked('v6.test').hosts[0]!;
    assert.deepEqual(
      h.addresses.map((a) => [a.address, a.family, a.status, a.tls?.outcome]),
      [
        ['::1', 6, 'ok', 'ok'],
        ['127.0.0.32', 4, 'ok', 'ok'],
      ],
    );
  });

  test('samehost.test: one mx-shared-address finding for the one address, naming both MX names', () => {
    const shared = walked('samehost.test').lint.filter((l) => l.id === 'mx-shared-address');
    assert.deepEqual(
      shared.map((l) => l.subject),
      ['127.0.0.36'],
    );
    assert.match(shared[0]!.message, /a\.samehost\.test, b\.samehost\.test/);
  });

  test('literal.test: the IP-literal target is an error finding and gets no address; the walk still completes', () => {
    const r = walked('literal.test');
    const lint = r.lint.find((l) => l.id === 'mx-ip-literal')!;
    assert.deepEqual([lint.severity, lint.subject], ['error', '127.0.0.10']);
    assert.deepEqual(r.hosts[0]!.addresses, []);
  });

  test('mx-non-public on every walk that found an address, listing every host and address', () => {
    for (const domain of walks.keys()) {
      const r = walked(domain);
      const pairs = r.hosts.flatMap((h) => h.addresses.map((a) => `${h.name} ${a.address}`));
      const lint = r.lint.find((l) => l.id === 'mx-non-public');
      if (pairs.length === 0) {
        assert.equal(lint, undefined, domain);
        continue;
      }
      assert.ok(lint, `${domain}: no mx-non-public`);
      assert.deepEqual(lint.subject.split(', ').sort(), [...new Set(pairs)].sort(), domain);
    }
  });

  test('every address that answered in the MX-walk scenarios: greeting 220, EHLO 250 with STARTTLS, TLS ok with the lab CA', () => {
    for (const domain of Object.keys(WANT)) {
      for (const h of walked(domain).hosts) {
        for (const a of h.addresses.filter((x) => x.status === 'ok')) {
          const where = `${domain} ${h.name} ${a.address}`;
          assert.equal(a.banner?.code, 220, where);
          assert.deepEqual(
            [a.hello?.verb, a.hello?.code, a.hello?.keywords.includes('STARTTLS')],
            ['EHLO', 250, true],
            where,
          );
          assert.equal(a.tls?.outcome, 'ok', where);
          assert.match(a.tls?.protocol ?? '', /^TLSv1\.[23]$/, where);
          assert.equal(a.error, undefined, where);
          assert.ok(a.connectMs !== undefined && a.connectMs <= a.ms, where);
        }
      }
    }
  });
});

describe('mx walk: a dead host costs one connect timeout, not the sum', () => {
  test('blackhole.test: refused at once, the blackhole after the connect timeout, and the walk bounded by it', () => {
    const { wallMs } = walks.get('blackhole.test')!;
    const [refused, bh] = walked('blackhole.test').hosts.map((h) => h.addresses[0]!);
    assert.deepEqual(
      [refused!.error?.code, bh!.error?.code, bh!.error?.stage],
      ['CONNECTION_REFUSED', 'CONNECT_TIMEOUT', 'connect'],
    );
    // Lower bounds only: a timer cannot fire early, but a loaded machine can be late by any amount.
    assert.ok(bh!.ms >= CONNECT_TIMEOUT_MS * 0.95, `the blackhole took ${bh!.ms} ms`);
    // Probed in parallel: the good MX 30 does not wait for MX 20's timeout.
    assert.ok(
      wallMs >= CONNECT_TIMEOUT_MS * 0.95,
      `the walk took ${wallMs.toFixed(0)} ms: shorter than the timeout it waited for`,
    );
  });

  test('with parallel 1 the addresses are probed one by one: the good MX 30 hears from us only after MX 20 timed out', async () => {
    const startedAt = Date.now();
    const { status, result } = await probeMx('blackhole.test', { ...options, parallel: 1 });
    assert.equal(status, 'ok');
    assert.deepEqual(
      result.hosts.map((h) => h.addresses[0]!.status),
      ['connection-refused', 'connection-timeout', 'ok'],
    );
    assert.equal(result.verdict?.kind, 'accepted');
    const first = lab.log.find((e) => e.host === 'mx.blackhole.test' && e.at >= startedAt);
    assert.ok(first, 'mx.blackhole.test heard nothing');
    assert.ok(
      first.at - startedAt >= CONNECT_TIMEOUT_MS * 0.95,
      `its first command came ${first.at - startedAt} ms after the start`,
    );
  });

  test('in parallel (the default) the good MX 30 hears from us before MX 20 times out', () => {
    const { startedAt, outcome } = walks.get('blackhole.test')!;
    const bh = outcome.result.hosts.find((h) => h.name === 'bh.blackhole.test')!.addresses[0]!;
    const first = lab.log.find((e) => e.host === 'mx.blackhole.test' && e.at >= startedAt);
    // Ordered against the blackhole's own timeout, not a fixed share of it: a loaded machine slows both.
    assert.ok(
      first && first.at - startedAt < bh.ms,
      `its first command came ${first && first.at - startedAt} ms after the start, the blackhole took ${bh.ms} ms`,
    );
  });
});

describe('mx walk: names that do not exist, and IDN', { concurrency: true }, () => {
  test(`${MISSING}: no-such-domain from NXDOMAIN, no hosts, one MX question`, () => {
    const r = walked(MISSING);
    assert.equal(r.mxLookup?.status, 'nxdomain');
    assert.deepEqual([r.source, r.hosts, r.lint], ['none', [], []]);
    assert.deepEqual(r.verdict, {
      kind: 'no-such-domain',
      failedBefore: [],
      text: `${MISSING} does not exist (NXDOMAIN): mail to it bounces at once`,
    });
    assert.deepEqual(
      r.dns.map((e) => [e.question.type, e.question.name, e.rcode]),
      [['MX', MISSING, 'NXDOMAIN']],
    );
  });

  test(`${IDN.input} goes out as ${IDN.ascii}, keeps both forms, and does not exist`, () => {
    const r = walked(IDN.input);
    assert.deepEqual(r.domain, { input: IDN.input, ascii: IDN.ascii, unicode: IDN.input });
    assert.deepEqual(
      r.dns.map((e) => e.question),
      [{ name: IDN.ascii, type: 'MX' }],
    );
    assert.equal(r.verdict?.kind, 'no-such-domain');
    // What reached the lab's DNS server: the A-label name, never the Unicode one.
    const heard = lab.dnsLog.filter((q) => /bcher|ü/.test(q.name ?? ''));
    assert.deepEqual(
      heard.map((q) => [q.name, q.type, q.rcode]),
      [[IDN.ascii, 'MX', 'NXDOMAIN']],
    );
  });

  test('invalid input is refused before any DNS query: no envelope-less throw, nothing asked', async () => {
    const before = lab.dnsLog.length;
    for (const bad of [
      'bad domain.test',
      'a..test',
      `${'x'.repeat(64)}.test`,
      'evil\r\n.test',
      '127.0.0.1',
    ]) {
      await assert.rejects(
        probeMx(bad, options),
        (e: Error & { code?: string }) => e.code === 'INVALID_INPUT',
        JSON.stringify(bad),
      );
    }
    await assert.rejects(
      probeMx('mlfarm.test', { ...options, resolvers: ['bad\nvalue'] }),
      (e: Error & { code?: string }) => e.code === 'INVALID_INPUT',
    );
    assert.equal(lab.dnsLog.length, before);
  });
});

describe('mx walk: never a mail transaction', () => {
  test('the lab heard EHLO, STARTTLS and QUIT from the walks, and no MAIL, RCPT or DATA', () => {
    const scenarioHosts = new Set(lab.hosts.filter((h) => h.scenario !== null).map((h) => h.name));
    const verbs = new Set(
      lab.log
        .filter((e) => scenarioHosts.has(e.host))
        .map((e) => e.line.split(' ')[0]!.toUpperCase()),
    );
    for (const v of ['EHLO', 'STARTTLS', 'QUIT'])
      assert.ok(verbs.has(v), `${v} in ${[...verbs].join(', ')}`);
    for (const v of ['MAIL', 'RCPT', 'DATA']) assert.ok(!verbs.has(v), `${v} was sent`);
  });
});
