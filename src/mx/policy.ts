/**
 * A domain's transport-security policies against its measured MX hosts, pure: the `_mta-sts`
 * and `_smtp._tls` TXT lookups, the fetched MTA-STS policy, each host's TLSA lookup and the
 * certificate chain its STARTTLS showed, in; the policy section of `mx`, with one finding list
 * (worst first, each naming its subject and RFC), out. The probe (src/probes/policy.ts) does the
 * asking; everything decided here can be tested from values.
 *
 * In three steps, so the audit (src/mx/audit-policy.ts) can take them apart: what the domain
 * publishes (publishedPolicy: needs DNS and the fetch only), the MTA-STS verdict per MX
 * (judgeSts: needs each host's TLS facts) and DANE per MX (daneReport: needs each host's chain).
 */
import { txtStrings } from '../dns/records.js';
import { AD_BIT_NOTE } from '../net/dane.js';
import { digestChain } from '../net/dane-chain.js';
import type { Lookup } from '../schema/dns.js';
import type { MxHost } from '../schema/mx.js';
import type {
  MtaStsReport,
  PolicyFinding,
  PolicyReport,
  StsFetch,
  StsPolicy,
  StsVerdict,
} from '../schema/policy.js';
import { worstFirst } from './consistency.js';
import { type DaneTarget, daneReport, type HostTlsa } from './dane-report.js';
import { parseStsPolicy, parseStsRecords, type StsTls, stsVerdict } from './mta-sts.js';
import { parseTlsRpt } from './tls-rpt.js';

/** PeerChain: the chain one of the host's addresses presented (DER, leaf first). */
export interface PeerChain {
  address: string;
  der: Buffer[];
}

/** PolicyInputs: everything asked and seen, for policyReport. */
export interface PolicyInputs {
  domain: string;
  hosts: readonly MxHost[];
  stsTxt: Lookup;
  /** fetch: null when there was no record to act on (nothing fetched). */
  fetch: { fetch: StsFetch; body?: string } | null;
  tlsRptTxt: Lookup;
  /** tlsa: by MX host name. */
  tlsa: ReadonlyMap<string, HostTlsa>;
  /** chains: by MX host name, the first address that completed TLS. */
  chains: ReadonlyMap<string, PeerChain>;
  now?: Date;
}

export { type DaneTarget, daneReport, type HostTlsa, tlsaOf } from './dane-report.js';

/** PolicyHost: one MX host as the rules see it: its name, its chain (DaneTarget) and its TLS facts. */
export interface PolicyHost extends DaneTarget {
  /** What an MTA-STS sender learns of its TLS (see stsTlsOf); null: nothing to judge. */
  tls: StsTls | null;
}

/** PolicyFetch: the policy fetch as fetchStsPolicy returns it; null when nothing was fetched. */
export type PolicyFetch = PolicyInputs['fetch'];

/** Finding: a policy finding with the name it concerns. */
export type Finding = PolicyReport['findings'][number];

/**
 * PublishedPolicy: what a domain publishes, before any MX is judged: its MTA-STS record, fetch
 * and policy (no verdicts yet) and its TLS-RPT record, each with its findings.
 */
export interface PublishedPolicy {
  mtaSts: MtaStsReport;
  stsFindings: Finding[];
  tlsRpt: PolicyReport['tlsRpt'];
  tlsRptFindings: Finding[];
}

/** txtOf: a TXT lookup's records as lists of strings (each record's character-strings). */
export function txtOf(lookup: Lookup): string[][] {
  return lookup.records.flatMap((r) =>
    r.type === 'OTHER' && r.rrtype === 'TXT' ? [txtStrings(r.data)] : [],
  );
}

/**
 * stsTlsOf: what an MTA-STS sender would learn of a host's TLS, from the first of its addresses
 * that says anything: a completed handshake (with its PKIX facts), a refused or failed STARTTLS,
 * or an EHLO without STARTTLS. Null when no address got that far (TLS unknown).
 */
export function stsTlsOf(host: MxHost): StsTls | null {
  for (const a of host.addresses) {
    if (a.tls?.outcome === 'ok') {
      const v = a.tls.verified;
      return { offered: true, pkixValid: v?.trusted ?? false, nameMatches: v?.nameMatch ?? false };
    }
    if (a.tls?.outcome === 'failed') return { offered: true, pkixValid: false, nameMatches: false };
    if (a.tls?.outcome === 'refused')
      return { offered: false, pkixValid: false, nameMatches: false };
    if (a.hello && !a.hello.keywords.includes('STARTTLS'))
      return { offered: false, pkixValid: false, nameMatches: false };
  }
  return null;
}

/** policyReport: see the module comment. */
export function policyReport(i: PolicyInputs): PolicyReport {
  const hosts = i.hosts.map((h): PolicyHost => {
    const chain = i.chains.get(h.name);
    return {
      name: h.name,
      tls: stsTlsOf(h),
      chain: chain ? { address: chain.address, digest: digestChain(chain.der, i.now) } : null,
    };
  });
  const published = publishedPolicy(i.domain, i.stsTxt, i.fetch, i.tlsRptTxt);
  const sts = judgeSts(i.domain, published.mtaSts.policy, hosts);
  const dane = daneReport(hosts, i.tlsa);
  return {
    mtaSts: { ...published.mtaSts, verdicts: sts.verdicts },
    tlsRpt: published.tlsRpt,
    dane: dane.dane,
    adNote: AD_BIT_NOTE,
    findings: worstFirst([
      ...published.stsFindings,
      ...sts.findings,
      ...published.tlsRptFindings,
      ...dane.findings,
    ]),
  };
}

