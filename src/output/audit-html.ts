/**
 * renderAuditHtml: the `audit --html` report, one self-contained page. Nothing is fetched (a
 * Content-Security-Policy with `default-src 'none'` says so to the browser), the one style sheet
 * and the one script are inline and allowed by hash, and every text a server chose is escaped.
 * The summary charts, the sites table and each site's evidence are HTML rendered here; the
 * script only sorts and filters the table, so the page reads without JavaScript.
 */
import type { AuditAddress, AuditSite, AuditSummary } from '../schema/audit.js';
import { SEVERITIES, type Severity } from '../vocabulary.js';
import { contentSecurityPolicy, REPORT_CSS, REPORT_SCRIPT } from './audit-html-assets.js';
import { summaryCharts } from './audit-html-chart.js';
import {
  type SharedIndex,
  type SiteView,
  sharedDetails,
  siteDetails,
  siteKeys,
  siteRow,
  TABLE_CHECKS,
} from './audit-html-site.js';
import { type Html, html, trusted } from './audit-html-text.js';

/** AuditReport: what the page is made from: an audit run's (or a merge's) records. */
export interface AuditReport {
  summary: AuditSummary;
  /** The sites, in any order (the page lists the worst first); read once. */
  sites: Iterable<AuditSite>;
  /** The address records by key, as a map or a lookup (a merge may keep them elsewhere). */
  addresses: ReadonlyMap<string, AuditAddress> | ((key: string) => AuditAddress | undefined);
  /** When the report was made (the page's only clock: rendering stays pure). */
  generatedAt: Date;
  title?: string;
}

/** DEFAULT_TITLE: the page title when none is given. */
export const DEFAULT_TITLE = 'smtp-probe audit report';

const rank = (s: Severity | null): number => (s === null ? -1 : SEVERITIES.indexOf(s));

function lookupOf(a: AuditReport['addresses']): (key: string) => AuditAddress | undefined {
  return typeof a === 'function' ? a : (key) => a.get(key);
}

function siteViews(sites: Iterable<AuditSite>, lookup: (key: string) => AuditAddress | undefined) {
  const worstFirst = [...sites].sort((x, y) => rank(y.worst) - rank(x.worst));
  return worstFirst.map((site, i): SiteView => {
    const keys = siteKeys(site);
    const addresses = keys.map(lookup).filter((a): a is AuditAddress => a !== undefined);
    return { site, id: `s${i + 1}`, keys, addresses };
  });
}

/** sharedAddresses: keys used by more than one site, each with an anchor and its sites. */
function sharedAddresses(views: readonly SiteView[]) {
  const users = new Map<string, string[]>();
  for (const v of views)
    for (const k of v.keys) {
      const list = users.get(k);
      if (list) list.push(v.site.target);
      else users.set(k, [v.site.target]);
    }
  const shared = [...users].filter(([, sites]) => sites.length > 1);
  const index: SharedIndex = new Map(
    shared.map(([key, sites], i) => [key, { id: `a${i + 1}`, sites: sites.length }]),
  );
  return { index, shared };
}

function worstFindings(summary: AuditSummary, anchors: ReadonlyMap<string, string>): Html {
  const worst = [...summary.worst].sort((x, y) => rank(y.severity) - rank(x.severity));
  if (worst.length === 0) return html`<p>No findings.</p>`;
  const rows = worst.map((f) => {
    const id = anchors.get(f.site);
    const site = id ? html`<a href="#${id}">${f.site}</a>` : f.site;
    return html`<tr><td class="${f.severity}">${f.severity}<td>${site}<td><code>${f.address ?? ''}</code><td><code>${f.id}</code> ${f.message}<td class="mute">${f.ref}\n`;
  });
  return html`<h3>Worst findings</h3><table id="worst"><thead><tr><th>Severity<th>Site<th>Address<th>Finding<th>Reference</thead><tbody>${rows}</tbody></table>`;
}

function sitesTable(views: readonly SiteView[]): Html {
  const checks = TABLE_CHECKS.map((c) => html`<th>${c.label}`);
  const options = [
    ['', 'any severity'],
    ['high', 'high'],
    ['medium', 'medium or worse'],
    ['low', 'low or worse'],
    ['info', 'any finding'],
    ['none', 'no findings'],
  ].map(([value, label]) => html`<option value="${value}">${label}</option>`);
  return html`<div id="controls" class="controls" hidden><input id="q" type="search" placeholder="Filter: site, host, status, word…" aria-label="Filter sites"><select id="sev" aria-label="Severity">${options}</select><span id="shown" class="mute" aria-live="polite"></span></div>
<table id="sites"><thead><tr><th>Target<th>Status<th>MX hosts / addresses${checks}<th data-type="sev">Worst<th data-type="num">Findings</thead><tbody>
${views.map(siteRow)}</tbody></table>`;
}

function head(title: string): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(REPORT_CSS, REPORT_SCRIPT)}">
<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${trusted(REPORT_CSS)}</style></head>
`;
}

/**
 * renderAuditHtml: the report page as one string. Pure: the same records and `generatedAt` give
 * the same bytes. Sites are listed worst first; counts in the charts are the summary's own (by
 * address, as `audit` counts them), not recomputed.
 */
export function renderAuditHtml(report: AuditReport): string {
  const title = report.title ?? DEFAULT_TITLE;
  const lookup = lookupOf(report.addresses);
  const views = siteViews(report.sites, lookup);
  const { index, shared } = sharedAddresses(views);
  const anchors = new Map(views.map((v) => [v.site.target, v.id]));
  const s = report.summary;
  const sharedPart = shared.map(([key, sites]) => {
    const a = lookup(key);
    return a ? sharedDetails(a, index.get(key)!.id, sites) : '';
  });
  return html`${head(title)}<body><header><h1>${title}</h1><p class="meta">Generated ${report.generatedAt.toISOString()} · ${s.sites} sites · ${s.addresses} addresses · checks: ${s.checks.join(', ') || 'none'}</p></header>
<section id="summary"><h2>Summary</h2>${summaryCharts(s)}${worstFindings(s, anchors)}</section>
<section><h2>Sites</h2>${sitesTable(views)}</section>
<section id="evidence"><h2>Findings and evidence by site</h2>
${views.map((v) => siteDetails(v, index))}</section>
${shared.length > 0 ? html`<section id="shared"><h2>Addresses shared by several sites</h2>\n${sharedPart}</section>\n` : ''}<script>${trusted(REPORT_SCRIPT)}</script>
</body></html>
`.markup;
}
