/**
 * Renderers, pure: renderCaps sections and values, colour on and off, hostile
 * server text escaped everywhere it is printed, the headline, the envelope in
 * each format, and the exit code of every status.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { renderCaps } from '../../src/output/caps-table.js';
import { renderCapsSummary } from '../../src/output/caps-summary.js';
import {
  errorBlock,
  headline,
  renderEnvelope,
  type Format,
  type RenderContext,
} from '../../src/output/render.js';
import { toEnvelope, type Envelope } from '../../src/output/envelope.js';
import { exitCodeFor, EXIT } from '../../src/output/exit-codes.js';
import { formatTranscriptEntry } from '../../src/output/transcript.js';
import { paint } from '../../src/output/terminal.js';
import { CapsOutputSchema, type CapsResult } from '../../src/schema/caps.js';
import {
  ERROR_CODES,
  type ErrorCode,
  ProbeError,
  STATUSES,
  type Status,
} from '../../src/errors.js';
import { Transcript } from '../../src/session/transcript.js';
import type { ProbeOutcome } from '../../src/probes/outcome.js';
import {
  esmtpResult,
  rejectedResult,
  hostileResult,
  hostileAuthResult,
  HOSTILE,
  HOSTILE_ESCAPED,
} from '../support/caps-fixtures.js';
import { sections, row, tableRows } from '../support/table-text.js';
import { assertFits, WIDTHS } from '../support/fit-check.js';
import { Sink, ANSI_ESCAPE } from '../support/sink.js';

const PLAIN = { paint: paint(false), color: false, width: 120 };
const COLOUR = { paint: paint(true), color: true, width: 120 };
const CLEAR_SCREEN = '\u001b[2J';

function outcome<R>(result: R, error?: ProbeError, transcript = new Transcript()): ProbeOutcome<R> {
  return {
    status: error?.status ?? 'ok',
    result,
    error,
    startedAt: new Date('2026-11-29T05:14:00.578Z'),
    durationMs: 34.06,
    transcript,
  };
}

function rc(format: Format, color = false): RenderContext & { out: Sink; err: Sink } {
  const p = paint(color);
  return { format, out: new Sink(), err: new Sink(), paint: p, errPaint: p, color, width: 120 };
}

/** assertSafe: nothing in `text` can move the cursor or clear the screen, and the hostile bytes show as \x escapes. */
function assertSafe(text: string, mustShow = '\\x1b[2J'): void {
  const raw = text.split('\n').filter((l) => l.includes(CLEAR_SCREEN) || l.includes('\r'));
  assert.deepEqual(raw, [], 'raw ESC[2J or CR would reach the terminal on these lines');
  assert.ok(text.includes(mustShow), `expected ${mustShow} in:\n${text}`);
}

