/**
 * renderMx and renderFailover, pure: the MX × address matrix in sender
 * order, lint rows, the DNS trace (only when asked), the verdict line; the
 * timeline (axis, one bar per attempt in time order, the profile), the
 * assumptions, the delivery and queue lines; and hostile text from servers or
 * DNS escaped wherever it is printed.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { renderMx } from '../../src/output/mx-table.js';
import { renderFailover } from '../../src/output/failover-table.js';
import { paint } from '../../src/output/terminal.js';
import { resolveProfile } from '../../src/mx/profiles.js';
import {
  MxResultSchema,
  type AddressProbe,
  type MxHost,
  type MxResult,
} from '../../src/schema/mx.js';
import {
  FailoverResultSchema,
  type FailoverResult,
  type TimelineAttempt,
} from '../../src/schema/failover.js';
import type { DnsExchange, Lookup } from '../../src/schema/dns.js';
import { sections, row, tableRows } from '../support/table-text.js';
import { assertFits, WIDTHS } from '../support/fit-check.js';
import { ANSI_ESCAPE } from '../support/sink.js';
import { HOSTILE, HOSTILE_ESCAPED } from '../support/caps-fixtures.js';

const PLAIN = { paint: paint(false), color: false, width: 120 };
const COLOUR = { paint: paint(true), color: true, width: 120 };
const SGR = /\u001b\[\d+m/g;

const lookup = (name: string, type: 'A' | 'AAAA' | 'MX', status: Lookup['status']): Lookup => ({
  name,
  type,
  status,
  cnameChain: [],
  records: [],
});

const GOOD = (address: string, name: string, ms = 25): AddressProbe => ({
  address,
  family: address.includes(':') ? 6 : 4,
  status: 'ok',
  ms,
  connectMs: 0.4,
  banner: { code: 220, lines: [`${name} ESMTP smtp-probe lab`] },
  hello: { verb: 'EHLO', code: 250, keywords: ['SIZE', 'PIPELINING', 'STARTTLS'] },
  tls: { outcome: 'ok', protocol: 'TLSv1.3' },
});
const FAILED = (
  address: string,
  status: AddressProbe['status'],
  ms: number,
  code: 'CONNECTION_REFUSED' | 'CONNECT_TIMEOUT',
): AddressProbe => ({
  address,
  family: 4,
  status,
  ms,
  error: {
    code,
    stage: 'connect',
    message: `${code === 'CONNECT_TIMEOUT' ? 'connect timeout' : 'connection refused'} (${address}:2525)`,
    hint: 'h',
  },
});

function mxHost(
  name: string,
  preference: number,
  addresses: AddressProbe[],
  extra: Partial<MxHost> = {},
): MxHost {
  return {
    name,
    preference,
    group: 0,
    groupSize: 1,
    implicit: false,
    cnameChain: [],
    lookups: {
      a: lookup(name, 'A', addresses.length ? 'ok' : 'nxdomain'),
      aaaa: lookup(name, 'AAAA', addresses.length ? 'nodata' : 'nxdomain'),
    },
    addresses,
    ...extra,
  };
}

const MX_ANSWER: DnsExchange = {
  server: '127.0.0.1:2553',
  transport: 'udp',
  question: { name: 'blackhole.test', type: 'MX' },
  attempt: 1,
  outcome: 'answer',
  rcode: 'NOERROR',
  flags: { aa: true, tc: false, rd: true, ra: false, ad: false },
  answers: [10, 20, 30].map((preference, i) => ({
    type: 'MX' as const,
    name: 'blackhole.test',
    ttl: 300,
    preference,
    exchange: `${['refused', 'bh', 'mx'][i]}.blackhole.test`,
  })),
  authority: [],
  rttMs: 3.3,
};
const NX_ANSWER: DnsExchange = {
  ...MX_ANSWER,
  question: { name: 'gone.blackhole.test', type: 'A' },
  rcode: 'NXDOMAIN',
  answers: [],
  rttMs: 1.2,
  attempt: 2,
  authority: [
    {
      type: 'OTHER',
      name: 'test',
      ttl: 60,
      rrtype: 'SOA',
      data: 'ns.lab.test. hostmaster.lab.test. 1 3600 600 604800 60',
    },
  ],
};

/** walk: a blackhole.test-like walk: refused, blackholed, good; plus a dangling host and a two-address pair of equal preference. */
function walk(overrides: Partial<MxResult> = {}): MxResult {
  const hosts = [
    mxHost('refused.blackhole.test', 10, [
      FAILED('127.0.0.33', 'connection-refused', 3.4, 'CONNECTION_REFUSED'),
    ]),
    mxHost(
      'bh.blackhole.test',
      20,
      [FAILED('127.0.0.34', 'connection-timeout', 2004, 'CONNECT_TIMEOUT')],
      { group: 1 },
    ),
    mxHost('gone.blackhole.test', 25, [], { group: 2 }),
    mxHost(
      'mx.blackhole.test',
      30,
      [GOOD('::1', 'mx.blackhole.test', 31), GOOD('127.0.0.35', 'mx.blackhole.test')],
      { group: 3, groupSize: 2 },
    ),
    mxHost('mx2.blackhole.test', 30, [GOOD('127.0.0.36', 'mx2.blackhole.test')], {
      group: 3,
      groupSize: 2,
    }),
  ];
  return MxResultSchema.parse({
    domain: { input: 'blackhole.test', ascii: 'blackhole.test', unicode: 'blackhole.test' },
    port: 2525,
    resolvers: ['127.0.0.1:2553'],
    source: 'mx',
    mxLookup: { ...lookup('blackhole.test', 'MX', 'ok'), records: MX_ANSWER.answers },
    hosts,
    lint: [
      {
        id: 'mx-dangling',
        severity: 'error',
        rfc: 'RFC 5321 §5.1',
        subject: 'gone.blackhole.test',
        message: 'MX target does not exist (NXDOMAIN); senders skip it',
      },
      {
        id: 'single-address-family',
        severity: 'info',
        rfc: 'RFC 3974 §3',
        subject: 'all 5 MX hosts',
        message: 'x',
      },
    ],
    verdict: {
      kind: 'accepted',
      host: 'mx.blackhole.test',
      address: '::1',
      failedBefore: [
        { host: 'refused.blackhole.test', address: '127.0.0.33', status: 'connection-refused' },
        { host: 'bh.blackhole.test', address: '127.0.0.34', status: 'connection-timeout' },
      ],
      text: 'mail for blackhole.test is accepted by mx.blackhole.test (::1) — 2 addresses before it fail: connection-refused, connection-timeout',
    },
    dns: [MX_ANSWER, NX_ANSWER],
    ...overrides,
  });
}

