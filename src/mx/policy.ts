/**
 * A domain's transport-security policies against its measured MX hosts, pure: the `_mta-sts`
 * and `_smtp._tls` TXT lookups, the fetched MTA-STS policy, each host's TLSA lookup and the
 * certificate chain its STARTTLS showed, in; the policy section of `mx`, with one finding list
 * (worst first, each naming its subject and RFC), out. The probe (src/probes/policy.ts) does the
 * asking; everything decided here can be tested from values.
 */
import { txtStrings } from '../dns/records.js';
import { AD_BIT_NOTE, daneState, parseTlsaRdata, type TlsaRecord } from '../net/dane.js';
import type { Lookup } from '../schema/dns.js';
import type { MxHost } from '../schema/mx.js';
import type {
  DaneHost,
  MtaStsReport,
  PolicyFinding,
  PolicyReport,
  StsFetch,
  StsVerdict,
} from '../schema/policy.js';
import { worstFirst } from './consistency.js';
import { parseStsPolicy, parseStsRecords, type StsTls, stsVerdict } from './mta-sts.js';
import { parseTlsRpt } from './tls-rpt.js';

/** HostTlsa: one MX host's TLSA question and answer. */
export interface HostTlsa {
  owner: string;
  lookup: Lookup;
}

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

type Finding = PolicyReport['findings'][number];

/** txtOf: a TXT lookup's records as lists of strings (each record's character-strings). */
export function txtOf(lookup: Lookup): string[][] {
  return lookup.records.flatMap((r) =>
    r.type === 'OTHER' && r.rrtype === 'TXT' ? [txtStrings(r.data)] : [],
  );
}

/** tlsaOf: a TLSA lookup's records, parsed from their presentation text ("3 1 1 hex"). */
export function tlsaOf(lookup: Lookup): { records: TlsaRecord[]; texts: string[] } {
  const texts: string[] = [];
  const records: TlsaRecord[] = [];
  for (const r of lookup.records) {
    if (r.type !== 'OTHER' || r.rrtype !== 'TLSA') continue;
    texts.push(r.data);
    const m = /^(\d+) (\d+) (\d+) ([0-9a-f]*)$/i.exec(r.data);
    if (!m) continue;
    const rdata = Buffer.concat([
      Buffer.from([Number(m[1]), Number(m[2]), Number(m[3])]),
      Buffer.from(m[4]!, 'hex'),
    ]);
    const parsed = parseTlsaRdata(rdata);
    if (parsed.ok) records.push(parsed.record);
  }
  return { records, texts };
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
  const findings: Finding[] = [];
  const add = (subject: string, list: readonly PolicyFinding[]): void => {
    for (const f of list) findings.push({ ...f, subject });
  };
  const mtaSts = mtaStsReport(i, add);
  const tlsRptParsed = parseTlsRpt(txtOf(i.tlsRptTxt));
  add(`_smtp._tls.${i.domain}`, tlsRptParsed.findings);
  const dane = i.hosts.map((h) => daneHost(h, i));
  for (const d of dane) {
    const severity = DANE_SEVERITY[d.state];
    if (severity) add(d.mx, [{ id: d.state, severity, message: d.finding, ref: daneRef(d) }]);
  }
  return {
    mtaSts,
    tlsRpt: { ...tlsRptParsed, lookup: i.tlsRptTxt.status },
    dane,
    adNote: AD_BIT_NOTE,
    findings: worstFirst(findings),
  };
}

// The DANE states worth a finding, and how much each matters to mail flow; no-tlsa and
// dane-valid are the normal cases and say nothing wrong.
const DANE_SEVERITY: Partial<Record<DaneHost['state'], PolicyFinding['severity']>> = {
  'dane-mismatch': 'high',
  'dane-no-tls': 'high',
  'tlsa-lookup-failed': 'medium',
  'no-usable-tlsa': 'low',
  'tlsa-without-dnssec': 'low',
};

function daneRef(d: DaneHost): string {
  return /\((RFC [^)]*)\)\s*$/.exec(d.finding)?.[1] ?? 'RFC 7672 §2.2';
}

/** mtaStsReport: the record, the fetch, the policy and one verdict per MX host. */
function mtaStsReport(
  i: PolicyInputs,
  add: (subject: string, list: readonly PolicyFinding[]) => void,
): MtaStsReport {
  const record = parseStsRecords(txtOf(i.stsTxt));
  add(`_mta-sts.${i.domain}`, record.findings);
  const txt = { ...record, lookup: i.stsTxt.status };
  const base = { txt, fetch: null, policy: null, policyFindings: [], verdicts: [] };
  if (!record.record || !i.fetch) return { ...base, state: 'no-record' };
  const { fetch, body } = i.fetch;
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
  const policy = parsed.policy;
  const verdicts = i.hosts.map((h) => stsVerdict(policy, h.name, stsTlsOf(h)));
  for (const v of verdicts) add(v.mx, verdictFindings(v));
  if (
    policy.mode === 'enforce' &&
    verdicts.length > 0 &&
    verdicts.every((v) => v.outcome === 'skip')
  )
    add(i.domain, [
      {
        id: 'sts-no-usable-mx',
        severity: 'high',
        message: `every MX host fails the enforced MTA-STS policy: compliant senders queue mail for ${i.domain} and never deliver it`,
        ref: 'RFC 8461 §5',
      },
    ]);
  return { txt, fetch, policy, policyFindings: parsed.findings, verdicts, state: policy.mode };
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

/** daneHost: one host's TLSA records judged against the chain its STARTTLS presented. */
function daneHost(h: MxHost, i: PolicyInputs): DaneHost {
  const asked = i.tlsa.get(h.name);
  const chain = i.chains.get(h.name) ?? null;
  const lookup = asked?.lookup;
  const { records, texts } = lookup ? tlsaOf(lookup) : { records: [], texts: [] };
  const status = lookup?.status ?? 'error';
  const state = daneState({
    tlsaLookupStatus:
      status === 'ok' || status === 'nodata' || status === 'nxdomain' ? status : 'error',
    authenticated: lookup?.authenticated === true,
    records,
    chainDer: chain?.der ?? null,
    mxName: h.name,
    ...(asked ? { owner: asked.owner } : {}),
    ...(i.now ? { now: i.now } : {}),
  });
  return {
    mx: h.name,
    owner: asked?.owner ?? '',
    lookup: status,
    authenticated: lookup?.authenticated === true,
    records: texts,
    state: state.state,
    finding: state.finding,
    ...(state.match?.matched ? { matched: state.match.matched } : {}),
    reasons: state.match?.reasons ?? [],
    address: chain?.address ?? null,
  };
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