describe('renderCaps: sections and values', () => {
  const text = renderCaps(esmtpResult(), PLAIN);
  const parts = sections(text);

  test('prints Server, Extensions, TLS, census and Findings, in that order', () => {
    assert.deepEqual(
      [...parts.keys()],
      ['Server', 'Extensions', 'TLS', 'Verb census (RFC 821/5321)', 'Findings'],
    );
  });

  test('Server: target, connection, banner, claimed name, EHLO and timings', () => {
    const s = parts.get('Server')!;
    assert.equal(row(s, 'target')[1], '127.0.0.10:2525');
    assert.equal(row(s, 'connected')[1], '127.0.0.10:2525 in 3.1 ms');
    assert.equal(row(s, 'banner')[1], '220 esmtp.lab.test ESMTP smtp-probe lab');
    assert.equal(row(s, 'claims to be')[1], 'esmtp.lab.test');
    assert.equal(row(s, 'ehlo')[1], 'EHLO [127.0.0.1] → 250 esmtp.lab.test (+8 extension lines)');
    const timings = row(s, 'timings')[1]!.replace(/\n/g, ' ');
    for (const t of [
      'connect 3.1 ms',
      'starttls 20 ms',
      'ehlo after TLS 1.0 ms',
      'census 4.5 ms',
      'total 34 ms',
    ])
      assert.ok(timings.includes(t), `${t} in ${timings}`);
  });

  test('Extensions: before and after TLS side by side', () => {
    const e = parts.get('Extensions')!;
    assert.deepEqual(tableRows(e)[0], ['extension', 'before TLS', 'after TLS']);
    assert.deepEqual(row(e, 'SIZE'), ['SIZE', '10240000 (9.8 MiB)', '10240000 (9.8 MiB)']);
    assert.deepEqual(row(e, 'STARTTLS'), ['STARTTLS', 'yes', '—']);
    assert.deepEqual(row(e, 'AUTH'), ['AUTH', '—', 'PLAIN LOGIN']);
    assert.deepEqual(row(e, 'PIPELINING'), ['PIPELINING', 'yes', 'yes']);
  });

  test('TLS: mode, verdicts and one block per chain certificate', () => {
    const t = parts.get('TLS')!;
    assert.equal(row(t, 'mode')[1], 'STARTTLS (RFC 3207)');
    assert.equal(row(t, 'protocol')[1], 'TLSv1.3, TLS_AES_256_GCM_SHA384');
    assert.equal(row(t, 'name match')[1], 'yes (127.0.0.10)');
    assert.equal(row(t, 'trusted')[1], 'yes');
    const leaf = row(t, 'certificate')[1]!.split('\n');
    assert.deepEqual(leaf.slice(0, 3), [
      'subject  CN=esmtp.lab.test',
      'SANs     DNS:esmtp.lab.test, IP Address:127.0.0.10',
      'issuer   CN=smtp-probe lab CA, O=smtp-probe',
    ]);
    assert.ok(
      leaf.includes('sha256   bacb9efe884e26e50f94b864a77dd9de74ca935caadfab58b60ba65aa09b4698'),
      leaf.join('\n'),
    );
    const ca = row(t, 'chain [1]')[1]!.split('\n');
    assert.ok(
      ca.includes('issuer   CN=smtp-probe lab CA, O=smtp-probe (self-signed)'),
      ca.join('\n'),
    );
    assert.ok(ca.includes('valid    2026-11-29 → 2026-12-29 (3 days left)'), ca.join('\n'));
    assert.equal(row(t, 'after TLS')[1], '+ AUTH PLAIN, AUTH LOGIN\n− STARTTLS');
  });

  test('census: one row per verb with the line sent, its support class and the reply as evidence', () => {
    const rows = tableRows(parts.get('Verb census (RFC 821/5321)')!);
    assert.deepEqual(rows[0], ['verb', 'sent', 'support', 'reply']);
    assert.deepEqual(
      rows.slice(1).map((r) => r.slice(0, 3)),
      [
        ['NOOP', 'NOOP', 'implemented'],
        ['HELP', 'HELP', 'not-implemented'],
        ['VRFY', 'VRFY postmaster', 'disabled'],
        ['EXPN', 'EXPN postmaster', 'implemented'],
        ['TURN', 'TURN', 'unknown'],
      ],
    );
    assert.equal(
      rows[3]![3],
      '252 2.0.0 Cannot VRFY user\nVRFY smtp-probe-3ec1b25535 → 252 2.0.0 Cannot VRFY user',
    );
    assert.equal(rows[5]![3], '421 4.3.2 Service shutting down');
  });

  test('Findings: severity, id and message', () => {
    const f = parts.get('Findings')!;
    assert.deepEqual(row(f, 'low'), [
      'low',
      'expn-enabled',
      'EXPN answers lookups (250): user names can be enumerated',
    ]);
    assert.equal(row(f, 'medium')[1], 'cert-expiring');
  });

  test('no findings and no census: "none", and no census section', () => {
    const text = renderCaps(rejectedResult(), PLAIN);
    const p = sections(text);
    assert.deepEqual([...p.keys()], ['Server', 'Findings']);
    assert.equal(p.get('Findings'), 'none\n');
    assert.equal(
      row(p.get('Server')!, 'banner')[1],
      '554 5.7.1 reject-554.lab.test no SMTP service here',
    );
    assert.equal(row(p.get('Server')!, 'claims to be')[1], '(no host name in banner)');
  });

  test('HELO-only server: the extensions table says so', () => {
    const r: CapsResult = {
      ...rejectedResult('rfc821.example SMTP'),
      hello: {
        verb: 'HELO',
        reply: { code: 250, lines: ['rfc821.example'] },
        ehloReply: { code: 500, lines: ['command unrecognized'] },
      },
    };
    r.capabilities = { ...esmtpResult().capabilities!, extensions: [], size: undefined };
    const s = renderCaps(r, PLAIN);
    assert.equal(row(sections(s).get('Extensions')!, '(HELO only: no extensions)').length, 2);
    assert.match(
      row(sections(s).get('Server')!, 'helo')[1]!,
      /^EHLO refused \(500\), fell back to HELO → HELO/,
    );
  });
});

