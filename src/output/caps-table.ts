/**
 * The caps result as tables for a person: connection, extensions (before and
 * after TLS side by side), TLS and certificate chain, verb census, findings,
 * timings. Every server-supplied string goes through printable().
 */
import Table from 'cli-table3';
import type { CapsResult, CensusEntry, Finding } from '../schema/caps.js';
import type { Capabilities } from '../schema/smtp.js';
import { formatEndpoint } from '../net/target.js';
import { formatDuration } from '../time/duration.js';
import { formatReply, type Reply } from '../smtp/reply.js';
import { printable, type Paint } from './terminal.js';

/** TableStyle: colour and width for the tables. */
export interface TableStyle {
  paint: Paint;
  color: boolean;
  /** Terminal columns to fit in (wide cells wrap). */
  width?: number;
}

/** DEFAULT_WIDTH: columns assumed when output is not a terminal. */
const DEFAULT_WIDTH = 120;

/**
 * table: a cli-table3 table with our look (no colour codes when colour is off).
 * `fixed` gives the widths of all columns but the last, which takes the rest of the line.
 */
export function table(style: TableStyle, head?: string[], fixed?: number[]): Table.Table {
  const width = Math.max(60, style.width ?? DEFAULT_WIDTH);
  const cols = fixed ?? (head ? undefined : [16]);
  const colWidths = cols
    ? [...cols, Math.max(20, width - cols.reduce((a, b) => a + b, 0) - cols.length - 2)]
    : undefined;
  return new Table({
    ...(head ? { head: head.map((h) => style.paint.bold(h)) } : {}),
    style: { head: [], border: style.color ? ['grey'] : [], compact: true },
    wordWrap: true,
    wrapOnWordBoundary: true,
    ...(colWidths ? { colWidths } : {}),
  });
}

const replyLine = (r: Reply): string => formatReply(r).map(printable).join('\n');
const ms = (n: number | undefined): string => (n === undefined ? '' : formatDuration(n));

/** renderCaps: the sections of a caps result, as one string. */
export function renderCaps(r: CapsResult, style: TableStyle): string {
  const out: string[] = [];
  out.push(section('Server', connectionTable(r, style), style));
  if (r.capabilities || r.capabilitiesAfterTls)
    out.push(section('Extensions', extensionsTable(r, style), style));
  if (r.tls) out.push(section('TLS', tlsTable(r, style), style));
  if (r.census)
    out.push(section('Verb census (RFC 821/5321)', censusTable(r.census, style), style));
  out.push(section('Findings', findingsTable(r.findings, style), style));
  return out.join('\n');
}

function section(title: string, body: string, style: TableStyle): string {
  return `${style.paint.bold(title)}\n${body}\n`;
}

function connectionTable(r: CapsResult, style: TableStyle): string {
  const t = table(style);
  const attempts = r.attempts
    .map((a) => `${formatEndpoint(a.address, r.port)} ${a.status} (${ms(a.ms)})`)
    .join('\n');
  t.push(['target', `${r.host}:${r.port}`]);
  if (r.addresses.length > 1 || r.addresses[0] !== r.host)
    t.push(['resolved', r.addresses.join(', ') || '(none)']);
  t.push(
    r.address
      ? ['connected', `${formatEndpoint(r.address, r.port)} in ${ms(r.timings.connect)}`]
      : ['not connected', attempts || '(no address to try)'],
  );
  if (r.attempts.length > 1) t.push(['attempts', attempts]);
  if (r.banner) {
    t.push(['banner', replyLine(r.banner.reply)]);
    t.push(['claims to be', printable(r.banner.hostname ?? '(no host name in banner)')]);
  }
  if (r.hello) {
    const fallback = r.hello.ehloReply
      ? `EHLO refused (${r.hello.ehloReply.code}), fell back to HELO → `
      : '';
    const first = `${r.hello.reply.code} ${printable(r.hello.reply.lines[0] ?? '')}`;
    const more =
      r.hello.reply.lines.length > 1 ? ` (+${r.hello.reply.lines.length - 1} extension lines)` : '';
    t.push([
      r.hello.verb.toLowerCase(),
      `${fallback}${r.hello.verb} ${printable(r.helo)} → ${first}${more}`,
    ]);
  }
  const order = [
    'resolve',
    'connect',
    'tls',
    'greeting',
    'ehlo',
    'starttls',
    'ehloAfterTls',
    'census',
    'quit',
    'total',
  ] as const;
  const label = (k: (typeof order)[number]): string =>
    k === 'ehloAfterTls' ? 'ehlo after TLS' : k;
  const times = order
    .filter((k) => r.timings[k] !== undefined)
    .map((k) => `${label(k)} ${ms(r.timings[k])}`);
  t.push(['timings', times.join(' · ')]);
  return t.toString();
}

function describeExtension(c: Capabilities | null, key: string): string {
  if (!c) return '';
  const ext = c.extensions.find(
    (e) => e.keyword === key || (key === 'AUTH' && e.keyword.startsWith('AUTH=')),
  );
  if (!ext) return '—';
  if (key === 'AUTH') return printable(c.auth?.join(' ') ?? '') || 'yes';
  if (key === 'SIZE')
    return c.size ? `${c.size} (${(c.size / 1_048_576).toFixed(1)} MiB)` : 'no fixed limit';
  return ext.params.length ? printable(ext.params.join(' ')) : 'yes';
}

