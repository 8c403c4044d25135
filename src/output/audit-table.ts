/**
 * The audit for a person: one row per site (what its worst address exposes), then the counts
 * and the worst findings first — the part to read when there are thousands of rows above it.
 */
import type { AuditResult, AuditSite, AuditSummary } from '../schema/audit.js';
import { DEFAULT_WIDTH, fitTable, type CellInput, type TableStyle } from './table.js';
import { printable } from './terminal.js';
import { wrapText } from './wrap.js';
import { SEVERITIES } from '../vocabulary.js';

/** COUNT_WORDS: the summary counts as a person reads them. */
export const COUNT_WORDS: Record<keyof AuditSummary['counts'], string> = {
  exposesVrfy: 'expose VRFY',
  exposesExpn: 'expose EXPN',
  openRelay: 'open relay',
  noStarttls: 'no working STARTTLS',
  badCertificate: 'bad or expiring certificate',
  unreachable: 'unreachable',
  stsSkipsMx: 'sites whose MTA-STS enforce policy skips an MX',
  stsBroken: 'sites with an _mta-sts record but no usable policy',
  daneFails: 'sites with an MX failing its DANE TLSA records',
};

/** renderAudit: sites, counts, worst findings. */
export function renderAudit(r: AuditResult, style: TableStyle): string {
  const parts: string[] = [];
  if (r.sites && r.sites.length > 0) parts.push(sitesTable(worstSitesFirst(r.sites), style));
  parts.push(summaryText(r.summary, style));
  return parts.join('\n');
}

/** worstSitesFirst: by worst severity, then by name. */
function worstSitesFirst(sites: AuditSite[]): AuditSite[] {
  const rank = (s: AuditSite): number => (s.worst ? SEVERITIES.indexOf(s.worst) : -1);
  return [...sites].sort((x, y) => rank(y) - rank(x) || x.target.localeCompare(y.target));
}

function sitesTable(sites: AuditSite[], style: TableStyle): string {
  const p = style.paint;
  const bad = (v: string | null, worse: readonly string[]): CellInput =>
    v === null ? '—' : { text: v, ...(worse.includes(v) ? { paint: p.red } : {}) };
  const rows = sites.map((s): CellInput[] => {
    const addresses = s.hosts.reduce((n, h) => n + h.addresses.length, 0);
    const top = s.findings[0];
    return [
      printable(s.target),
      { text: s.status, ...(s.status === 'ok' ? {} : { paint: p.yellow }) },
      `${s.hosts.length}/${addresses}`,
      bad(s.exposure.vrfy, ['discloses']),
      bad(s.exposure.expn, ['discloses']),
      bad(s.exposure.relay, ['open']),
      bad(s.exposure.starttls, ['not-offered', 'refused', 'failed']),
      s.worst ?? '—',
      top ? printable(top.message) : printable(s.error ?? ''),
    ];
  });
  return fitTable(
    style,
    [
      { head: 'site' },
      { head: 'status', fit: 'keep' },
      { head: 'hosts/addr', fit: 'keep', fold: 1, foldOrder: 1 },
      { head: 'VRFY', fit: 'keep' },
      { head: 'EXPN', fit: 'keep' },
      { head: 'relay', fit: 'keep' },
      { head: 'STARTTLS', fit: 'keep' },
      { head: 'worst', fit: 'keep', fold: 1, foldOrder: 2 },
      { head: 'first finding', min: 24, fold: 'under', foldOrder: 3 },
    ],
    rows,
  );
}

function summaryText(s: AuditSummary, style: TableStyle): string {
  const p = style.paint;
  const width = style.width ?? DEFAULT_WIDTH;
  const lines = [
    p.bold(`${s.sites} sites, ${s.addresses} addresses probed (checks: ${s.checks.join(', ')})`),
  ];
  for (const [key, words] of Object.entries(COUNT_WORDS)) {
    const n = s.counts[key as keyof AuditSummary['counts']];
    lines.push(`  ${String(n).padStart(6)}  ${n > 0 ? p.yellow(words) : words}`);
  }
  const sev = s.bySeverity;
  lines.push(
    `  findings: ${sev.high} high, ${sev.medium} medium, ${sev.low} low, ${sev.info} info`,
  );
  if (s.worst.length > 0) {
    lines.push('', p.bold('worst findings'));
    for (const f of s.worst) {
      const where = f.address && f.address !== f.site ? `${f.site} ${f.address}` : f.site;
      lines.push(
        wrapText(
          `  ${f.severity === 'high' ? p.red(f.severity) : p.yellow(f.severity)} ${printable(where)}: ${printable(f.message)} (${f.ref})`,
          width,
          '      ',
        ),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