describe('renderCaps and renderCapsSummary fit 80, 100 and 120 columns', () => {
  const CAPS_TOKENS = [
    '127.0.0.10:2525',
    'esmtp.lab.test',
    '[127.0.0.1]',
    '10240000',
    'ENHANCEDSTATUSCODES',
    'TLS_AES_256_GCM_SHA384',
    'DNS:esmtp.lab.test,',
    'Address:127.0.0.10',
    '252',
    '2.0.0',
    'smtp-probe-3ec1b25535',
    '421',
    '4.3.2',
    '<postmaster@esmtp.lab.test>',
    'not-implemented',
    'implemented',
    'expn-enabled',
    'cert-expiring',
    'starttls 20 ms',
    'ehlo after TLS 1.0 ms',
  ];
  function demoRows(): { label: string; env: Envelope<'caps', CapsResult> }[] {
    const refused = new ProbeError({
      code: 'CONNECTION_REFUSED',
      stage: 'connect',
      target: '127.0.0.15:2525',
      message: 'connection refused',
    });
    const timedOut = new ProbeError({
      code: 'GREETING_TIMEOUT',
      stage: 'greeting',
      target: '127.0.0.14:2525',
      message: 'no greeting',
    });
    return [
      {
        label: 'esmtp.lab.test\n127.0.0.10:2525',
        env: toEnvelope('caps', 'x', outcome(esmtpResult())),
      },
      {
        label: 'slow-greeting.lab.test\n127.0.0.13:2525',
        env: toEnvelope('caps', 'x', outcome(esmtpResult())),
      },
      {
        label: 'silent.lab.test\n127.0.0.14:2525',
        env: toEnvelope('caps', 'x', outcome(rejectedResult(), timedOut)),
      },
      {
        label: 'closed.lab.test\n127.0.0.15:2525',
        env: toEnvelope('caps', 'x', outcome<CapsResult | null>(null, refused)) as never,
      },
    ];
  }

  for (const width of WIDTHS) {
    test(`caps at ${width}: every address, name, code and status whole`, () => {
      assertFits(renderCaps(esmtpResult(), { ...PLAIN, width }), width, CAPS_TOKENS);
      assertFits(renderCaps(esmtpResult(), { ...COLOUR, width }), width, CAPS_TOKENS);
      assertFits(renderCaps(rejectedResult(), { ...PLAIN, width }), width, [
        '554',
        '5.7.1',
        'reject-554.lab.test',
        '127.0.0.12:2525',
        '(no host name in banner)',
      ]);
    });

    test(`the demo summary at ${width}: host, endpoint, status, error code whole`, () => {
      const rows = demoRows();
      assertFits(renderCapsSummary(rows, { ...rc('table'), width }), width, [
        'slow-greeting.lab.test',
        '127.0.0.13:2525',
        'greeting-timeout',
        'connection-refused',
        'GREETING_TIMEOUT',
        'CONNECTION_REFUSED',
        'esmtp.lab.test,',
        'reject-554.lab.test',
        'TLSv1.3',
        '34 ms',
      ]);
    });
  }

  test('at 120 nothing folds: one row per line, the time in its own column', () => {
    const text = renderCapsSummary(
      [{ label: 'esmtp.lab.test', env: toEnvelope('caps', 'x', outcome(esmtpResult())) }],
      { ...rc('table'), width: 120 },
    );
    assert.deepEqual(tableRows(text)[0], [
      'host',
      'status',
      'TLS',
      'VRFY',
      'EXPN',
      'time',
      'banner, hello / error',
    ]);
  });

  test('at 80 the banner and error move under the row and the time joins the status', () => {
    const text = renderCapsSummary(demoRows(), { ...rc('table'), width: 80 });
    const rows = tableRows(text);
    assert.deepEqual(rows[0], ['host', 'status / time', 'TLS', 'VRFY', 'EXPN']);
    // The host cell's second line (the endpoint) sits beside the status cell's (the time).
    assert.deepEqual(rows[1]!.slice(0, 2), ['esmtp.lab.test', 'ok']);
    assert.deepEqual(rows[2]!.slice(0, 2), ['127.0.0.10:2525', '34 ms']);
    assert.ok(text.includes('│   220 esmtp.lab.test, EHLO 250 '), text);
    assert.ok(text.includes('│   CONNECTION_REFUSED at connect '), text);
  });
});

