/**
 * One site of the audit report: its row in the sites table (lean: ten cells, no closing tags,
 * so 10,000 rows stay a few megabytes) and its `<details>` with findings and evidence. An address
 * that several sites share is shown under each of them with its verdicts, and its evidence once,
 * in the shared-addresses section, so a big provider's MX does not repeat 5,000 times.
 */
import type { AuditAddress, AuditSite } from '../schema/audit.js';
import { addressEvidence, addressHeading, findingItems } from './audit-html-evidence.js';
import { type Html, html, joinHtml } from './audit-html-text.js';
import { type Check, siteWord, worstWord } from './audit-html-words.js';

/** SiteView: a site with its addresses looked up, its position in the page and its anchor. */
export interface SiteView {
  site: AuditSite;
  id: string;
  /** The site's distinct address keys, in host order. */
  keys: string[];
  /** The addresses found among them (a key missing from the report has none). */
  addresses: AuditAddress[];
}

/** SharedIndex: for a shared address key, its anchor and how many sites use it. */
export type SharedIndex = ReadonlyMap<string, { id: string; sites: number }>;

/** TABLE_CHECKS: the verdict columns, in table order. */
export const TABLE_CHECKS: readonly { check: Check; label: string }[] = [
  { check: 'vrfy', label: 'VRFY' },
  { check: 'expn', label: 'EXPN' },
  { check: 'relay', label: 'Relay' },
  { check: 'tls', label: 'TLS' },
];

const HOSTS_SHOWN = 3;
/** SITES_NAMED: how many of a shared address's sites its section names (the rest are counted). */
const SITES_NAMED = 50;

/** siteKeys: the distinct address keys of a site's hosts, in order. */
export function siteKeys(site: AuditSite): string[] {
  return [...new Set(site.hosts.flatMap((h) => h.addresses))];
}

function hostsCell(v: SiteView): Html {
  const names = v.site.hosts.map((h) => h.name);
  if (names.length === 0) return html`—`;
  const more = names.length > HOSTS_SHOWN ? ` +${names.length - HOSTS_SHOWN}` : '';
  const n = v.keys.length;
  return html`${joinHtml(names.slice(0, HOSTS_SHOWN), ', ')}${more} <span class="mute">· ${n} addr</span>`;
}

/** siteRow: the table row; `data-w` carries the worst severity for the filter. */
export function siteRow(v: SiteView): Html {
  const s = v.site;
  const statusTone = s.status === 'ok' ? 'g' : 'b';
  const cells = TABLE_CHECKS.map(({ check }) => {
    const w = siteWord(s, v.addresses, check);
    return w.tone ? html`<td class="${w.tone}">${w.word}` : html`<td>${w.word}`;
  });
  return html`<tr data-w="${s.worst ?? ''}"><td><a href="#${v.id}">${s.target}</a><td class="${statusTone}">${s.status}<td>${hostsCell(v)}${cells}${s.worst ? html`<td class="${s.worst}">${s.worst}` : html`<td>`}<td class="n">${s.findings.length}\n`;
}

function verdictLine(a: AuditAddress): Html {
  const words = TABLE_CHECKS.map(({ check, label }) => {
    const w = worstWord([a], check);
    return html`${label} <b class="${w.tone}">${w.word}</b>`;
  });
  return html`<p>${joinHtml(words, ' · ')}</p>`;
}

function addressPart(key: string, a: AuditAddress | undefined, shared: SharedIndex): Html {
  if (!a) return html`<div class="addr"><h4>${key} · not in this report</h4></div>`;
  const s = shared.get(key);
  if (!s) return html`<div class="addr">${addressEvidence(a, false)}</div>`;
  return html`<div class="addr">${addressHeading(a)}${verdictLine(a)}<p><a href="#${s.id}">evidence</a> (address shared by ${s.sites} sites)</p></div>`;
}

function hostsLine(site: AuditSite): Html {
  const hosts = site.hosts.map(
    (h) =>
      `${h.name}${h.preference === null ? '' : ` (pref ${h.preference})`}: ${h.addresses.length > 0 ? h.addresses.join(', ') : 'no address'}`,
  );
  return hosts.length > 0 ? html`<p>hosts: ${hosts.join('; ')}</p>` : html``;
}

/** policyLine: the mta-sts and dane checks in one line: the state, each MX's verdict, TLS-RPT, each MX's DANE word. */
function policyLine(site: AuditSite): Html {
  const p = site.policy;
  if (!p) return html``;
  const parts: string[] = [];
  if (p.mtaSts) {
    const fetch = p.stsFetch && p.stsFetch !== 'ok' ? ` (fetch: ${p.stsFetch})` : '';
    const verdicts = p.stsVerdicts.map((v) => `${v.mx} ${v.outcome}`).join(', ');
    parts.push(`MTA-STS ${p.mtaSts}${fetch}${verdicts ? `: ${verdicts}` : ''}`);
    parts.push(`TLS-RPT ${p.tlsRpt ? 'published' : 'none'}`);
  }
  if (p.dane) {
    const words = p.dane.map((d) => `${d.mx} ${d.state ?? 'chain not at hand'}`).join(', ');
    parts.push(`DANE: ${words || 'no MX host'}`);
  }
  return html`<p>policy: ${parts.join(' · ')}</p>`;
}

/** siteDetails: the site's findings, policy, hosts and each address's evidence, closed until asked. */
export function siteDetails(v: SiteView, shared: SharedIndex): Html {
  const s = v.site;
  const byKey = new Map(v.addresses.map((a) => [a.key, a]));
  const n = s.findings.length;
  return html`<details id="${v.id}"><summary><b>${s.target}</b> ${s.worst ? html`<span class="${s.worst}">${s.worst}</span> · ` : ''}${n} finding${n === 1 ? '' : 's'} · ${s.status}</summary><p class="mute">${s.kind}, from ${s.source}${s.error ? `: ${s.error}` : ''}</p>${n > 0 ? findingItems(s.findings, v.keys.length > 1) : ''}${policyLine(s)}${hostsLine(s)}${v.keys.map((k) => addressPart(k, byKey.get(k), shared))}</details>\n`;
}

/** sharedDetails: a shared address's full evidence and findings, once for all its sites. */
export function sharedDetails(a: AuditAddress, id: string, sites: readonly string[]): Html {
  const more = sites.length > SITES_NAMED ? ` and ${sites.length - SITES_NAMED} more` : '';
  return html`<details id="${id}"><summary>${a.key} ${joinHtml(a.names, ', ')} · ${a.status} · used by ${sites.length} sites</summary><p class="mute">sites: ${joinHtml(sites.slice(0, SITES_NAMED), ', ')}${more}</p><div class="addr">${addressEvidence(a, true)}</div></details>\n`;
}
