/**
 * The policy half of an MX walk: while the hosts are probed, ask what the domain publishes about
 * transport security — the `_mta-sts` and `_smtp._tls` TXT records, the MTA-STS policy file
 * (fetched with undici from mta-sts.<domain>, resolved by the walk's resolver), and TLSA at
 * `_<port>._tcp.<host>` for each MX host — all at once, and judge them against what the probes
 * saw (src/mx/policy.ts) once they are done. Every query joins the walk's DNS trace. The audit asks the same
 * questions (askPolicy) for its `mta-sts` and `dane` checks.
 */
import { dnsAddressResolver } from '../dns/addresses.js';
import type { Resolver } from '../dns/resolver.js';
import {
  type HostTlsa,
  type PeerChain,
  type PolicyFetch,
  policyReport,
  txtOf,
} from '../mx/policy.js';
import { parseStsRecords } from '../mx/mta-sts.js';
import { fetchStsPolicy } from '../net/mta-sts-fetch.js';
import type { TrustStore } from '../net/tls.js';
import type { Lookup } from '../schema/dns.js';
import type { MxHost, MxResult } from '../schema/mx.js';
import type { PolicyReport } from '../schema/policy.js';
import type { Deadline } from '../time/deadline.js';

/** AskOptions: what the policy questions need: the SMTP port, the policy host's port, trust, budget. */
export interface AskOptions {
  port: number;
  mtaStsPort?: number;
  trust: TrustStore;
  deadline: Deadline;
}

/** StsAsked: the `_mta-sts` record, the policy fetched for it (null: no valid record, nothing fetched), the `_smtp._tls` record. */
export interface StsAsked {
  stsTxt: Lookup;
  fetch: PolicyFetch;
  tlsRptTxt: Lookup;
}

/** PolicyAsked: every policy question of a walk, answered: what policyReport needs but the chains. */
export type PolicyAsked = StsAsked & {
  domain: string;
  hosts: MxHost[];
  tlsa: Map<string, HostTlsa>;
};

/**
 * askPolicy: the walk's policy questions, all at once. They need only DNS and HTTPS, not the
 * probes, so `mx` asks them while its addresses are probed. Rejects only when the run is cancelled.
 */
export async function askPolicy(
  walk: MxResult,
  resolver: Resolver,
  o: AskOptions,
): Promise<PolicyAsked> {
  const domain = walk.domain.ascii;
  // A host without addresses is never dialled: no sender asks its TLSA or judges it by a policy.
  const hosts = walk.hosts.filter((h) => h.addresses.length > 0);
  const [sts, tlsa] = await Promise.all([
    askSts(domain, resolver, o),
    askTlsa(hosts, resolver, o.port),
  ]);
  return { domain, hosts, ...sts, tlsa };
}

/**
 * judgePolicy: the asked questions against the chains the probes saw. The hosts are the walk's
 * own (probed by now), not the copies taken when asking.
 */
export function judgePolicy(
  asked: PolicyAsked,
  walk: MxResult,
  chains: ReadonlyMap<string, PeerChain>,
): PolicyReport {
  const names = new Set(asked.hosts.map((h) => h.name));
  return policyReport({ ...asked, hosts: walk.hosts.filter((h) => names.has(h.name)), chains });
}

/**
 * askSts: the `_mta-sts` and `_smtp._tls` TXT records and, for a valid `_mta-sts` record only,
 * the policy file. Rejects only when the run is cancelled.
 */
export async function askSts(
  domain: string,
  resolver: Resolver,
  o: Omit<AskOptions, 'port'>,
): Promise<StsAsked> {
  const mtaSts = (async () => {
    const stsTxt = await resolver.lookup(`_mta-sts.${domain}`, 'TXT');
    // A sender fetches only for a valid record (RFC 8461 §3.3); so do we.
    if (!parseStsRecords(txtOf(stsTxt)).record) return { stsTxt, fetch: null };
    const fetch = await fetchStsPolicy(domain, {
      resolveAddresses: dnsAddressResolver(resolver),
      trust: o.trust,
      ...(o.mtaStsPort === undefined ? {} : { port: o.mtaStsPort }),
      signal: o.deadline.signal,
      clock: o.deadline.clock,
    });
    return { stsTxt, fetch };
  })();
  const [sts, tlsRptTxt] = await Promise.all([
    mtaSts,
    resolver.lookup(`_smtp._tls.${domain}`, 'TXT'),
  ]);
  return { ...sts, tlsRptTxt };
}

/** askTlsa: each host's TLSA question and answer, by host name. */
export async function askTlsa(
  hosts: readonly Pick<MxHost, 'name' | 'lookups'>[],
  resolver: Resolver,
  port: number,
): Promise<Map<string, HostTlsa>> {
  const asked = await Promise.all(hosts.map((h) => tlsaQuestion(h, resolver, port)));
  return new Map(hosts.map((h, i) => [h.name, asked[i]!]));
}

/**
 * tlsaQuestion: the TLSA question for one MX host. RFC 7672 §2.2.2: when the host name is an alias
 * and the chain to its address was DNSSEC-validated, the TLSA base is the expanded name; else
 * the name as the MX record gives it.
 */
async function tlsaQuestion(
  host: Pick<MxHost, 'name' | 'lookups'>,
  resolver: Resolver,
  port: number,
): Promise<HostTlsa> {
  const chain = host.lookups.a.cnameChain.length ? host.lookups.a : host.lookups.aaaa;
  const base =
    chain.cnameChain.length > 0 && chain.authenticated ? chain.cnameChain.at(-1)! : host.name;
  const owner = `_${port}._tcp.${base}`;
  return { owner, lookup: await resolver.lookup(owner, 'TLSA') };
}
