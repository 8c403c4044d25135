/**
 * The MX walk for a person: the MX × address matrix in sender order, lint
 * findings with their RFCs, the verdict line, and (asked for) the DNS trace.
 */
import type { DnsExchange, DnsRecord } from '../schema/dns.js';
import type { Lint, MxHost, MxResult } from '../schema/mx.js';
import { formatDuration } from '../time/duration.js';
import { DEFAULT_WIDTH, findingTable, fitTable, type CellInput, type TableStyle } from './table.js';
import { renderPolicy } from './policy-table.js';
import { printable } from './terminal.js';
import { wrapText } from './wrap.js';

/** MxRenderOptions: whether to add the DNS trace. */
export interface MxRenderOptions {
  dnsTrace: boolean;
}

/** renderMx: the walk as tables and one verdict line. */
export function renderMx(
  r: MxResult,
  style: TableStyle,
  opts: MxRenderOptions = { dnsTrace: false },
): string {
  const p = style.paint;
  const out: string[] = [];
  const names =
    r.domain.unicode === r.domain.ascii
      ? r.domain.ascii
      : `${r.domain.unicode} (${r.domain.ascii})`;
  const width = style.width ?? DEFAULT_WIDTH;
  out.push(
    wrapText(
      `${p.bold(`MX for ${names}`)} — ${sourceText(r)}; resolver ${r.resolvers.join(', ')}; SMTP port ${r.port}`,
      width,
      '  ',
    ),
  );
  if (r.hosts.length > 0) out.push(matrix(r, style));
  if (r.lint.length > 0) out.push(`${p.bold('Lint')}\n${lintTable(r.lint, style)}`);
  if (r.policy) out.push(renderPolicy(r.policy, style));
  if (r.consistency) out.push(consistencyText(r.consistency, style));
  if (opts.dnsTrace) out.push(`${p.bold('DNS trace')}\n${traceTable(r.dns, style)}`);
  if (r.verdict) {
    const colour =
      r.verdict.kind === 'accepted'
        ? p.green
        : r.verdict.kind === 'no-usable-host'
          ? p.red
          : p.yellow;
    out.push(wrapText(`${p.bold('Verdict:')} ${colour(printable(r.verdict.text))}`, width, '  '));
  }
  return `${out.join('\n\n')}\n`;
}

function sourceText(r: MxResult): string {
  const n = r.mxLookup?.records.filter((x) => x.type === 'MX').length ?? 0;
  switch (r.source) {
    case 'mx':
      return `${n} MX record${n === 1 ? '' : 's'}`;
    case 'implicit':
      return 'no MX records: the domain itself is the implicit MX (RFC 5321 §5.1)';
    case 'null-mx':
      return 'null MX (RFC 7505)';
    default:
      return r.mxLookup ? `MX lookup: ${r.mxLookup.status}` : 'no MX lookup';
  }
}

const SELF_EXPLAINED = new Set<string>([
  'connection-refused',
  'connection-timeout',
  'host-unreachable',
  'greeting-timeout',
]);

function prefCell(h: MxHost): string {
  if (h.implicit) return '0 (implicit)';
  // No-break spaces: narrow, the note wraps as "(1 of 2," / "random)", never as "(1 of" / "2,".
  return h.groupSize > 1
    ? `${h.preference} (1\u00a0of\u00a0${h.groupSize}, random)`
    : String(h.preference);
}