describe('renderCaps: colour', () => {
  test('colour off: not one ANSI escape', () => {
    assert.doesNotMatch(renderCaps(esmtpResult(), PLAIN), ANSI_ESCAPE);
  });
  test('colour on: titles bold and support classes coloured', () => {
    const text = renderCaps(esmtpResult(), COLOUR);
    assert.ok(text.startsWith('\u001b[1mServer\u001b[22m\n'), JSON.stringify(text.slice(0, 40)));
    assert.ok(text.includes('\u001b[32mimplemented\u001b[39m'));
    assert.ok(text.includes('\u001b[31munknown\u001b[39m'));
  });
});

describe('hostile server text is printed escaped', () => {
  test('renderCaps: banner, EHLO, extension, certificate, TLS error, census reply and finding (colour off and on)', () => {
    const wide = { ...PLAIN, width: 400 };
    assertSafe(renderCaps(hostileResult(), { ...COLOUR, width: 400 }), HOSTILE_ESCAPED);
    const text = renderCaps(hostileResult(), wide);
    assertSafe(text, HOSTILE_ESCAPED);
    const p = sections(text);
    const ESC = '\\x1b[2J\\x0d';
    assert.equal(row(p.get('Server')!, 'banner')[1], `220 ${HOSTILE_ESCAPED}`);
    assert.equal(
      row(p.get('Server')!, 'ehlo')[1],
      `EHLO [127.0.0.1] → 250 evil.example ${ESC} (+1 extension lines)`,
    );
    assert.deepEqual(row(p.get('Extensions')!, 'X-EVIL'), ['X-EVIL', ESC]);
    assert.equal(row(p.get('TLS')!, 'outcome')[1], `failed: handshake: ${ESC}`);
    assert.equal(row(p.get('TLS')!, 'name match')[1], `no: mismatch ${ESC}`);
    assert.equal(row(p.get('TLS')!, 'trusted')[1], `no: untrusted ${ESC}`);
    assert.equal(row(p.get('TLS')!, 'certificate')[1]!.split('\n')[0], `subject  CN=${ESC}`);
    assert.equal(row(p.get('Verb census (RFC 821/5321)')!, 'VRFY')[3], `250 postmaster ${ESC}`);
    assert.equal(row(p.get('Findings')!, 'low')[2], `VRFY answers ${ESC}`);
  });

  test('renderCaps: hostile AUTH mechanisms and capability changes', () => {
    assertSafe(renderCaps(hostileAuthResult(), PLAIN));
  });

  test('headline: target, error message and cause', () => {
    const err = new ProbeError({
      code: 'GREETING_REJECTED',
      stage: 'greeting',
      target: '127.0.0.12:2525',
      message: `greeting was 554 ${HOSTILE}`,
      cause: new Error(HOSTILE),
    });
    const env = toEnvelope('caps', '127.0.0.12:2525', outcome(rejectedResult(HOSTILE), err));
    for (const p of [paint(false), paint(true)])
      assertSafe(headline(env, p) + errorBlock(env, p), HOSTILE_ESCAPED);
  });

  test('renderCapsSummary: the banner line when no host name was recognised', () => {
    const env = toEnvelope('caps', '127.0.0.12:2525', outcome(rejectedResult(HOSTILE)));
    const text = renderCapsSummary([{ label: 'evil', env }], { ...rc('table'), width: 200 });
    assertSafe(text, '554 evil.example ESMTP \\x1b[2J\\x0dall is well');
    assertSafe(renderCapsSummary([{ label: 'evil', env }], { ...rc('table', true), width: 200 }));
  });

  test('transcript formatter: a received line', () => {
    for (const p of [paint(false), paint(true)]) {
      const line = formatTranscriptEntry({ atMs: 4.2, dir: 'recv', line: `220 ${HOSTILE}` }, p);
      assertSafe(line, `<<< 220 ${HOSTILE_ESCAPED}`);
    }
    assert.equal(
      formatTranscriptEntry(
        { atMs: 4.2, dir: 'send', line: 'EHLO [127.0.0.1]' },
        paint(false),
        'mx1',
      ),
      'mx1   +0.004s >>> EHLO [127.0.0.1]',
    );
  });
});