function extensionsTable(r: CapsResult, style: TableStyle): string {
  const after = r.capabilitiesAfterTls;
  const head = after
    ? ['extension', 'before TLS', 'after TLS']
    : ['extension', r.tls?.mode === 'implicit' ? 'over TLS' : 'offered'];
  const t = table(style, head);
  const keys = new Set(
    [...(r.capabilities?.extensions ?? []), ...(after?.extensions ?? [])].map((e) =>
      e.keyword.startsWith('AUTH=') ? 'AUTH' : e.keyword,
    ),
  );
  for (const key of keys) {
    const row = [printable(key), describeExtension(r.capabilities, key)];
    if (after) row.push(describeExtension(after, key));
    t.push(row);
  }
  if (keys.size === 0)
    t.push([
      r.hello?.verb === 'HELO' ? '(HELO only: no extensions)' : '(none)',
      ...(after ? ['', ''] : ['']),
    ]);
  return t.toString();
}

function tlsTable(r: CapsResult, style: TableStyle): string {
  const tls = r.tls!;
  const t = table(style);
  const p = style.paint;
  t.push(['mode', tls.mode === 'implicit' ? 'implicit TLS (RFC 8314)' : 'STARTTLS (RFC 3207)']);
  t.push([
    'outcome',
    tls.outcome === 'ok'
      ? p.green('ok')
      : p.red(
          `${tls.outcome}${tls.error ? `: ${printable(tls.error)}` : ''}${tls.reply && tls.outcome === 'refused' ? `: ${replyLine(tls.reply)}` : ''}`,
        ),
  ]);
  const info = tls.info;
  if (info) {
    t.push(['protocol', `${info.protocol}, ${info.cipher}`]);
    t.push([
      'name match',
      info.nameMatch.ok
        ? p.green(`yes (${info.nameMatch.name})`)
        : p.yellow(`no: ${printable(info.nameMatch.error ?? info.nameMatch.name)}`),
    ]);
    t.push([
      'trusted',
      info.trusted.ok ? p.green('yes') : p.yellow(`no: ${printable(info.trusted.error ?? '')}`),
    ]);
    t.push(['trust store', info.trusted.store]);
    info.chain.forEach((c, i) => {
      const days =
        c.daysLeft < 0
          ? p.red(`expired ${-c.daysLeft} days ago`)
          : c.daysLeft < 14
            ? p.yellow(`${c.daysLeft} days left`)
            : `${c.daysLeft} days left`;
      t.push([
        i === 0 ? 'certificate' : `chain [${i}]`,
        [
          `subject  ${printable(c.subject)}`,
          c.subjectAltNames.length
            ? `SANs     ${printable(c.subjectAltNames.join(', '))}`
            : 'SANs     (none)',
          `issuer   ${printable(c.issuer)}${c.selfSigned ? ' (self-signed)' : ''}`,
          `valid    ${c.validFrom.slice(0, 10)} → ${c.validTo.slice(0, 10)} (${days})`,
          `key      ${c.publicKey}`,
          `sha256   ${c.fingerprintSha256.replace(/:/g, '').toLowerCase()}`,
        ].join('\n'),
      ]);
    });
  }
  if (r.capabilityChanges) {
    const { added, removed } = r.capabilityChanges;
    t.push([
      'after TLS',
      [
        added.length ? `+ ${printable(added.join(', '))}` : '',
        removed.length ? `− ${printable(removed.join(', '))}` : '',
      ]
        .filter(Boolean)
        .join('\n') || 'no change',
    ]);
  }
  return t.toString();
}

function censusTable(entries: CensusEntry[], style: TableStyle): string {
  const p = style.paint;
  const colour = {
    implemented: p.green,
    disabled: p.yellow,
    'not-implemented': p.dim,
    unknown: p.red,
    'not-asked': p.dim,
  } as const;
  const t = table(style, ['verb', 'sent', 'support', 'reply'], [6, 25, 17]);
  for (const e of entries) {
    if (!e.reply) {
      // not-asked: never sent, so there is no line and no reply to show.
      const why = "held back: the server's limit of unrecognised commands was near";
      t.push([e.verb, '—', colour[e.support](e.support), p.dim(why)]);
      continue;
    }
    const evidence = e.probe
      ? `${replyLine(e.reply)}\n${printable(e.probe.command)} → ${replyLine(e.probe.reply)}`
      : replyLine(e.reply);
    t.push([e.verb, printable(e.command), colour[e.support](e.support), evidence]);
  }
  return t.toString();
}

function findingsTable(findings: Finding[], style: TableStyle): string {
  if (findings.length === 0) return 'none';
  const p = style.paint;
  const colour = { high: p.red, medium: p.yellow, low: p.cyan, info: p.dim } as const;
  const t = table(style, ['severity', 'finding', 'detail'], [10, 28]);
  for (const f of findings) t.push([colour[f.severity](f.severity), f.id, printable(f.message)]);
  return t.toString();
}
