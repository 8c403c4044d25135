/** The verify result for a person: one row per address with its evidence, then how each domain was probed. */
import type { VerifyResult } from '../schema/verify.js';
import { formatReply } from '../smtp/reply.js';
import { DEFAULT_WIDTH, fitTable, type CellInput, type TableStyle } from './table.js';
import { printable } from './terminal.js';
import { wrapText } from './wrap.js';

/** renderVerify: addresses, domains, counts. */
export function renderVerify(r: VerifyResult, style: TableStyle): string {
  const p = style.paint;
  const width = style.width ?? DEFAULT_WIDTH;
  const colour = {
    deliverable: p.green,
    undeliverable: p.red,
    risky: p.yellow,
    unknown: p.dim,
    'no-mail': p.red,
    invalid: p.red,
    'not-asked': p.dim,
  } as const;
  const addressRows = r.addresses.map((a): CellInput[] => {
    const ev =
      a.evidence
        .map(
          (e) =>
            `${printable(formatReply(e.reply).join(' / '))} (${e.method.toUpperCase()} at ${e.host})`,
        )
        .join('\n') || printable(a.note ?? '');
    return [
      printable(a.address ?? a.input),
      { text: a.verdict, paint: colour[a.verdict] },
      a.reason,
      a.confidence,
      ev,
    ];
  });
  // Narrow terminals: the confidence, then the reason, join the verdict; then the evidence moves under the row.
  const rows = fitTable(
    style,
    [
      { head: 'address' },
      { head: 'verdict', fit: 'keep' },
      { head: 'why', fit: 'keep', fold: 1, foldOrder: 2 },
      { head: 'confidence', fit: 'keep', fold: 1, foldOrder: 1, folded: (t) => `${t} confidence` },
      { head: 'evidence', min: 30, fold: 'under', foldOrder: 3 },
    ],
    addressRows,
  );
  const notes: string[] = [];
  const domainRows = r.domains.map((d): CellInput[] => {
    if (d.throttled)
      notes.push(
        `${d.domain}: the server punishes rejected recipients; sessions kept to ${d.maxErrorsPerSession} rejections`,
      );
    notes.push(...d.notes.map((n) => `${d.domain}: ${n}`));
    return [
      printable(d.domain),
      d.catchAll,
      d.pipelining ? 'yes' : 'no',
      d.tls ?? '—',
      String(d.sessions),
      String(d.rcptBatches),
      d.host ? `${printable(d.host)} (${d.address})` : printable(d.mx),
    ];
  });
  const doms = fitTable(
    style,
    [
      { head: 'domain' },
      { head: 'catch-all', fit: 'keep' },
      { head: 'pipelining', fit: 'keep' },
      { head: 'TLS', fit: 'keep' },
      { head: 'sessions', fit: 'keep' },
      {
        head: 'RCPT trips',
        fit: 'keep',
        fold: 4,
        foldOrder: 2,
        folded: (t) => `${t} RCPT trip${t === '1' ? '' : 's'}`,
      },
      { head: 'host used', min: 24, fold: 'under', foldOrder: 1, folded: (t) => `host used: ${t}` },
    ],
    domainRows,
  );
  const counts = Object.entries(r.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  const noteText = notes.length
    ? `\n${notes.map((n) => p.dim(wrapText(`  ${printable(n)}`, width, '    '))).join('\n')}`
    : '';
  const heading = wrapText(
    `${p.bold('Domains')} (MAIL FROM:<${printable(r.from)}>; never DATA: every transaction ends with RSET, every session with QUIT)`,
    width,
    '  ',
  );
  return `${rows}\n\n${heading}\n${doms}${noteText}\n\n${wrapText(`${p.bold('Summary:')} ${counts}`, width, '  ')}\n`;
}