describe('headline', () => {
  test('ok: command, target, status and time', () => {
    const env = toEnvelope('caps', '127.0.0.10:2525', outcome(esmtpResult()));
    assert.equal(headline(env, paint(false)), 'caps 127.0.0.10:2525 — ok in 34 ms\n');
  });

  const timeout = new ProbeError({
    code: 'GREETING_TIMEOUT',
    stage: 'greeting',
    target: '127.0.0.14:2525',
    message: 'no greeting within 1000ms (address: 127.0.0.14:2525)',
    cause: Object.assign(new Error('socket idle'), { code: 'ETIMEDOUT' }),
  });
  const timedOut = toEnvelope('caps', '127.0.0.14:2525', {
    ...outcome(null, timeout),
    durationMs: 1002,
  });

  test('error: code, stage, message, cause and hint (the error block under the headline)', () => {
    const lines = (headline(timedOut, paint(false)) + errorBlock(timedOut, paint(false))).split(
      '\n',
    );
    assert.deepEqual(lines, [
      'caps 127.0.0.14:2525 — greeting-timeout in 1.00 s',
      'error GREETING_TIMEOUT at greeting: no greeting within 1000ms (address: 127.0.0.14:2525)',
      '  cause: ETIMEDOUT: socket idle',
      `  what now: ${timeout.hint}`,
      '',
    ]);
    assert.match(timeout.hint, /--greeting-timeout/);
  });

  test('the error block wraps at spaces to the width, continuation lines indented', () => {
    const lines = errorBlock(timedOut, paint(false), 62).trimEnd().split('\n');
    assert.ok(
      lines.every((l) => l.length <= 62),
      lines.join('\n'),
    );
    assert.deepEqual(lines.slice(0, 2), [
      'error GREETING_TIMEOUT at greeting: no greeting within 1000ms',
      '  (address: 127.0.0.14:2525)',
    ]);
    assert.ok(lines.some((l) => l.startsWith('  what now: ')));
    assert.equal(
      lines.join(' ').replace(/ +/g, ' '),
      `error GREETING_TIMEOUT at greeting: no greeting within 1000ms (address: 127.0.0.14:2525) cause: ETIMEDOUT: socket idle what now: ${timeout.hint}`,
    );
  });

  test('no error: no error block', () => {
    const env = toEnvelope('caps', '127.0.0.10:2525', outcome(esmtpResult()));
    assert.equal(errorBlock(env, paint(false)), '');
  });
});

describe('headline agrees with the exit code', () => {
  const walked = toEnvelope('mx', 'blackhole.test', outcome({}));

  test('the exit code of the status (the default): the status alone', () => {
    assert.equal(headline(walked, paint(false)), 'mx blackhole.test — ok in 34 ms\n');
    assert.equal(headline(walked, paint(false), EXIT.OK), 'mx blackhole.test — ok in 34 ms\n');
  });

  test('ok but exit 8 (no host takes the mail): never a bare "ok"', () => {
    assert.equal(
      headline(walked, paint(false), EXIT.UNDELIVERABLE),
      'mx blackhole.test — ok: mail not delivered (exit 8) in 34 ms\n',
    );
  });

  test('ok but exit 7 (failover: delivered later than --max-delay)', () => {
    const env = toEnvelope('failover', 'blackhole.test', outcome({}));
    assert.equal(
      headline(env, paint(false), EXIT.DELAYED),
      'failover blackhole.test — ok: mail delivered late (exit 7) in 34 ms\n',
    );
  });

  test('any other disagreement shows the exit code; colour marks it as not ok', () => {
    assert.equal(
      headline(walked, paint(false), EXIT.INTERNAL),
      'mx blackhole.test — ok (exit 1) in 34 ms\n',
    );
    const coloured = headline(walked, paint(true), EXIT.UNDELIVERABLE);
    assert.ok(coloured.includes('\u001b[31mok: mail not delivered (exit 8)\u001b[39m'), coloured);
    assert.ok(!coloured.includes('\u001b[32m'), 'no green "ok"');
  });

  test('renderEnvelope passes the exit code to the headline', () => {
    const c = rc('table');
    renderEnvelope(walked, c, () => '(tables)\n', EXIT.UNDELIVERABLE);
    assert.equal(
      c.out.text,
      'mx blackhole.test — ok: mail not delivered (exit 8) in 34 ms\n\n(tables)\n',
    );
  });
});

