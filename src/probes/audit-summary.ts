/**
 * SummaryBuilder: the audit summary from its address and site records, in any order, each
 * address counted once by key — so one run, a resumed run and the merge of shards (where a
 * shared MX address appears in several shard files) give the same counts. Holds counters, the
 * keys seen and the worst findings only: memory grows with addresses, not with their records.
 */
import type { AuditAddress, AuditSite, AuditSummary } from '../schema/audit.js';
import {
  type AuditCheck,
  SEVERITIES,
  SUMMARY_COUNTS,
  type Severity,
  type SummaryCount,
} from '../vocabulary.js';

/** WORST_SHOWN: findings the summary lists. */
export const WORST_SHOWN = 20;

const CERT_FINDINGS = new Set([
  'cert-expired',
  'cert-expiring',
  'cert-self-signed',
  'cert-untrusted',
  'cert-name-mismatch',
  'starttls-broken',
]);

type Worst = AuditSummary['worst'][number];

/** SummaryBuilder: see the module comment. */
export class SummaryBuilder {
  private readonly addresses = new Set<string>();
  private readonly sites = new Set<string>();
  private readonly badCert = new Set<string>();
  private readonly counts = Object.fromEntries(SUMMARY_COUNTS.map((k) => [k, 0])) as Record<
    SummaryCount,
    number
  >;
  private readonly severities = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<
    Severity,
    number
  >;
  private worst: Worst[] = [];

  constructor(private readonly checks: readonly AuditCheck[]) {}

  /** address: count one address record (again: ignored). */
  address(a: AuditAddress): void {
    if (this.addresses.has(a.key)) return;
    this.addresses.add(a.key);
    const c = this.counts;
    if (a.vrfy?.exposure === 'discloses') c.exposesVrfy++;
    if (a.expn?.exposure === 'discloses') c.exposesExpn++;
    if (a.relay?.verdict === 'open') c.openRelay++;
    if (a.tls && a.tls.outcome !== 'ok') c.noStarttls++;
    if (a.status !== 'ok' && !a.caps && !a.tls) c.unreachable++;
    for (const f of a.findings) {
      this.severities[f.severity]++;
      if (CERT_FINDINGS.has(f.id)) this.certificate(a.key);
    }
  }

  /** site: count one site record (again: ignored); its own findings, its policy (POLICY_COUNTS) and its worst ones. */
  site(s: AuditSite): void {
    if (this.sites.has(s.target)) return;
    this.sites.add(s.target);
    for (const f of s.findings) {
      // Findings of an address were counted with the address; the site's own are counted here.
      if (f.address === null || f.id === 'cert-name-mismatch') this.severities[f.severity]++;
      if (f.id === 'cert-name-mismatch' && f.address) this.certificate(f.address);
    }
    const p = s.policy;
    const c = this.counts;
    if (p?.mtaSts === 'enforce' && p.stsVerdicts.some((v) => v.outcome === 'skip')) c.stsSkipsMx++;
    if (p?.mtaSts === 'fetch-failed' || p?.mtaSts === 'invalid-policy') c.stsBroken++;
    if (p?.dane?.some((d) => d.state === 'dane-mismatch' || d.state === 'dane-no-tls'))
      c.daneFails++;
    this.keepWorst(s);
  }

  /** summary: the counts so far. */
  summary(): AuditSummary {
    return {
      sites: this.sites.size,
      addresses: this.addresses.size,
      checks: [...this.checks],
      counts: { ...this.counts },
      bySeverity: { ...this.severities },
      worst: [...this.worst],
    };
  }

  private certificate(key: string): void {
    if (this.badCert.has(key)) return;
    this.badCert.add(key);
    this.counts.badCertificate++;
  }

  private keepWorst(s: AuditSite): void {
    const candidates = s.findings
      .filter((f) => f.severity !== 'info')
      .map((f) => ({ ...f, site: s.target }));
    if (candidates.length === 0) return;
    // Ties are broken by site and id, so shards merged in any order list the same findings.
    this.worst = [...this.worst, ...candidates]
      .sort(
        (x, y) =>
          SEVERITIES.indexOf(y.severity) - SEVERITIES.indexOf(x.severity) ||
          x.site.localeCompare(y.site) ||
          x.id.localeCompare(y.id) ||
          (x.address ?? '').localeCompare(y.address ?? ''),
      )
      .slice(0, WORST_SHOWN);
  }
}