/**
 * hostRows: the matrix read back one MX host per row. A line with an MX host
 * cell starts a host; every other line (a wrapped cell, the host's next
 * address) continues it, its non-empty cells appended with "\n".
 */
function hostRows(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split('\n').filter((l) => l.startsWith('│'))) {
    const cells = line
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim());
    const prev = rows.at(-1);
    if (cells[1] === '' && prev)
      cells.forEach((c, i) => {
        if (c !== '') prev[i] = prev[i] ? `${prev[i]}\n${c}` : c;
      });
    else rows.push(cells);
  }
  return rows;
}

/** unwrap: a paragraph wrapped with a two-space hanging indent, read as one line. */
const unwrap = (text: string): string => text.replace(/\n {2}(?=\S)/g, ' ');

/** oneLine: a wrapped cell read as one line. */
const oneLine = (cell: string | undefined): string => (cell ?? '').replace(/\n/g, ' ');

describe('renderMx', () => {
  const text = renderMx(walk(), PLAIN);
  const parts = sections(text);

  test('the heading names the domain, how many MX records, the resolver and the port', () => {
    assert.equal(
      text.split('\n')[0],
      'MX for blackhole.test — 3 MX records; resolver 127.0.0.1:2553; SMTP port 2525',
    );
  });

  test('the matrix: one row per address in sender order, with outcome and time', () => {
    const rows = hostRows(text.split('\n\n')[1]!);
    assert.deepEqual(rows[0], [
      'pref',
      'MX host',
      'address',
      'status',
      'time',
      'greeting / EHLO / error',
    ]);
    // Refused and timed out explain themselves: no error text beside them.
    assert.deepEqual(rows[1], [
      '10',
      'refused.blackhole.test',
      '127.0.0.33',
      'connection-refused',
      '3.4 ms',
      '',
    ]);
    assert.deepEqual(rows[2], [
      '20',
      'bh.blackhole.test',
      '127.0.0.34',
      'connection-timeout',
      '2.00 s',
      '',
    ]);
    assert.deepEqual(rows[3]!.slice(0, 4), ['25', 'gone.blackhole.test', '—', 'skipped']);
    assert.equal(rows[3]![5]!.replace(/\n/g, ' '), 'no address (A: nxdomain, AAAA: nxdomain)');
  });

  test("an equal-preference group is marked, and a host's second address continues its row", () => {
    const rows = hostRows(text.split('\n\n')[1]!);
    const marked = rows.filter((r) => oneLine(r[0]) === '30 (1 of 2, random)');
    assert.deepEqual(
      marked.map((r) => r[1]),
      ['mx.blackhole.test', 'mx2.blackhole.test'],
      `both hosts of the group are marked, the mark whole:\n${text}`,
    );
    const mx = marked[0]!;
    assert.equal(mx[1], 'mx.blackhole.test');
    // The second address has no pref or host cell, so it reads as a continuation of mx.blackhole.test.
    assert.deepEqual(mx[2]!.split('\n'), ['::1', '127.0.0.35']);
    assert.deepEqual(mx[3]!.split('\n'), ['ok', 'ok']);
    assert.equal(
      oneLine(mx[5]).split('220 mx.blackhole.test ESMTP smtp-probe lab EHLO 250, STARTTLS TLSv1.3')
        .length,
      3,
      mx[5],
    );
    assert.equal(rows.length, 1 + 5, 'header and one row per host (addresses of one host merge)');
    assert.ok(!text.includes('…'), 'no cell is cut short');
  });

  test('lint rows: severity, id, RFC and "subject: message"', () => {
    const lint = parts.get('Lint')!;
    assert.deepEqual(row(lint, 'error').slice(0, 3), ['error', 'mx-dangling', 'RFC 5321 §5.1']);
    assert.equal(
      row(lint, 'error')[3]!.replace(/\n/g, ' '),
      'gone.blackhole.test: MX target does not exist (NXDOMAIN); senders skip it',
    );
    assert.deepEqual(row(lint, 'info').slice(0, 3), [
      'info',
      'single-address-family',
      'RFC 3974 §3',
    ]);
  });

  test('the verdict is the last paragraph, wrapped at spaces to the width', () => {
    const verdict = text.trimEnd().split('\n\n').at(-1)!;
    assert.ok(
      verdict.split('\n').every((l) => l.length <= 120),
      verdict,
    );
    assert.equal(
      unwrap(verdict),
      'Verdict: mail for blackhole.test is accepted by mx.blackhole.test (::1) — 2 addresses before it fail: connection-refused, connection-timeout',
    );
  });

  test('the DNS trace only when asked: query, server/transport (and try), outcome with flags, rtt, answers with TTLs', () => {
    assert.ok(!parts.has('DNS trace'));
    const trace = sections(renderMx(walk(), { ...PLAIN, width: 160 }, { dnsTrace: true })).get(
      'DNS trace',
    )!;
    const mx = row(trace, 'MX blackhole.test');
    assert.deepEqual(mx.slice(1, 4), ['127.0.0.1:2553/udp', 'answer NOERROR aa', '3.3 ms']);
    assert.deepEqual(mx[4]!.split('\n'), [
      'MX 10 refused.blackhole.test (300s)',
      'MX 20 bh.blackhole.test (300s)',
      'MX 30 mx.blackhole.test (300s)',
    ]);
    assert.deepEqual(row(trace, 'A gone.blackhole.test').slice(1).map(oneLine), [
      '127.0.0.1:2553/udp #2',
      'answer NXDOMAIN aa',
      '1.2 ms',
      '(authority: SOA)',
    ]);
  });

  test('null MX: no matrix, the source says so, and the verdict', () => {
    const t = renderMx(
      walk({
        source: 'null-mx',
        hosts: [],
        lint: [],
        mxLookup: lookup('nullmx.test', 'MX', 'ok'),
        verdict: {
          kind: 'no-mail',
          failedBefore: [],
          text: 'nullmx.test publishes a null MX (RFC 7505): it accepts no mail',
        },
      }),
      PLAIN,
    );
    assert.ok(t.startsWith('MX for blackhole.test — null MX (RFC 7505); '), t);
    assert.ok(!t.includes('┌'), 'no table at all');
    assert.ok(
      t
        .trimEnd()
        .endsWith('Verdict: nullmx.test publishes a null MX (RFC 7505): it accepts no mail'),
    );
  });

  test('implicit MX and IDN: the preference cell and both forms of the name', () => {
    const implicit = mxHost('xn--bcher-kva.test', 0, [GOOD('127.0.0.28', 'xn--bcher-kva.test')], {
      implicit: true,
    });
    const t = renderMx(
      walk({
        domain: { input: 'bücher.test', ascii: 'xn--bcher-kva.test', unicode: 'bücher.test' },
        source: 'implicit',
        hosts: [implicit],
        lint: [],
      }),
      PLAIN,
    );
    assert.match(
      t.split('\n')[0]!,
      /^MX for bücher\.test \(xn--bcher-kva\.test\) — no MX records: the domain itself is the implicit MX \(RFC 5321 §5\.1\)/,
    );
    const implicitRow = hostRows(t).find((r) => oneLine(r[0]) === '0 (implicit)');
    assert.equal(implicitRow?.[1], 'xn--bcher-kva.test', t);
  });

  test('colour: the same text once the SGR codes are removed', () => {
    const coloured = renderMx(walk(), COLOUR, { dnsTrace: true });
    assert.ok(SGR.test(coloured));
    assert.equal(coloured.replace(SGR, ''), renderMx(walk(), PLAIN, { dnsTrace: true }));
  });
});