describe('renderEnvelope', () => {
  const err = new ProbeError({
    code: 'STARTTLS_REFUSED',
    stage: 'starttls',
    message: `STARTTLS refused: 454 ${HOSTILE}`,
  });
  const envs: [string, Envelope<'caps', CapsResult | null>][] = [
    ['ok', toEnvelope('caps', '127.0.0.10:2525', outcome<CapsResult | null>(esmtpResult()))],
    [
      'failed, hostile',
      toEnvelope('caps', '127.0.0.66:25', outcome<CapsResult | null>(hostileResult(), err)),
    ],
    [
      'invalid input, no result',
      toEnvelope('caps', 'bad\nhost', {
        ...outcome<CapsResult | null>(
          null,
          new ProbeError({ code: 'INVALID_INPUT', stage: 'input', message: 'target contains LF' }),
        ),
        durationMs: 0,
      }),
    ],
  ];

  for (const [name, env] of envs) {
    test(`json (${name}): parses, validates with CapsOutputSchema and round-trips`, () => {
      const c = rc('json');
      renderEnvelope(env, c, () => assert.fail('tables drawn for json'));
      const parsed = CapsOutputSchema.parse(JSON.parse(c.out.text));
      assert.deepEqual(parsed, JSON.parse(JSON.stringify(env)));
      assert.ok(c.out.text.endsWith('}\n'));
    });

    test(`ndjson (${name}): exactly one line that validates`, () => {
      const c = rc('ndjson');
      renderEnvelope(env, c, () => assert.fail('tables drawn for ndjson'));
      const lines = c.out.text.split('\n');
      assert.equal(lines.length, 2, JSON.stringify(c.out.text));
      assert.equal(lines[1], '');
      assert.ok(!lines[0]!.includes('\r'));
      assert.equal(CapsOutputSchema.parse(JSON.parse(lines[0]!)).status, env.status);
    });
  }

  test('table: headline, blank line, then the tables; no tables when there is no result', () => {
    const c = rc('table');
    renderEnvelope(envs[0]![1], c, (r) => renderCaps(r!, PLAIN));
    assert.ok(
      c.out.text.startsWith('caps 127.0.0.10:2525 — ok in 34 ms\n\nServer\n'),
      c.out.text.slice(0, 80),
    );
    assert.equal(c.err.text, '', 'no error, nothing on stderr');
    const none = rc('table');
    renderEnvelope(envs[2]![1], none, () => assert.fail('tables drawn without a result'));
    assert.equal(none.out.text, 'caps bad\\x0ahost — invalid-input in 0.0 ms\n');
    assert.match(
      none.err.text,
      /^error INVALID_INPUT at input: target contains LF\n {2}what now: /,
    );
  });

  test('table: the error block goes to stderr, the headline and tables to stdout', () => {
    const c = rc('table');
    renderEnvelope(envs[1]![1], c, (r) => renderCaps(r!, PLAIN));
    assert.ok(c.out.text.startsWith('caps 127.0.0.66:25 — tls-error in 34 ms\n\nServer\n'));
    assert.ok(!c.out.text.includes('STARTTLS_REFUSED'), 'the error is not in the results');
    assert.match(c.err.text, /^error STARTTLS_REFUSED at starttls: STARTTLS refused: 454 /);
    assertSafe(c.err.text, HOSTILE_ESCAPED);
  });

  test('json and ndjson: the error stays in the envelope on stdout; nothing on stderr', () => {
    for (const format of ['json', 'ndjson'] as const) {
      const c = rc(format);
      renderEnvelope(envs[1]![1], c, () => '');
      assert.equal(JSON.parse(c.out.text).error.code, 'STARTTLS_REFUSED');
      assert.equal(c.err.text, '');
    }
  });
});