function matrix(r: MxResult, style: TableStyle): string {
  const p = style.paint;
  const rows: CellInput[][] = [];
  for (const h of r.hosts) {
    if (h.addresses.length === 0) {
      const why = `no address (A: ${h.lookups.a.status}, AAAA: ${h.lookups.aaaa.status})`;
      rows.push([
        prefCell(h),
        printable(h.name),
        '—',
        { text: 'skipped', paint: p.yellow },
        '',
        why,
      ]);
      continue;
    }
    h.addresses.forEach((a, i) => {
      const detail = [
        a.banner ? `${a.banner.code} ${printable(a.banner.lines[0] ?? '')}` : '',
        a.hello
          ? `${a.hello.verb} ${a.hello.code}${a.hello.keywords.includes('STARTTLS') ? `, STARTTLS${a.tls ? ` ${a.tls.outcome === 'ok' ? (a.tls.protocol ?? 'ok') : a.tls.outcome}` : ''}` : ''}`
          : '',
        // refused / timeout say it all; the rest need the server's words.
        a.error && !SELF_EXPLAINED.has(a.status) ? printable(a.error.message) : '',
      ]
        .filter(Boolean)
        .join('\n');
      rows.push([
        i === 0 ? prefCell(h) : '',
        i === 0 ? printable(h.name) : '',
        a.address,
        { text: a.status, paint: a.status === 'ok' ? p.green : p.red },
        formatDuration(a.ms),
        detail,
      ]);
    });
  }
  // Narrow terminals: the server's words move under the row first, then the time joins the status.
  return fitTable(
    style,
    [
      { head: 'pref' },
      { head: 'MX host' },
      { head: 'address', fit: 'keep' },
      { head: 'status', fit: 'keep' },
      { head: 'time', fit: 'keep', fold: 3, foldOrder: 2 },
      { head: 'greeting / EHLO / error', min: 30, fold: 'under', foldOrder: 1 },
    ],
    rows,
  );
}

function lintTable(lint: Lint[], style: TableStyle): string {
  const p = style.paint;
  const colour = { error: p.red, warning: p.yellow, info: p.dim } as const;
  return findingTable(
    style,
    lint.map((l) => ({
      severity: { text: l.severity, paint: colour[l.severity] },
      id: l.id,
      ref: l.rfc,
      detail: `${printable(l.subject)}: ${printable(l.message)}`,
    })),
  );
}

function recordText(r: DnsRecord): string {
  switch (r.type) {
    case 'A':
    case 'AAAA':
      return `${r.type} ${r.address}`;
    case 'CNAME':
      return `CNAME ${r.target}`;
    case 'MX':
      return `MX ${r.preference} ${r.exchange}`;
    default:
      return `${r.rrtype} ${r.data}`;
  }
}

function traceTable(exchanges: DnsExchange[], style: TableStyle): string {
  const rows = exchanges.map((e): CellInput[] => {
    const answers =
      e.answers.map((a) => `${printable(recordText(a))} (${a.ttl}s)`).join('\n') ||
      (e.authority.length
        ? `(authority: ${e.authority.map((a) => (a.type === 'OTHER' ? a.rrtype : a.type)).join(', ')})`
        : '');
    const outcome = `${e.outcome}${e.rcode ? ` ${e.rcode}` : ''}${e.flags?.aa ? ' aa' : ''}${e.flags?.ad ? ' ad' : ''}${e.flags?.tc ? ' tc' : ''}`;
    return [
      `${e.question.type} ${printable(e.question.name)}`,
      // A DoH server is its URL, which already says https.
      `${e.transport === 'https' ? e.server : `${e.server}/${e.transport}`}${e.attempt > 1 ? ` #${e.attempt}` : ''}`,
      outcome,
      formatDuration(e.rttMs),
      answers,
    ];
  });
  return fitTable(
    style,
    [
      { head: 'query' },
      { head: 'server', fold: 0, foldOrder: 2 },
      { head: 'outcome' },
      { head: 'rtt', fit: 'keep', fold: 2, foldOrder: 1 },
      { head: 'answer (TTL)', min: 30 },
    ],
    rows,
  );
}

/** consistencyText: `--consistency`: what the MX hosts disagree on, or that they agree. */
function consistencyText(c: NonNullable<MxResult['consistency']>, style: TableStyle): string {
  const p = style.paint;
  const width = style.width ?? DEFAULT_WIDTH;
  const head = p.bold(`Consistency (${c.addresses.length} addresses compared)`);
  if (c.findings.length === 0) {
    return `${head}\n  the MX hosts agree on recipients, STARTTLS, certificate names, SIZE, VRFY/EXPN and AUTH`;
  }
  const lines = c.findings.map((f) =>
    wrapText(
      `  ${f.severity === 'high' || f.severity === 'medium' ? p.yellow(f.severity) : f.severity} ${printable(f.message)} (${f.ref})`,
      width,
      '      ',
    ),
  );
  return `${head}\n${lines.join('\n')}`;
}
