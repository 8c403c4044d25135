/**
 * The caps result as tables for a person: connection, extensions (before and
 * after TLS side by side), TLS and certificate chain, verb census, findings,
 * timings. Every server-supplied string goes through printable().
 */
import type { CapsResult, CensusEntry, Finding } from '../schema/caps.js';
import type { Capabilities } from '../schema/smtp.js';
import type { CertificateInfo } from '../schema/tls.js';
import { formatEndpoint } from '../net/target.js';
import { formatDuration } from '../time/duration.js';
import { formatReply, type Reply } from '../smtp/reply.js';
import { fitTable, timingsCell, type CellInput, type Column, type TableStyle } from './table.js';
import { SETUP_STAGES } from '../vocabulary.js';
import { printable } from './terminal.js';

export type { TableStyle } from './table.js';

/** KEY_VALUE: the two columns of a label/value table (the label never wraps). */
const KEY_VALUE: Column[] = [{ fit: 'keep' }, { min: 20 }];

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
  const rows: CellInput[][] = [];
  const attempts = r.attempts
    .map((a) => `${formatEndpoint(a.address, r.port)} ${a.status} (${ms(a.ms)})`)
    .join('\n');
  rows.push(['target', `${r.host}:${r.port}`]);
  if (r.addresses.length > 1 || r.addresses[0] !== r.host)
    rows.push(['resolved', r.addresses.join(', ') || '(none)']);
  rows.push(
    r.address
      ? ['connected', `${formatEndpoint(r.address, r.port)} in ${ms(r.timings.connect)}`]
      : ['not connected', attempts || '(no address to try)'],
  );
  if (r.attempts.length > 1) rows.push(['attempts', attempts]);
  if (r.banner) {
    rows.push(['banner', replyLine(r.banner.reply)]);
    rows.push(['claims to be', printable(r.banner.hostname ?? '(no host name in banner)')]);
  }
  if (r.hello) {
    const fallback = r.hello.ehloReply
      ? `EHLO refused (${r.hello.ehloReply.code}), fell back to HELO → `
      : '';
    const first = `${r.hello.reply.code} ${printable(r.hello.reply.lines[0] ?? '')}`;
    const more =
      r.hello.reply.lines.length > 1 ? ` (+${r.hello.reply.lines.length - 1} extension lines)` : '';
    rows.push([
      r.hello.verb.toLowerCase(),
      `${fallback}${r.hello.verb} ${printable(r.helo)} → ${first}${more}`,
    ]);
  }
  rows.push(['timings', timingsCell(r.timings, [...SETUP_STAGES, 'census', 'quit', 'total'])]);
  return fitTable(style, KEY_VALUE, rows);
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
  const heads = after
    ? ['extension', 'before TLS', 'after TLS']
    : ['extension', r.tls?.mode === 'implicit' ? 'over TLS' : 'offered'];
  const columns: Column[] = heads.map((head, i) => (i === 0 ? { head, fit: 'keep' } : { head }));
  const keys = new Set(
    [...(r.capabilities?.extensions ?? []), ...(after?.extensions ?? [])].map((e) =>
      e.keyword.startsWith('AUTH=') ? 'AUTH' : e.keyword,
    ),
  );
  const rows: CellInput[][] = [];
  for (const key of keys) {
    const row = [printable(key), describeExtension(r.capabilities, key)];
    if (after) row.push(describeExtension(after, key));
    rows.push(row);
  }
  if (keys.size === 0)
    rows.push([
      r.hello?.verb === 'HELO' ? '(HELO only: no extensions)' : '(none)',
      ...(after ? ['', ''] : ['']),
    ]);
  return fitTable(style, columns, rows);
}

/** certificateText: one chain certificate, a line per field, values aligned after the field name. */
function certificateText(cert: CertificateInfo, p: TableStyle['paint']): string {
  const days =
    cert.daysLeft < 0
      ? p.red(`expired ${-cert.daysLeft} days ago`)
      : cert.daysLeft < 14
        ? p.yellow(`${cert.daysLeft} days left`)
        : `${cert.daysLeft} days left`;
  return [
    `subject  ${printable(cert.subject)}`,
    cert.subjectAltNames.length
      ? `SANs     ${printable(cert.subjectAltNames.join(', '))}`
      : 'SANs     (none)',
    `issuer   ${printable(cert.issuer)}${cert.selfSigned ? ' (self-signed)' : ''}`,
    `valid    ${cert.validFrom.slice(0, 10)} → ${cert.validTo.slice(0, 10)} (${days})`,
    `key      ${cert.publicKey}`,
    `sha256   ${cert.fingerprintSha256.replace(/:/g, '').toLowerCase()}`,
  ].join('\n');
}

