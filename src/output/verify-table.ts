/** The verify result for a person: one row per address with its evidence, then how each domain was probed. */
import type { VerifyResult } from '../schema/verify.js';
import { formatReply } from '../smtp/reply.js';
import { table, type TableStyle } from './caps-table.js';
import { printable } from './terminal.js';

/** renderVerify: addresses, domains, counts. */
export function renderVerify(r: VerifyResult, style: TableStyle): string {
  const p = style.paint;
  const colour = {
    deliverable: p.green,
    undeliverable: p.red,
    risky: p.yellow,
    unknown: p.dim,
    'no-mail': p.red,
    invalid: p.red,
    'not-asked': p.dim,
  } as const;
  const rows = table(
    style,
    ['address', 'verdict', 'why', 'confidence', 'evidence'],
    [30, 15, 16, 12],
  );
  for (const a of r.addresses) {
    const ev =
      a.evidence
        .map(
          (e) =>
            `${printable(formatReply(e.reply).join(' / '))} (${e.method.toUpperCase()} at ${e.host})`,
        )
        .join('\n') || printable(a.note ?? '');
    rows.push([
      printable(a.address ?? a.input),
      colour[a.verdict](a.verdict),
      a.reason,
      a.confidence,
      ev,
    ]);
  }
  const doms = table(
    style,
    ['domain', 'catch-all', 'pipelining', 'TLS', 'sessions', 'RCPT trips', 'host used'],
    [20, 12, 12, 9, 10, 12],
  );
  const notes: string[] = [];
  for (const d of r.domains) {
    doms.push([
      printable(d.domain),
      d.catchAll,
      d.pipelining ? 'yes' : 'no',
      d.tls ?? '—',
      String(d.sessions),
      String(d.rcptBatches),
      d.host ? `${printable(d.host)} (${d.address})` : printable(d.mx),
    ]);
    if (d.throttled)
      notes.push(
        `${d.domain}: the server punishes rejected recipients; sessions kept to ${d.maxErrorsPerSession} rejections`,
      );
    notes.push(...d.notes.map((n) => `${d.domain}: ${n}`));
  }
  const counts = Object.entries(r.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const noteText = notes.length
    ? `\n${notes.map((n) => p.dim(`  ${printable(n)}`)).join('\n')}`
    : '';
  return `${rows.toString()}\n\n${p.bold('Domains')} (MAIL FROM:<${printable(r.from)}>; never DATA: every transaction ends with RSET, every session with QUIT)\n${doms.toString()}${noteText}\n\n${p.bold('Summary:')} ${counts}\n`;
}