/** hostileWalk: a server and a DNS answer that try to paint the terminal: banner, error, host name, lint, answer, verdict. */
function hostileWalk(): MxResult {
  const evilName = 'evil\u001b[2J.test';
  const bad: AddressProbe = {
    address: '127.0.0.66',
    family: 4,
    status: 'protocol-error',
    ms: 4,
    banner: { code: 220, lines: [HOSTILE] },
    error: {
      code: 'PROTOCOL_ERROR',
      stage: 'ehlo',
      message: `short reply line: "${HOSTILE}"`,
      hint: 'h',
    },
  };
  const greeting: AddressProbe = {
    address: '127.0.0.67',
    family: 4,
    status: 'rejected',
    ms: 2,
    banner: { code: 554, lines: [HOSTILE] },
  };
  return walk({
    hosts: [mxHost(evilName, 10, [bad]), mxHost('mx.test', 20, [greeting], { group: 1 })],
    lint: [
      {
        id: 'mx-is-cname',
        severity: 'warning',
        rfc: 'RFC 2181 §10.3',
        subject: evilName,
        message: `MX target is an alias (${evilName} → ${HOSTILE})`,
      },
    ],
    verdict: {
      kind: 'no-usable-host',
      failedBefore: [],
      text: `mail for blackhole.test is not accepted now — ${HOSTILE}`,
    },
    dns: [
      {
        ...MX_ANSWER,
        question: { name: evilName, type: 'MX' },
        answers: [{ type: 'MX', name: evilName, ttl: 300, preference: 10, exchange: HOSTILE }],
      },
    ],
  });
}