function tlsTable(r: CapsResult, style: TableStyle): string {
  const tls = r.tls!;
  const p = style.paint;
  const rows: CellInput[][] = [];
  rows.push(['mode', tls.mode === 'implicit' ? 'implicit TLS (RFC 8314)' : 'STARTTLS (RFC 3207)']);
  rows.push([
    'outcome',
    tls.outcome === 'ok'
      ? { text: 'ok', paint: p.green }
      : {
          text: `${tls.outcome}${tls.error ? `: ${printable(tls.error)}` : ''}${tls.reply && tls.outcome === 'refused' ? `: ${replyLine(tls.reply)}` : ''}`,
          paint: p.red,
        },
  ]);
  const info = tls.info;
  if (info) {
    rows.push(['protocol', `${info.protocol}, ${info.cipher}`]);
    rows.push([
      'name match',
      info.nameMatch.ok
        ? { text: `yes (${info.nameMatch.name})`, paint: p.green }
        : {
            text: `no: ${printable(info.nameMatch.error ?? info.nameMatch.name)}`,
            paint: p.yellow,
          },
    ]);
    rows.push([
      'trusted',
      info.trusted.ok
        ? { text: 'yes', paint: p.green }
        : { text: `no: ${printable(info.trusted.error ?? '')}`, paint: p.yellow },
    ]);
    rows.push(['trust store', info.trusted.store]);
    // A wrapped field continues under its value, past "subject  ".
    for (const [i, cert] of info.chain.entries())
      rows.push([
        i === 0 ? 'certificate' : `chain [${i}]`,
        { text: certificateText(cert, p), hang: 9 },
      ]);
  }
  if (r.capabilityChanges) {
    const { added, removed } = r.capabilityChanges;
    rows.push([
      'after TLS',
      [
        added.length ? `+ ${printable(added.join(', '))}` : '',
        removed.length ? `− ${printable(removed.join(', '))}` : '',
      ]
        .filter(Boolean)
        .join('\n') || 'no change',
    ]);
  }
  return fitTable(style, KEY_VALUE, rows);
}

function censusTable(entries: CensusEntry[], style: TableStyle): string {
  const p = style.paint;
  const colour = {
    implemented: p.green,
    disabled: p.yellow,
    'not-implemented': p.dim,
    unknown: p.red,
    'not-asked': p.dim,
    unpaired: p.red,
  } as const;
  // not-asked: never sent, so there is no line and no reply to show.
  const heldBack = "held back: the server's limit of unrecognised commands was near";
  const rows = entries.map((e): CellInput[] => [
    e.verb,
    e.reply ? printable(e.command) : '—',
    { text: e.support, paint: colour[e.support] },
    !e.reply
      ? { text: heldBack, paint: p.dim }
      : e.probe
        ? `${replyLine(e.reply)}\n${printable(e.probe.command)} → ${replyLine(e.probe.reply)}`
        : replyLine(e.reply),
  ]);
  return fitTable(
    style,
    [
      { head: 'verb', fit: 'keep' },
      { head: 'sent' },
      { head: 'support', fit: 'keep' },
      { head: 'reply', min: 24 },
    ],
    rows,
  );
}

function findingsTable(findings: Finding[], style: TableStyle): string {
  if (findings.length === 0) return 'none';
  const p = style.paint;
  const colour = { high: p.red, medium: p.yellow, low: p.cyan, info: p.dim } as const;
  const rows = findings.map((f): CellInput[] => [
    { text: f.severity, paint: colour[f.severity] },
    f.id,
    printable(f.message),
  ]);
  return fitTable(
    style,
    [
      { head: 'severity', fit: 'keep' },
      { head: 'finding', fit: 'keep' },
      { head: 'detail', min: 30 },
    ],
    rows,
  );
}