describe('toEnvelope', () => {
  const transcript = new Transcript();
  transcript.note('connected to 127.0.0.10:2525 in 3.1 ms');
  transcript.received('220 esmtp.lab.test ESMTP');
  transcript.sent('EHLO [127.0.0.1]');

  test('without asking: no transcript key at all', () => {
    const env = toEnvelope(
      'caps',
      '127.0.0.10:2525',
      outcome(esmtpResult(), undefined, transcript),
    );
    assert.ok(!('transcript' in env));
    assert.ok(!('transcript' in JSON.parse(JSON.stringify(env))));
  });

  test('asked: every entry, in order, with times rounded to 0.1 ms; still valid output', () => {
    const env = toEnvelope(
      'caps',
      '127.0.0.10:2525',
      outcome(esmtpResult(), undefined, transcript),
      true,
    );
    assert.deepEqual(
      env.transcript!.map((e) => [e.dir, e.line]),
      [
        ['note', 'connected to 127.0.0.10:2525 in 3.1 ms'],
        ['recv', '220 esmtp.lab.test ESMTP'],
        ['send', 'EHLO [127.0.0.1]'],
      ],
    );
    for (const e of env.transcript!) assert.equal(e.atMs, Math.round(e.atMs * 10) / 10);
    CapsOutputSchema.parse(env);
  });

  test('the fields: schema version, times rounded, the error as data', () => {
    const err = new ProbeError({
      code: 'CONNECTION_REFUSED',
      stage: 'connect',
      target: '127.0.0.15:2525',
      message: 'refused',
      elapsedMs: 1.234,
    });
    const env = toEnvelope('caps', '127.0.0.15:2525', outcome(esmtpResult(), err));
    assert.equal(env.schemaVersion, 2);
    assert.equal(env.startedAt, '2026-11-29T05:14:00.578Z');
    assert.equal(env.durationMs, 34.1);
    assert.equal(env.status, 'connection-refused');
    assert.deepEqual(env.error, {
      code: 'CONNECTION_REFUSED',
      stage: 'connect',
      message: 'refused',
      hint: err.hint,
      target: '127.0.0.15:2525',
      elapsedMs: 1.2,
    });
  });
});

describe('exitCodeFor', () => {
  // README "Status, error codes and exit codes": every status and the exit code it documents.
  const README: Record<Status, number> = {
    ok: 0,
    'invalid-input': 2,
    'connection-refused': 3,
    'connection-timeout': 3,
    'host-unreachable': 3,
    'connection-closed': 4,
    'greeting-timeout': 4,
    'io-timeout': 4,
    'protocol-error': 4,
    'tls-error': 5,
    rejected: 6,
    aborted: 130,
  };
  test('the table covers every status', () => {
    assert.deepEqual(Object.keys(README).sort(), [...STATUSES].sort());
  });
  for (const status of STATUSES) {
    test(`${status} → ${README[status]}`, () => assert.equal(exitCodeFor(status), README[status]));
  }
  test('the named codes', () => {
    assert.deepEqual(EXIT, {
      OK: 0,
      INTERNAL: 1,
      USAGE: 2,
      CONNECT: 3,
      STAGE: 4,
      TLS: 5,
      REJECTED: 6,
      DELAYED: 7,
      UNDELIVERABLE: 8,
      FINDINGS: 9,
      AUTH: 10,
      SENDER: 11,
      RECIPIENT: 12,
      MESSAGE: 13,
      UNSUITABLE: 14,
      INTERRUPTED: 130,
    });
  });
  // README: the refusals `send` tells apart by exit code, though all have the status rejected.
  const SEND_CODES: [ErrorCode, number][] = [
    ['AUTH_FAILED', 10],
    ['AUTH_UNAVAILABLE', 10],
    ['SENDER_REFUSED', 11],
    ['RECIPIENT_REFUSED', 12],
    ['MESSAGE_REFUSED', 13],
    ['MESSAGE_UNSUITABLE', 14],
    ['GREETING_REJECTED', 6],
    ['CONNECT_TIMEOUT', 3],
  ];
  for (const [code, exit] of SEND_CODES) {
    test(`${code} → ${exit}`, () => {
      assert.equal(exitCodeFor(ERROR_CODES[code].status, code), exit);
    });
  }
});