/** assertEscaped: no ESC or CR reaches the terminal except our own SGR codes, and the hostile text shows escaped. */
function assertEscaped(text: string): void {
  const bare = text.replace(SGR, '');
  assert.ok(!ANSI_ESCAPE.test(bare), `a raw ESC in:\n${JSON.stringify(bare)}`);
  assert.ok(!bare.includes('\r'), 'a raw CR');
  assert.ok(bare.includes('\\x1b[2J'), bare);
}

describe('hostile text is escaped', () => {
  test('renderMx: banner, error message, host name, lint subject and message, DNS answer, verdict', () => {
    for (const style of [PLAIN, COLOUR]) {
      const text = renderMx(hostileWalk(), { ...style, width: 400 }, { dnsTrace: true });
      assertEscaped(text);
      const bare = text.replace(SGR, '');
      assert.ok(bare.includes(`220 ${HOSTILE_ESCAPED}`), 'banner');
      assert.ok(bare.includes(`554 ${HOSTILE_ESCAPED}`), '5xx greeting');
      assert.ok(bare.includes(`short reply line: "${HOSTILE_ESCAPED}"`), 'error message');
      assert.ok(bare.includes('evil\\x1b[2J.test'), 'host name');
      assert.ok(
        bare.includes(`Verdict: mail for blackhole.test is not accepted now — ${HOSTILE_ESCAPED}`),
        'verdict',
      );
      assert.ok(bare.includes(`MX 10 ${HOSTILE_ESCAPED} (300s)`), 'DNS answer');
    }
  });

  test('renderFailover: the attempt labels, the not-tried list and the delivery text', () => {
    const w = hostileWalk();
    const r = failover(w, [attempt('evil\u001b[2J.test', '127.0.0.66', 'protocol-error', 0, 4)], {
      notTried: [
        {
          host: 'evil\u001b]0;pwned\u0007.test',
          address: '127.0.0.67',
          reason: 'mail already delivered',
        },
      ],
      delivery: {
        kind: 'deferred',
        maxDelayMs: 60_000,
        text: `postfix cannot deliver mail — ${HOSTILE}`,
      },
    });
    for (const style of [PLAIN, COLOUR]) {
      const text = renderFailover(r, style);
      assertEscaped(text);
      const bare = text.replace(SGR, '');
      assert.ok(bare.includes('  evil\\x1b[2J.test 127.0.0.66  protocol-error'), bare);
      assert.ok(
        bare.includes('not tried: evil\\x1b]0;pwned\\x07.test 127.0.0.67 (mail already delivered)'),
        bare,
      );
      assert.ok(bare.includes(`Delivery: postfix cannot deliver mail — ${HOSTILE_ESCAPED}`));
      assert.ok(!bare.includes('\u0007'), 'a raw BEL');
    }
  });
});

