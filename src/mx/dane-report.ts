/**
 * DANE for a domain's MX hosts, pure: each host's TLSA lookup judged against the chain its
 * STARTTLS presented (src/net/dane.ts decides the word), and a finding, naming the host and the
 * RFC, for each word that says something is wrong. Part of the policy section (policy.ts) of
 * `mx`, and of the audit's `dane` check.
 */
import { daneState, parseTlsaRdata, type TlsaRecord } from '../net/dane.js';
import type { ChainDigest } from '../net/dane-chain.js';
import type { Lookup } from '../schema/dns.js';
import type { DaneHost, PolicyFinding, PolicyReport } from '../schema/policy.js';

/** HostTlsa: one MX host's TLSA question and answer. */
export interface HostTlsa {
  owner: string;
  lookup: Lookup;
}

/** DaneTarget: one MX host as DANE sees it: its name and the chain it presented (null: TLS not reached), with the address that showed it. */
export interface DaneTarget {
  name: string;
  chain: { address: string; digest: ChainDigest } | null;
}

type Finding = PolicyReport['findings'][number];

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
 * daneReport: each host's TLSA records (`tlsa`, by host name) judged against the chain its
 * STARTTLS presented, and a finding for each state worth one.
 */
export function daneReport(
  hosts: readonly DaneTarget[],
  tlsa: ReadonlyMap<string, HostTlsa>,
): { dane: DaneHost[]; findings: Finding[] } {
  const dane = hosts.map((h) => daneHost(h, tlsa.get(h.name)));
  const findings: Finding[] = [];
  for (const d of dane) {
    const severity = DANE_SEVERITY[d.state];
    if (severity) findings.push({ id: d.state, severity, ...splitRef(d.finding), subject: d.mx });
  }
  return { dane, findings };
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

/** splitRef: a DANE sentence ends with its RFC in parentheses; a finding carries it as its ref instead. */
function splitRef(finding: string): { message: string; ref: string } {
  const m = /\s*\((RFC [^)]*)\)\s*$/.exec(finding);
  return m
    ? { message: finding.slice(0, m.index), ref: m[1]! }
    : { message: finding, ref: 'RFC 7672 §2.2' };
}

/** daneHost: one host's TLSA records judged against the chain its STARTTLS presented. */
function daneHost(h: DaneTarget, asked: HostTlsa | undefined): DaneHost {
  const lookup = asked?.lookup;
  const { records, texts } = lookup ? tlsaOf(lookup) : { records: [], texts: [] };
  const status = lookup?.status ?? 'error';
  const state = daneState({
    tlsaLookupStatus:
      status === 'ok' || status === 'nodata' || status === 'nxdomain' ? status : 'error',
    authenticated: lookup?.authenticated === true,
    records,
    chain: h.chain?.digest ?? null,
    mxName: h.name,
    ...(asked ? { owner: asked.owner } : {}),
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
    address: h.chain?.address ?? null,
  };
}
