/**
 * The audit's `mta-sts` and `dane` checks for one domain site, pure, by the rules of `mx`'s
 * policy section (policy.ts), in two steps. preparePolicy, when the window's DNS has answered:
 * everything that does not depend on the addresses is judged at once (the records, the fetch,
 * the policy, TLS-RPT, and DANE for a host without usable TLSA), so a site waiting for its
 * addresses holds a few words and the policy's MX patterns, not lookups. sitePolicy, when its
 * last address is done: the MTA-STS verdict of each MX from the first of its addresses whose
 * record says anything about STARTTLS (offered or not, the chain trusted or not, the
 * certificate's names matched against the MX name as siteFindings matches them), and DANE for
 * the rest against the chain digest the run keeps beside an address's record (never in it).
 */
import type { ChainDigest } from '../net/dane-chain.js';
import type { AuditAddress, AuditPolicy, AuditSite } from '../schema/audit.js';
import type { DaneHost, StsPolicy } from '../schema/policy.js';
import { certificateCovers } from './consistency.js';
import type { StsTls } from './mta-sts.js';
import {
  daneReport,
  type Finding,
  type HostTlsa,
  judgeSts,
  type PolicyHost,
  type PublishedPolicy,
} from './policy.js';

type SiteFinding = AuditSite['findings'][number];
type SiteHost = AuditSite['hosts'][number];

/** PreparedPolicy: a site's policy as far as it is judged before its addresses are probed; null where a check was not asked. */
export interface PreparedPolicy {
  sts: {
    state: NonNullable<AuditPolicy['mtaSts']>;
    fetch: AuditPolicy['stsFetch'];
    /** The policy MX hosts are judged by (null: none applies). */
    policy: StsPolicy | null;
    tlsRpt: boolean;
    /** The record's, the fetch's and the policy's findings; then TLS-RPT's. */
    stsFindings: SiteFinding[];
    tlsRptFindings: SiteFinding[];
  } | null;
  /** Per MX host with addresses: its DANE word when settled by DNS alone, else its TLSA to match. */
  dane:
    | {
        mx: string;
        settled?: { state: DaneHost['state']; findings: SiteFinding[] };
        tlsa?: HostTlsa;
      }[]
    | null;
}

/** SiteRecords: an address record by key, and the digest of the chain it presented while remembered. */
export interface SiteRecords {
  get: (key: string) => AuditAddress | undefined;
  chainOf: (key: string) => ChainDigest | undefined;
}

/**
 * preparePolicy: see the module comment. `published`: the mta-sts check's answers (null: not
 * asked); `tlsa`: the dane check's, by host name, one per host to judge (null: not asked).
 */
export function preparePolicy(
  published: PublishedPolicy | null,
  tlsa: ReadonlyMap<string, HostTlsa> | null,
): PreparedPolicy {
  const sts = published && {
    state: published.mtaSts.state,
    fetch: published.mtaSts.fetch?.outcome ?? null,
    policy: published.mtaSts.policy,
    tlsRpt: published.tlsRpt.record !== null,
    stsFindings: published.stsFindings.map(siteFinding),
    tlsRptFindings: published.tlsRptFindings.map(siteFinding),
  };
  const dane =
    tlsa &&
    [...tlsa].map(([mx, asked]) => {
      // Judged as if TLS had not been reached: any word but dane-no-tls is the chain's to keep.
      const r = daneReport([{ name: mx, chain: null }], new Map([[mx, asked]]));
      const state = r.dane[0]!.state;
      return state === 'dane-no-tls'
        ? { mx, tlsa: asked }
        : { mx, settled: { state, findings: r.findings.map(siteFinding) } };
    });
  return { sts, dane };
}

/**
 * sitePolicy: the compact `policy` of a site record, and the findings behind it as site findings
 * (address null, the subject they concern leading the message), in the order `mx` lists them.
 */
export function sitePolicy(
  site: Pick<AuditSite, 'target' | 'hosts'>,
  prepared: PreparedPolicy,
  records: SiteRecords,
): { policy: AuditPolicy; findings: SiteFinding[] } {
  // A host without addresses is never dialled: no sender judges it by a policy or asks its TLSA.
  const hosts = site.hosts.filter((h) => h.addresses.length > 0);
  const judged = new Map(hosts.map((h) => [h.name, policyHost(h, records)]));
  const policy: AuditPolicy = {
    mtaSts: null,
    stsFetch: null,
    stsVerdicts: [],
    tlsRpt: null,
    dane: null,
  };
  const findings: SiteFinding[] = [];
  const sts = prepared.sts;
  if (sts) {
    const judgedSts = judgeSts(site.target, sts.policy, [...judged.values()]);
    policy.mtaSts = sts.state;
    policy.stsFetch = sts.fetch;
    policy.stsVerdicts = judgedSts.verdicts.map((v) => ({ mx: v.mx, outcome: v.outcome }));
    policy.tlsRpt = sts.tlsRpt;
    findings.push(
      ...sts.stsFindings,
      ...judgedSts.findings.map(siteFinding),
      ...sts.tlsRptFindings,
    );
  }
  if (prepared.dane) {
    policy.dane = prepared.dane.map((d) => {
      if (d.settled) {
        findings.push(...d.settled.findings);
        return { mx: d.mx, state: d.settled.state };
      }
      const host = judged.get(d.mx) ?? { name: d.mx, tls: null, chain: null };
      // Without the chain of a host that did reach TLS, "no TLS" would be a false verdict.
      if (!host.chain && reachedTls(d.mx, site, records)) return { mx: d.mx, state: null };
      const r = daneReport([host], new Map([[d.mx, d.tlsa!]]));
      findings.push(...r.findings.map(siteFinding));
      return { mx: d.mx, state: r.dane[0]!.state };
    });
  }
  return { policy, findings };
}

/** policyHost: an MX host of the site as the policy rules see it. */
function policyHost(h: SiteHost, records: SiteRecords): PolicyHost {
  let chain: PolicyHost['chain'] = null;
  // The first address in the sender's order whose chain is at hand, as `mx` picks it.
  for (const key of h.addresses) {
    const digest = records.chainOf(key);
    if (!digest) continue;
    chain = { address: records.get(key)?.address ?? key, digest };
    break;
  }
  return { name: h.name, tls: stsTls(h, records.get), chain };
}

/**
 * stsTls: what an MTA-STS sender would learn of a host's TLS, from the first of its addresses
 * whose record says anything (as stsTlsOf reads an MX walk); null when none got that far.
 */
function stsTls(h: SiteHost, get: SiteRecords['get']): StsTls | null {
  for (const key of h.addresses) {
    const a = get(key);
    const t = a?.tls;
    if (!a || !t) continue;
    if (t.outcome === 'ok')
      return {
        offered: true,
        pkixValid: t.certificate?.trusted === true,
        nameMatches: certificateCovers(a, h.name) === true,
      };
    return { offered: t.outcome === 'failed', pkixValid: false, nameMatches: false };
  }
  return null;
}

function reachedTls(mx: string, site: Pick<AuditSite, 'hosts'>, records: SiteRecords): boolean {
  const h = site.hosts.find((x) => x.name === mx);
  return h?.addresses.some((k) => records.get(k)?.tls?.outcome === 'ok') ?? false;
}

/** siteFinding: a policy finding as the site lists it; the subject leads unless the message names it. */
function siteFinding(f: Finding): SiteFinding {
  const { subject, ...rest } = f;
  const message = f.message.includes(subject) ? f.message : `${subject}: ${f.message}`;
  return { ...rest, message, address: null };
}