function attempt(
  host: string,
  address: string,
  status: TimelineAttempt['status'],
  startMs: number,
  costMs: number,
  extra: Partial<TimelineAttempt> = {},
): TimelineAttempt {
  const basis = status === 'connection-timeout' ? 'sender-connect-timeout' : 'measured';
  return {
    host,
    preference: 10,
    address,
    status,
    assumed: false,
    startMs,
    costMs,
    basis,
    ...extra,
  };
}

function failover(
  w: MxResult,
  attempts: TimelineAttempt[],
  extra: Partial<FailoverResult> = {},
): FailoverResult {
  const last = attempts.at(-1);
  return FailoverResultSchema.parse({
    walk: w,
    profile: resolveProfile('sendmail'),
    assumptions: [],
    attempts,
    notTried: [],
    queue: null,
    mtaSts: false,
    notes: [],
    delivery: {
      kind: 'delayed',
      host: last?.host,
      address: last?.address,
      afterMs: last ? last.startMs + last.costMs : 0,
      maxDelayMs: 60_000,
      text: 'sendmail delivers mail for blackhole.test to mx.blackhole.test (127.0.0.35) 2m07s after it starts — later than --max-delay 1m00s',
    },
    ...extra,
  });
}

const SENDMAIL_ATTEMPTS = [
  attempt('refused.blackhole.test', '127.0.0.33', 'connection-refused', 0, 2.3),
  attempt('bh.blackhole.test', '127.0.0.34', 'connection-timeout', 2.3, 127_000),
  attempt('mx.blackhole.test', '127.0.0.35', 'ok', 127_002.3, 10),
];

