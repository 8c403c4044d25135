/**
 * Fitting output to the terminal, pure: display width, wrapping at spaces
 * (a word is cut only when no line could hold it), fitTable's folding order,
 * and the verify, vrfy/expn and lab tables at 80, 100 and 120 columns with
 * every address, host name, reply code and status word whole.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { displayWidth, wrapLine, wrapText, wrapUnits } from '../../src/output/wrap.js';
import { fitTable } from '../../src/output/table.js';
import { renderVerify } from '../../src/output/verify-table.js';
import { renderLookup } from '../../src/output/lookup-table.js';
import { renderLab } from '../../src/output/lab-table.js';
import { paint } from '../../src/output/terminal.js';
import type { RenderContext } from '../../src/output/render.js';
import type { Lab, LabScenario } from '../../src/lab/index.js';
import { VerifyResultSchema, type VerifyResult } from '../../src/schema/verify.js';
import { LookupResultSchema, type LookupResult } from '../../src/schema/lookup.js';
import { tableRows } from '../support/table-text.js';
import { assertFits, WIDTHS } from '../support/fit-check.js';
import { Sink } from '../support/sink.js';

const PLAIN = { paint: paint(false), color: false, width: 120 };
const COLOUR = { paint: paint(true), color: true, width: 120 };

describe('displayWidth', () => {
  const cases: [string, string, number][] = [
    ['ASCII', 'mx.example.com', 14],
    ['our SGR colour codes take no room', '\u001b[32mok\u001b[39m', 2],
    ['CJK takes two columns each', '日本', 4],
    ['a combining mark takes none', 'e\u0301', 1],
    ['box drawing and arrows take one', '→ █', 3],
  ];
  for (const [name, text, want] of cases) test(name, () => assert.equal(displayWidth(text), want));
});

describe('wrapLine', () => {
  test('a line that fits is left alone, spacing and all', () => {
    assert.deepEqual(wrapLine('subject  CN=mx.example.com', 40), ['subject  CN=mx.example.com']);
  });

  test('breaks at spaces only: every word stays whole', () => {
    const lines = wrapLine(
      '550 5.1.1 <nobody@mlfarm.test>: Recipient address rejected: User unknown',
      24,
    );
    assert.deepEqual(lines, [
      '550 5.1.1',
      '<nobody@mlfarm.test>:',
      'Recipient address',
      'rejected: User unknown',
    ]);
  });

  test('continuation lines start with the hang', () => {
    assert.deepEqual(wrapLine('Verdict: mail for a.test is accepted by mx.a.test', 24, '  '), [
      'Verdict: mail for a.test',
      '  is accepted by',
      '  mx.a.test',
    ]);
  });

  test('a word wider than any line is cut where it stands (the only cut), continuing at the hang', () => {
    const hex = 'a'.repeat(30);
    const lines = wrapLine(`sha256   ${hex}`, 20, ' '.repeat(9));
    assert.deepEqual(lines, [
      `sha256   ${'a'.repeat(11)}`,
      `         ${'a'.repeat(11)}`,
      `         ${'a'.repeat(8)}`,
    ]);
  });

  test('wrapText wraps each line of a multi-line text', () => {
    assert.equal(wrapText('one two three\nfour', 8), 'one two\nthree\nfour');
  });

  test('wrapUnits breaks only between units, the separator ending the line', () => {
    assert.deepEqual(
      wrapUnits('connect 3.1 ms · greeting 1.2 ms · starttls 20 ms · total 34 ms', ' · ', 36),
      ['connect 3.1 ms · greeting 1.2 ms ·', 'starttls 20 ms · total 34 ms'],
    );
  });
});

describe('fitTable', () => {
  const columns = [
    { head: 'host' },
    { head: 'status', fit: 'keep' as const },
    { head: 'time', fit: 'keep' as const, fold: 1, foldOrder: 2 },
    { head: 'detail', min: 20, fold: 'under' as const, foldOrder: 1 },
  ];
  const rows = [
    [
      'refused.blackhole.test',
      'connection-refused',
      '3.4 ms',
      '550 5.7.1 <postmaster@example.com>: relay access denied',
    ],
    ['mx.blackhole.test', 'ok', '25 ms', ''],
  ];

  test('wide: every column, widths from the content, nothing cut', () => {
    const t = fitTable({ ...PLAIN, width: 120 }, columns, rows);
    assert.deepEqual(tableRows(t)[0], ['host', 'status', 'time', 'detail']);
    assert.ok(
      t.split('\n').every((l) => displayWidth(l) < 120),
      'no wider than the content needs',
    );
    assertFits(t, 120, [
      'refused.blackhole.test',
      'connection-refused',
      '<postmaster@example.com>:',
    ]);
  });

  test('narrower: the lowest foldOrder goes first, under its row; empty cells add no line', () => {
    const t = fitTable({ ...PLAIN, width: 60 }, columns, rows);
    assert.deepEqual(tableRows(t)[0], ['host', 'status', 'time']);
    assert.ok(t.includes('│   550 5.7.1 <postmaster@example.com>: relay access'), t);
    // Its own continuation indented further; the row with no detail adds nothing under it.
    assert.ok(t.includes('│     denied'), t);
    assert.equal(t.split('\n').filter((l) => l.startsWith('│   ')).length, 2, t);
    assertFits(t, 60, [
      'refused.blackhole.test',
      'connection-refused',
      '<postmaster@example.com>:',
    ]);
  });

  test('narrower still: the next folds into its target, which names both in its head', () => {
    const t = fitTable({ ...PLAIN, width: 50 }, columns, rows);
    const r = tableRows(t);
    assert.deepEqual(r[0], ['host', 'status / time']);
    assert.deepEqual(r[1], ['refused.blackhole.test', 'connection-refused\n3.4 ms']);
    assertFits(t, 50, ['refused.blackhole.test', 'connection-refused', '3.4 ms']);
  });

  test('colour is applied per line after wrapping, and changes no width', () => {
    const cols = [{ head: 'a' }, { head: 'b' }];
    const cells = [['one', { text: 'a long coloured text that wraps', paint: paint(true).red }]];
    const coloured = fitTable({ ...COLOUR, width: 40 }, cols, cells);
    const plain = fitTable({ ...PLAIN, width: 40 }, cols, cells);
    const body = coloured.split('\n').filter((l) => l.includes('\u001b[31m'));
    assert.ok(body.length > 1, coloured);
    for (const l of body) assert.match(l, /\u001b\[31m[^\u001b]*\u001b\[39m/);
    const bare = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');
    assert.equal(bare(coloured), bare(plain));
  });

  test('a no-break space holds words together and prints as a space', () => {
    const t = fitTable(
      { ...PLAIN, width: 40 },
      [{ head: 'pref' }, { head: 'host' }],
      [['30 (1\u00a0of\u00a02, random)', 'mx.example.com']],
    );
    assert.ok(!t.includes('\u00a0'));
    assert.ok(t.includes('(1 of 2,'), t);
  });

  test('the last resort: a word wider than the whole table is cut, the table still fits', () => {
    const t = fitTable(
      { ...PLAIN, width: 40 },
      [{ head: 'k', fit: 'keep' }, { head: 'v' }],
      [['sha256', 'f'.repeat(64)]],
    );
    assertFits(t, 40, []);
    assert.equal(t.replace(/[^f]/g, '').length, 64, 'every character is still there');
  });
});

function verifyResult(): VerifyResult {
  const rcpt = (host: string, address: string, code: number, text: string) => ({
    host,
    address,
    method: 'rcpt' as const,
    command: 'RCPT TO:<x>',
    reply: { code, enhanced: text.split(' ')[0], lines: [text] },
    session: 1,
  });
  return VerifyResultSchema.parse({
    from: '',
    addresses: [
      {
        input: 'alice@mlfarm.test',
        address: 'alice@mlfarm.test',
        domain: 'mlfarm.test',
        verdict: 'deliverable',
        reason: 'accepted',
        confidence: 'high',
        evidence: [rcpt('mx1.mlfarm.test', '127.0.0.20', 250, '2.1.5 Ok')],
      },
      {
        input: 'nobody@mlfarm.test',
        address: 'nobody@mlfarm.test',
        domain: 'mlfarm.test',
        verdict: 'undeliverable',
        reason: 'bad-mailbox',
        confidence: 'high',
        evidence: [
          rcpt(
            'mx1.mlfarm.test',
            '127.0.0.20',
            550,
            '5.1.1 <nobody@mlfarm.test>: Recipient address rejected: User unknown',
          ),
        ],
      },
      {
        input: 'y@nope.test',
        address: 'y@nope.test',
        domain: 'nope.test',
        verdict: 'undeliverable',
        reason: 'no-such-domain',
        confidence: 'high',
        evidence: [],
        note: 'nope.test does not exist (NXDOMAIN): mail to it bounces at once',
      },
    ],
    domains: [
      {
        domain: 'mlfarm.test',
        host: 'mx1.mlfarm.test',
        address: '127.0.0.20',
        mx: 'accepted',
        catchAll: 'no',
        pipelining: true,
        tls: 'TLSv1.3',
        sessions: 1,
        transactions: 1,
        rcptBatches: 1,
        maxErrorsPerSession: 10,
        throttled: false,
        notes: ['catch-all test: RCPT TO:<smtp-probe-0cd1231f15@mlfarm.test> → 550'],
      },
      {
        domain: 'nope.test',
        host: null,
        address: null,
        mx: 'nope.test does not exist (NXDOMAIN): mail to it bounces at once',
        catchAll: 'not-tested',
        pipelining: false,
        tls: null,
        sessions: 0,
        transactions: 0,
        rcptBatches: 0,
        maxErrorsPerSession: 10,
        throttled: false,
        notes: [],
      },
    ],
    counts: { deliverable: 1, undeliverable: 2 },
  });
}

function lookupResult(): LookupResult {
  const item = (query: string, mailbox: string | null, code: number, text: string) => ({
    query,
    form: query.includes('@') ? 'mailbox' : 'user',
    command: `VRFY ${query}`,
    meaning: code === 250 ? 'exists' : 'no-such-user',
    ...(mailbox ? { mailbox: { name: 'Alice Example', address: mailbox } } : {}),
    reply: { code, enhanced: text.split(' ')[0], lines: [text] },
    session: 1,
  });
  return LookupResultSchema.parse({
    verb: 'VRFY',
    host: '127.0.0.16',
    port: 2525,
    address: '127.0.0.16',
    banner: { code: 220, lines: ['vrfy-open.lab.test ESMTP Sendmail-like smtp-probe lab'] },
    helo: '[127.0.0.1]',
    hello: 'EHLO',
    tls: null,
    domain: 'vrfy-open.lab.test',
    sessions: 1,
    items: [
      item(
        'alice@vrfy-open.lab.test',
        'alice@vrfy-open.lab.test',
        250,
        '2.1.5 Alice Example <alice@vrfy-open.lab.test>',
      ),
      item(
        'zz-nobody@vrfy-open.lab.test',
        null,
        550,
        '5.1.1 <zz-nobody@vrfy-open.lab.test>: User unknown',
      ),
    ],
    control: null,
    counts: { exists: 1, 'no-such-user': 1 },
    discloses: true,
    disclosure: 'VRFY discloses mailboxes: 1 of 2 found, 1 unknown (550)',
  });
}

function rc(width: number): RenderContext {
  const p = paint(false);
  return {
    format: 'table',
    out: new Sink(),
    err: new Sink(),
    paint: p,
    errPaint: p,
    color: false,
    width,
  };
}

const SCENARIOS = [
  {
    domain: 'mailhost.tuc.test',
    description:
      "a CNAME'd mail domain: mailhost.tuc.test is a CNAME for tuc.test, whose MX 10 is mx.tuc.test (the seed's mailhost.tuc)",
    hosts: [{ name: 'mx.tuc.test' }],
  },
  {
    domain: 'nullmx.test',
    description:
      'null MX (MX 0 ".", RFC 7505): the domain accepts no mail, so there is nothing to connect to',
    hosts: [],
  },
] as unknown as LabScenario[];

function lab(scenarioHosts = 1): Lab {
  const host = (name: string, address: string, personality: string, scenario: string | null) => ({
    name,
    address,
    addresses: [address],
    port: 2525,
    personality,
    description:
      'greets only after 3 s (a tarpit or an overloaded server), then plain ESMTP (RFC 5321 §4.5.3.2)',
    listening: true,
    scenario,
  });
  return {
    hosts: [
      host('slow-greeting.lab.test', '127.0.0.13', 'slow-greeting', null),
      host('vrfy-closed.lab.test', '127.0.0.17', 'vrfy-closed', null),
      ...(scenarioHosts ? [host('mx.tuc.test', '127.0.0.26', 'mx', 'mailhost.tuc.test')] : []),
    ],
    port: 2525,
    dns: { address: '127.0.0.1', port: 2553 },
    https: { address: '127.0.0.49', port: 2443 },
    dohUrl: 'https://127.0.0.49:2443/dns-query',
    blackhole: { address: '127.0.0.34', port: 2525, method: 'nftables' },
    caCertFile: '/tmp/smtp-probe-lab-XXXXXX/lab-ca.pem',
  } as unknown as Lab;
}

describe('verify, vrfy/expn and lab tables fit 80, 100 and 120 columns', () => {
  for (const width of WIDTHS) {
    test(`verify at ${width}`, () => {
      assertFits(renderVerify(verifyResult(), { ...PLAIN, width }), width, [
        'alice@mlfarm.test',
        'nobody@mlfarm.test',
        '<nobody@mlfarm.test>:',
        'deliverable',
        'undeliverable',
        'bad-mailbox',
        'no-such-domain',
        '550',
        '5.1.1',
        'mx1.mlfarm.test',
        '(127.0.0.20)',
        '(NXDOMAIN):',
        'not-tested',
        'TLSv1.3',
        '<smtp-probe-0cd1231f15@mlfarm.test>',
      ]);
    });

    test(`vrfy at ${width}`, () => {
      assertFits(renderLookup(lookupResult(), { ...PLAIN, width }), width, [
        'alice@vrfy-open.lab.test',
        '<alice@vrfy-open.lab.test>',
        'zz-nobody@vrfy-open.lab.test',
        '<zz-nobody@vrfy-open.lab.test>:',
        'no-such-user',
        'exists',
        '250',
        '2.1.5',
        '550',
        'vrfy-open.lab.test',
      ]);
    });

    test(`lab at ${width}`, () => {
      assertFits(renderLab(lab(), SCENARIOS, rc(width)), width, [
        'slow-greeting.lab.test',
        '127.0.0.13:2525',
        'slow-greeting',
        'vrfy-closed',
        'mailhost.tuc.test',
        'mx.tuc.test',
        '127.0.0.1:2553',
        '127.0.0.49:2443',
        'https://127.0.0.49:2443/dns-query',
        '127.0.0.34:2525',
        '/tmp/smtp-probe-lab-XXXXXX/lab-ca.pem',
        '--connect-timeout',
      ]);
    });
  }

  test('verify at 80: the reason and confidence join the verdict', () => {
    const rows = tableRows(renderVerify(verifyResult(), { ...PLAIN, width: 80 }).split('\n\n')[0]!);
    assert.deepEqual(rows[0], ['address', 'verdict / why /\nconfidence', 'evidence']);
    assert.deepEqual(rows[2]!.slice(0, 2), [
      'nobody@mlfarm.test',
      'undeliverable\nbad-mailbox\nhigh confidence',
    ]);
  });

  test('vrfy at 80: the line sent joins the query; the reply moves under the row', () => {
    const text = renderLookup(lookupResult(), { ...PLAIN, width: 80 });
    assert.deepEqual(tableRows(text)[0], ['query / sent', 'meaning', 'mailbox']);
    assert.ok(text.includes('│   550 5.1.1 <zz-nobody@vrfy-open.lab.test>: User unknown'), text);
  });

  test('the lab: commands that do not fit break with a backslash, so they still paste', () => {
    const lines = renderLab(lab(), SCENARIOS, rc(80)).split('\n');
    const at = lines.findIndex((l) => l.startsWith('     smtp-probe failover'));
    assert.ok(lines[at]!.endsWith(' \\'), lines.join('\n'));
    assert.match(lines[at + 1]!, /^ {7}--assume-down mx\.noao\.test$/);
  });
});

describe('the lab heading counts what the table lists', () => {
  test('all scenario hosts running: domains listed, and the hosts that serve them', () => {
    const text = renderLab(lab(), SCENARIOS, rc(120));
    assert.ok(
      text.includes("MX scenarios: 2 domains in the lab's DNS, served by 1 more host on port 2525"),
      text,
    );
    assert.equal(tableRows(text.split('MX scenarios')[1]!).length, 1 + SCENARIOS.length);
  });

  test('some not started (--host): how many of them run', () => {
    const text = renderLab(lab(0), SCENARIOS, rc(120));
    assert.ok(
      text.includes(
        "MX scenarios: 2 domains in the lab's DNS, served by 0 of their 1 host on port 2525",
      ),
      text,
    );
  });
});
