/**
 * The policy half of an MX walk: after the hosts are probed, ask what the domain publishes about
 * transport security — the `_mta-sts` and `_smtp._tls` TXT records, the MTA-STS policy file
 * (fetched with undici from mta-sts.<domain>, resolved by the walk's resolver), and TLSA at
 * `_<port>._tcp.<host>` for each MX host — all at once, and judge them against what the probes
 * saw (src/mx/policy.ts). Every query joins the walk's DNS trace. The audit asks the same
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

/** PolicyProbeOptions: the SMTP port (it names the TLSA owner), where the policy host listens, trust, budget, and the chains seen. */
export interface PolicyProbeOptions extends AskOptions {
  /** chains: by MX host name, the chain its first TLS-speaking address presented. */
  chains: ReadonlyMap<string, PeerChain>;
}

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

/** probePolicy: see the module comment. Rejects only when the run is cancelled. */
export async function probePolicy(
  walk: MxResult,
  resolver: Resolver,
  o: PolicyProbeOptions,
): Promise<PolicyReport> {
  const domain = walk.domain.ascii;
  // A host without addresses is never dialled: no sender asks its TLSA or judges it by a policy.
  const dialled = walk.hosts.filter((h) => h.addresses.length > 0);
  const [sts, tlsa] = await Promise.all([
    askSts(domain, resolver, o),
    askTlsa(dialled, resolver, o.port),
  ]);
  return policyReport({ domain, hosts: dialled, ...sts, tlsa, chains: o.chains });
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
  const asked = await Promise.all(hosts.map((h) => tlsaOf(h, resolver, port)));
  return new Map(hosts.map((h, i) => [h.name, asked[i]!]));
}

/**
 * tlsaOf: the TLSA question for one MX host. RFC 7672 §2.2.2: when the host name is an alias
 * and the chain to its address was DNSSEC-validated, the TLSA base is the expanded name; else
 * the name as the MX record gives it.
 */
async function tlsaOf(
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