/** timelineLines: the axis and the attempt rows (the lines after the "Timeline of" heading, up to the blank line). */
function timelineLines(text: string): {
  heading: string;
  axis: string;
  rows: string[];
  after: string[];
} {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith('Timeline of a '));
  assert.ok(at >= 0, text);
  // The heading may wrap (continuation lines indented); it ends with the profile's limits in parentheses.
  const headingEnd = lines.findIndex((l, i) => i >= at && l.endsWith(')'));
  const end = lines.indexOf('', at);
  const block = lines.slice(headingEnd + 1, end);
  const axisAt = block.findIndex((l) => /^\s+0\s/.test(l));
  return {
    heading: unwrap(lines.slice(at, headingEnd + 1).join('\n')),
    axis: block[axisAt] ?? '',
    rows: axisAt >= 0 ? block.slice(axisAt + 1).filter((l) => l.includes('█')) : [],
    after: lines.slice(end + 1),
  };
}

/** barSpan: the first and one-past-last column of a row's bar. */
const barSpan = (line: string): [number, number] => [line.indexOf('█'), line.lastIndexOf('█') + 1];

describe('renderFailover', () => {
  const text = renderFailover(failover(walk(), SENDMAIL_ATTEMPTS), PLAIN);
  const t = timelineLines(text);

  test('the measured walk comes first, then the timeline of the named profile with its limits', () => {
    assert.ok(text.startsWith('MX for blackhole.test — 3 MX records'), text);
    assert.ok(text.indexOf('Verdict: ') < text.indexOf('Timeline of a '));
    assert.equal(
      t.heading,
      'Timeline of a sendmail sender (Sendmail 8 defaults on Linux: connect timeout 2m07s, greeting timeout 5m00s, all addresses, no session limit)',
    );
  });

  test('the axis runs from 0 to the total, over the bars', () => {
    assert.match(t.axis, /^\s+0\s+2m07s$/);
    const zero = t.axis.indexOf('0');
    assert.equal(barSpan(t.rows[0]!)[0], zero, 'the first attempt starts at 0');
    assert.equal(barSpan(t.rows.at(-1)!)[1], t.axis.length, 'the last attempt ends at the total');
  });

  test('one row per attempt, in order: label, outcome, bar, cost', () => {
    assert.equal(t.rows.length, 3);
    assert.match(
      t.rows[0]!,
      /^ {2}refused\.blackhole\.test 127\.0\.0\.33 +connection-refused +█ +2\.3 ms$/,
    );
    assert.match(
      t.rows[1]!,
      /^ {2}bh\.blackhole\.test 127\.0\.0\.34 +connection-timeout +█+ 2m07s$/,
    );
    assert.match(t.rows[2]!, /^ {2}mx\.blackhole\.test 127\.0\.0\.35 +ok +█ 10 ms$/);
  });

  test('bars are ordered on the axis and the long attempt has the long bar', () => {
    const spans = t.rows.map(barSpan);
    for (let i = 1; i < spans.length; i++)
      assert.ok(
        spans[i]![0] >= spans[i - 1]![0],
        `bar ${i} starts before bar ${i - 1}: ${JSON.stringify(spans)}`,
      );
    const lengths = spans.map(([a, b]) => b - a);
    assert.ok(lengths[1]! > 40 && lengths[0] === 1 && lengths[2] === 1, JSON.stringify(lengths));
    // Every bar begins in the same column range (after the labels and outcomes).
    assert.ok(spans.every(([a]) => a >= t.axis.indexOf('0')));
  });

  test('the delivery line follows the timeline; no queue when delivered', () => {
    assert.equal(
      unwrap(t.after.join('\n').trimEnd()),
      'Delivery: sendmail delivers mail for blackhole.test to mx.blackhole.test (127.0.0.35) 2m07s after it starts — later than --max-delay 1m00s',
    );
    assert.ok(!text.includes('Queue:'));
  });

  test('assumed failures: the assumption line, "(assumed)" on the row, then the queue with its retries and the bounce', () => {
    const attempts = [
      attempt('sun.noao.test', '127.0.0.22', 'connection-refused', 0, 2.2),
      attempt('sun.noao.test', '127.0.0.23', 'connection-refused', 2.2, 2.2),
      attempt('mx.noao.test', '127.0.0.24', 'connection-timeout', 4.4, 30_000, {
        assumed: true,
        preference: 20,
      }),
    ];
    const retries = [330_004, 930_004, 2_130_004, 4_530_004, 8_530_004, 12_530_004, 16_530_004];
    const r = FailoverResultSchema.parse({
      ...failover(walk(), attempts),
      profile: resolveProfile('postfix'),
      assumptions: [
        { target: 'mx.noao.test', mode: 'blackhole', matched: ['127.0.0.24'] },
        { target: 'nope.test', mode: 'refused', matched: [] },
      ],
      delivery: {
        kind: 'deferred',
        maxDelayMs: 60_000,
        text: 'postfix cannot deliver mail for noao.test now — 3 attempts fail (connection-refused, connection-refused, connection-timeout); it queues the message and bounces it after 5d if nothing changes',
      },
      queue: { retriesAtMs: retries, bounceAtMs: 5 * 86_400_000 },
      notTried: [
        { host: 'late.noao.test', address: '127.0.0.99', reason: 'address limit (5) reached' },
      ],
      notes: ['--assume-down nope.test matched no MX host or address'],
    });
    const out = renderFailover(r, PLAIN);
    const lines = out.split('\n');
    assert.ok(lines.includes('  assuming mx.noao.test is down (blackhole): 127.0.0.24'), out);
    assert.ok(lines.includes('  assuming nope.test is down (refused): matched nothing'), out);
    const tl = timelineLines(out);
    assert.equal(tl.rows.length, 3);
    assert.match(
      tl.rows[2]!,
      /^ {2}mx\.noao\.test 127\.0\.0\.24 +connection-timeout \(assumed\) +█+ 30\.00 s$/,
    );
    assert.ok(
      lines.includes('  not tried: late.noao.test 127.0.0.99 (address limit (5) reached)'),
      out,
    );
    assert.ok(
      lines.includes(
        'Queue: retries at 5m30s, 15m30s, 35m30s, 1h16m, 2h22m, 3h29m, … (7 retries in all); bounce at 5d',
      ),
      out,
    );
    assert.equal(lines.at(-2), 'note: --assume-down nope.test matched no MX host or address');
  });

  test('no attempts (null MX): no axis and no bars, just the delivery line', () => {
    const r = failover(
      walk({
        source: 'null-mx',
        hosts: [],
        lint: [],
        verdict: { kind: 'no-mail', failedBefore: [], text: 'x' },
      }),
      [],
      {
        profile: resolveProfile('postfix'),
        delivery: {
          kind: 'no-mail',
          maxDelayMs: 60_000,
          text: 'nullmx.test publishes a null MX: every sender bounces mail to it at once',
        },
      },
    );
    const out = unwrap(renderFailover(r, PLAIN));
    assert.ok(!out.includes('█'));
    assert.ok(
      out.includes(
        'Timeline of a postfix sender (Postfix 3.x defaults: connect timeout 30.00 s, greeting timeout 5m00s, 5 addresses, 2 sessions)',
      ),
    );
    assert.ok(
      out.includes(
        '\nDelivery: nullmx.test publishes a null MX: every sender bounces mail to it at once\n',
      ),
    );
    assert.ok(!out.includes('Queue:'));
  });

  test('a long label is never cut: each attempt takes two lines, label above, and the bars stay aligned', () => {
    const long = `${'very-long-label-'.repeat(4)}mx.test`;
    const out = renderFailover(
      failover(walk(), [
        attempt(long, '127.0.0.1', 'connection-refused', 0, 1),
        attempt('mx.test', '127.0.0.2', 'ok', 1, 9),
      ]),
      PLAIN,
    );
    const tl = timelineLines(out);
    const lines = out.split('\n');
    assert.ok(lines.includes(`  ${long} 127.0.0.1`), out);
    assert.ok(lines.includes('  mx.test 127.0.0.2'), out);
    assert.ok(!out.includes('…'), 'nothing is cut');
    assert.equal(tl.rows.length, 2);
    assert.match(tl.rows[0]!, /^ {4}connection-refused +█+ +1\.0 ms$/);
    assert.equal(
      barSpan(tl.rows[0]!)[0],
      tl.axis.indexOf('0'),
      'the long label does not push its bar off the axis',
    );
    assert.ok(barSpan(tl.rows[1]!)[0] >= barSpan(tl.rows[0]!)[0]);
    assert.ok(lines.every((l) => l.length <= 120));
  });
});

