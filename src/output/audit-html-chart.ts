/**
 * The audit summary as inline SVG bar charts, drawn here (no script, no library): how many
 * addresses show each problem, how many findings of each severity, worst first, and (when the
 * mta-sts or dane check ran) how many sites show each policy problem.
 */
import type { AuditSummary } from '../schema/audit.js';
import { SEVERITIES, type SummaryCount } from '../vocabulary.js';
import { type Html, html } from './audit-html-text.js';

/** COUNT_BARS: the summary counts in the order the chart shows them, most serious first. */
export const COUNT_BARS: readonly { key: SummaryCount; label: string; tone: string }[] = [
  { key: 'openRelay', label: 'open relay', tone: 'high' },
  { key: 'exposesVrfy', label: 'exposes VRFY', tone: 'medium' },
  { key: 'exposesExpn', label: 'exposes EXPN', tone: 'medium' },
  { key: 'noStarttls', label: 'no STARTTLS', tone: 'low' },
  { key: 'badCertificate', label: 'bad or expiring certificate', tone: 'low' },
  { key: 'unreachable', label: 'unreachable', tone: 'bar' },
];

/** POLICY_BARS: the policy counts (by site, POLICY_COUNTS), charted when a policy check ran. */
export const POLICY_BARS: readonly { key: SummaryCount; label: string; tone: string }[] = [
  { key: 'stsSkipsMx', label: 'MTA-STS skips an MX', tone: 'high' },
  { key: 'daneFails', label: 'DANE fails an MX', tone: 'high' },
  { key: 'stsBroken', label: 'MTA-STS policy unusable', tone: 'medium' },
];

interface Bar {
  label: string;
  value: number;
  tone: string;
}

const WIDTH = 560;
const LABEL_W = 190;
const TRACK_W = 300;
const ROW_H = 24;

function bars(
  id: string,
  title: string,
  rows: readonly Bar[],
  scale: number,
  unit: string,
  percent: boolean,
): Html {
  const height = rows.length * ROW_H + 4;
  const drawn = rows.map((b, i) => {
    const y = i * ROW_H + 4;
    const w = scale > 0 ? Math.round((b.value / scale) * TRACK_W) : 0;
    const pct = percent && scale > 0 ? ` (${Math.round((b.value / scale) * 100)}%)` : '';
    return html`<g><title>${b.label}: ${b.value} ${unit}${pct}</title><text x="0" y="${y + 13}">${b.label}</text><rect class="track" x="${LABEL_W}" y="${y}" width="${TRACK_W}" height="16" rx="2"/><rect class="${b.tone}" x="${LABEL_W}" y="${y}" width="${w}" height="16" rx="2"/><text x="${LABEL_W + TRACK_W + 8}" y="${y + 13}" data-count="${b.label}">${b.value}${pct}</text></g>`;
  });
  return html`<figure id="${id}"><figcaption><b>${title}</b></figcaption><svg viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${title}">${drawn}</svg></figure>`;
}

/**
 * summaryCharts: two bar charts. Problems are counted by address (a shared address once), so their
 * bars are scaled to the number of addresses; findings are scaled to the largest severity.
 */
export function summaryCharts(summary: AuditSummary): Html {
  const problems = COUNT_BARS.map((c) => ({
    label: c.label,
    value: summary.counts[c.key],
    tone: c.tone,
  }));
  const worstFirst = [...SEVERITIES].reverse();
  const severities = worstFirst.map((s) => ({ label: s, value: summary.bySeverity[s], tone: s }));
  const most = Math.max(0, ...severities.map((s) => s.value));
  const addresses = Math.max(summary.addresses, ...problems.map((p) => p.value));
  const policy = summary.checks.some((c) => c === 'mta-sts' || c === 'dane')
    ? policyChart(summary)
    : '';
  return html`<div class="charts">${bars('chart-problems', `Addresses with each problem (of ${summary.addresses})`, problems, addresses, 'addresses', true)}${bars('chart-severity', 'Findings by severity', severities, most, 'findings', false)}${policy}</div>`;
}

/** policyChart: the policy counts, scaled to the number of sites. */
function policyChart(summary: AuditSummary): Html {
  const rows = POLICY_BARS.map((c) => ({
    label: c.label,
    value: summary.counts[c.key],
    tone: c.tone,
  }));
  const sites = Math.max(summary.sites, ...rows.map((r) => r.value));
  return bars(
    'chart-policy',
    `Sites with each policy problem (of ${summary.sites})`,
    rows,
    sites,
    'sites',
    true,
  );
}