/** publishedPolicy: the `_mta-sts` record, the policy fetched for it and the `_smtp._tls` record, read. */
export function publishedPolicy(
  domain: string,
  stsTxt: Lookup,
  fetched: PolicyFetch,
  tlsRptTxt: Lookup,
): PublishedPolicy {
  const stsFindings: Finding[] = [];
  const mtaSts = stsPublished(domain, stsTxt, fetched, subjectOf(stsFindings));
  const tlsRptFindings: Finding[] = [];
  const tlsRptParsed = parseTlsRpt(txtOf(tlsRptTxt));
  subjectOf(tlsRptFindings)(`_smtp._tls.${domain}`, tlsRptParsed.findings);
  return {
    mtaSts,
    stsFindings,
    tlsRpt: { ...tlsRptParsed, lookup: tlsRptTxt.status },
    tlsRptFindings,
  };
}

const subjectOf =
  (into: Finding[]) =>
  (subject: string, list: readonly PolicyFinding[]): void => {
    for (const f of list) into.push({ ...f, subject });
  };

/** stsPublished: the record, the fetch and the policy; verdicts come with judgeSts. */
function stsPublished(
  domain: string,
  stsTxt: Lookup,
  fetched: PolicyFetch,
  add: (subject: string, list: readonly PolicyFinding[]) => void,
): MtaStsReport {
  const record = parseStsRecords(txtOf(stsTxt));
  add(`_mta-sts.${domain}`, record.findings);
  const txt = { ...record, lookup: stsTxt.status };
  const base = { txt, fetch: null, policy: null, policyFindings: [], verdicts: [] };
  if (!record.record || !fetched) return { ...base, state: 'no-record' };
  const { fetch, body } = fetched;
  if (fetch.outcome !== 'ok' || body === undefined) {
    add(fetch.url, [
      {
        id: `sts-fetch-${fetch.outcome}`,
        severity: 'high',
        message: `the _mta-sts record promises a policy, but it cannot be fetched: ${fetch.error ?? fetch.outcome}; senders without a cached policy deliver without MTA-STS`,
        ref: 'RFC 8461 §3.3',
      },
    ]);
    return { ...base, fetch, state: 'fetch-failed' };
  }
  const parsed = parseStsPolicy(body);
  add(fetch.url, parsed.findings);
  if (!parsed.policy)
    return { ...base, fetch, policyFindings: parsed.findings, state: 'invalid-policy' };
  return {
    ...base,
    fetch,
    policy: parsed.policy,
    policyFindings: parsed.findings,
    state: parsed.policy.mode,
  };
}

/**
 * judgeSts: one verdict per host under the published policy (none without one), a finding for
 * each host a sender skips or reports, and one when an enforced policy leaves no MX at all.
 */
export function judgeSts(
  domain: string,
  policy: StsPolicy | null,
  hosts: readonly PolicyHost[],
): { verdicts: StsVerdict[]; findings: Finding[] } {
  if (!policy) return { verdicts: [], findings: [] };
  const findings: Finding[] = [];
  const add = subjectOf(findings);
  const verdicts = hosts.map((h) => stsVerdict(policy, h.name, h.tls));
  for (const v of verdicts) add(v.mx, verdictFindings(v));
  if (
    policy.mode === 'enforce' &&
    verdicts.length > 0 &&
    verdicts.every((v) => v.outcome === 'skip')
  )
    add(domain, [
      {
        id: 'sts-no-usable-mx',
        severity: 'high',
        message: `every MX host fails the enforced MTA-STS policy: compliant senders queue mail for ${domain} and never deliver it`,
        ref: 'RFC 8461 §5',
      },
    ]);
  return { verdicts, findings };
}

function verdictFindings(v: StsVerdict): PolicyFinding[] {
  if (v.outcome === 'skip')
    return [
      {
        id: 'sts-mx-skipped',
        severity: 'high',
        message: `${v.reason}: senders enforcing MTA-STS do not deliver there`,
        ref: v.ref,
      },
    ];
  if (v.outcome === 'report')
    return [
      {
        id: 'sts-mx-fails-testing',
        severity: 'medium',
        message: `${v.reason}: in testing mode senders still deliver and report it; in enforce mode they would not`,
        ref: v.ref,
      },
    ];
  return [];
}

/**
 * enforcedVerdictText: the walk's verdict text, with what changes for a sender enforcing the
 * domain's MTA-STS policy when that policy skips the host the verdict names.
 */
export function enforcedVerdictText(
  text: string,
  host: string | undefined,
  report: PolicyReport,
): string {
  const sts = report.mtaSts;
  const skipped =
    sts.state === 'enforce' && sts.verdicts.some((v) => v.mx === host && v.outcome === 'skip');
  if (!skipped) return text;
  const next = sts.verdicts.find((v) => v.outcome === 'deliver')?.mx;
  const then = next
    ? `the next MX that passes the policy is ${next}`
    : 'no MX passes the policy, so it queues the mail';
  return `${text}; a sender enforcing MTA-STS skips it (${then}; failover --mta-sts replays it)`;
}