describe('renderMx and renderFailover fit 80, 100 and 120 columns', () => {
  const MX_TOKENS = [
    'refused.blackhole.test',
    'bh.blackhole.test',
    'gone.blackhole.test',
    'mx2.blackhole.test',
    '127.0.0.33',
    '127.0.0.34',
    '127.0.0.35',
    '127.0.0.36',
    'connection-refused',
    'connection-timeout',
    'skipped',
    'STARTTLS',
    'TLSv1.3',
    '(NXDOMAIN);',
    'mx-dangling',
    'single-address-family',
    'RFC 5321 §5.1',
    '127.0.0.1:2553/udp',
    'NOERROR',
    'NXDOMAIN',
    '(300s)',
  ];
  for (const width of WIDTHS) {
    test(`mx at ${width}: every host, address, status, code and RFC whole`, () => {
      for (const style of [PLAIN, COLOUR])
        assertFits(renderMx(walk(), { ...style, width }, { dnsTrace: true }), width, MX_TOKENS);
    });

    test(`failover at ${width}: the timeline's hosts, addresses and statuses whole`, () => {
      const text = renderFailover(failover(walk(), SENDMAIL_ATTEMPTS), { ...PLAIN, width });
      assertFits(text, width, [
        ...MX_TOKENS.slice(0, 12),
        'refused.blackhole.test 127.0.0.33',
        'bh.blackhole.test 127.0.0.34',
        '(127.0.0.35)',
        '2m07s',
        '--max-delay',
      ]);
      const t = timelineLines(text);
      assert.equal(t.rows.length, 3, text);
      assert.equal(barSpan(t.rows.at(-1)!)[1], t.axis.length, 'the bars end where the axis does');
    });
  }

  test("at 80 the server's words move under the row; at 120 they keep their column", () => {
    const narrow = renderMx(walk(), { ...PLAIN, width: 80 }).split('\n\n')[1]!;
    assert.deepEqual(tableRows(narrow)[0], ['pref', 'MX host', 'address', 'status', 'time']);
    assert.ok(narrow.includes('│   220 mx.blackhole.test ESMTP smtp-probe lab'), narrow);
    assert.ok(narrow.includes('│   no address (A: nxdomain, AAAA: nxdomain)'), narrow);
    const wide = renderMx(walk(), PLAIN).split('\n\n')[1]!;
    assert.equal(tableRows(wide)[0]!.length, 6);
  });

  test("at 80 the lint RFC joins the finding's cell", () => {
    const lint = sections(renderMx(walk(), { ...PLAIN, width: 80 })).get('Lint')!;
    assert.deepEqual(tableRows(lint)[0], ['severity', 'finding / RFC', 'detail']);
    assert.equal(row(lint, 'error')[1], 'mx-dangling\nRFC 5321 §5.1');
  });

  test('at 80 the timeline puts each label on its own line, uncut', () => {
    const text = renderFailover(failover(walk(), SENDMAIL_ATTEMPTS), { ...PLAIN, width: 80 });
    const lines = text.split('\n');
    assert.ok(lines.includes('  refused.blackhole.test 127.0.0.33'), text);
    assert.match(timelineLines(text).rows[0]!, /^ {4}connection-refused +█ +2\.3 ms$/);
  });
});
