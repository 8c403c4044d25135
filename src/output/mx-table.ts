/**
 * The MX walk for a person: the MX × address matrix in sender order, lint
 * findings with their RFCs, the verdict line, and (asked for) the DNS trace.
 */
import type { DnsExchange, DnsRecord } from '../schema/dns.js';
import type { Lint, MxHost, MxResult } from '../schema/mx.js';
import { formatDuration } from '../time/duration.js';
import { table, type TableStyle } from './caps-table.js';
import { printable } from './terminal.js';

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
  out.push(
    `${p.bold(`MX for ${names}`)} — ${sourceText(r)}; resolver ${r.resolvers.join(', ')}; SMTP port ${r.port}`,
  );
  if (r.hosts.length > 0) out.push(matrix(r, style));
  if (r.lint.length > 0) out.push(`${p.bold('Lint')}\n${lintTable(r.lint, style)}`);
  if (opts.dnsTrace) out.push(`${p.bold('DNS trace')}\n${traceTable(r.dns, style)}`);
  if (r.verdict) {
    const colour =
      r.verdict.kind === 'accepted'
        ? p.green
        : r.verdict.kind === 'no-usable-host'
          ? p.red
          : p.yellow;
    out.push(`${p.bold('Verdict:')} ${colour(printable(r.verdict.text))}`);
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
  return h.groupSize > 1 ? `${h.preference} (1 of ${h.groupSize}, random)` : String(h.preference);
}

function matrix(r: MxResult, style: TableStyle): string {
  const p = style.paint;
  // pref is 12 wide so "(implicit)" and "random)" wrap whole instead of being cut to "(impl…".
  const t = table(
    style,
    ['pref', 'MX host', 'address', 'status', 'time', 'greeting / EHLO / error'],
    [12, 26, 17, 20, 9],
  );
  for (const h of r.hosts) {
    if (h.addresses.length === 0) {
      const why = `no address (A: ${h.lookups.a.status}, AAAA: ${h.lookups.aaaa.status})`;
      t.push([prefCell(h), printable(h.name), '—', p.yellow('skipped'), '', why]);
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
      const status = a.status === 'ok' ? p.green(a.status) : p.red(a.status);
      t.push([
        i === 0 ? prefCell(h) : '',
        i === 0 ? printable(h.name) : '',
        a.address,
        status,
        formatDuration(a.ms),
        detail,
      ]);
    });
  }
  return t.toString();
}

function lintTable(lint: Lint[], style: TableStyle): string {
  const p = style.paint;
  const colour = { error: p.red, warning: p.yellow, info: p.dim } as const;
  const t = table(style, ['severity', 'finding', 'RFC', 'detail'], [10, 23, 16]);
  for (const l of lint)
    t.push([
      colour[l.severity](l.severity),
      l.id,
      l.rfc,
      `${printable(l.subject)}: ${printable(l.message)}`,
    ]);
  return t.toString();
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
  const t = table(style, ['query', 'server', 'outcome', 'rtt', 'answer (TTL)'], [28, 22, 20, 9]);
  for (const e of exchanges) {
    const answers =
      e.answers.map((a) => `${printable(recordText(a))} (${a.ttl}s)`).join('\n') ||
      (e.authority.length
        ? `(authority: ${e.authority.map((a) => (a.type === 'OTHER' ? a.rrtype : a.type)).join(', ')})`
        : '');
    const outcome = `${e.outcome}${e.rcode ? ` ${e.rcode}` : ''}${e.flags?.aa ? ' aa' : ''}${e.flags?.tc ? ' tc' : ''}`;
    t.push([
      `${e.question.type} ${printable(e.question.name)}`,
      `${e.server}/${e.transport}${e.attempt > 1 ? ` #${e.attempt}` : ''}`,
      outcome,
      formatDuration(e.rttMs),
      answers,
    ]);
  }
  return t.toString();
}
