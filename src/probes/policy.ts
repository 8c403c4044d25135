/**
 * The policy half of an MX walk: after the hosts are probed, ask what the domain publishes about
 * transport security — the `_mta-sts` and `_smtp._tls` TXT records, the MTA-STS policy file
 * (fetched with undici from mta-sts.<domain>, resolved by the walk's resolver), and TLSA at
 * `_<port>._tcp.<host>` for each MX host — all at once, and judge them against what the probes
 * saw (src/mx/policy.ts). Every query joins the walk's DNS trace.
 */
import { dnsAddressResolver } from '../dns/addresses.js';
import type { Resolver } from '../dns/resolver.js';
import { type HostTlsa, type PeerChain, policyReport, txtOf } from '../mx/policy.js';
import { parseStsRecords } from '../mx/mta-sts.js';
import { fetchStsPolicy } from '../net/mta-sts-fetch.js';
import type { TrustStore } from '../net/tls.js';
import type { MxResult } from '../schema/mx.js';
import type { PolicyReport } from '../schema/policy.js';
import type { Deadline } from '../time/deadline.js';

/** PolicyProbeOptions: the SMTP port (it names the TLSA owner), where the policy host listens, trust, budget, and the chains seen. */
export interface PolicyProbeOptions {
  port: number;
  mtaStsPort?: number;
  trust: TrustStore;
  deadline: Deadline;
  /** chains: by MX host name, the chain its first TLS-speaking address presented. */
  chains: ReadonlyMap<string, PeerChain>;
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
  const [sts, tlsRptTxt, tlsa] = await Promise.all([
    mtaSts,
    resolver.lookup(`_smtp._tls.${domain}`, 'TXT'),
    Promise.all(dialled.map((h) => tlsaOf(h, resolver, o.port))),
  ]);
  return policyReport({
    domain,
    hosts: dialled,
    ...sts,
    tlsRptTxt,
    tlsa: new Map(dialled.map((h, i) => [h.name, tlsa[i]!])),
    chains: o.chains,
  });
}

/**
 * tlsaOf: the TLSA question for one MX host. RFC 7672 §2.2.2: when the host name is an alias
 * and the chain to its address was DNSSEC-validated, the TLSA base is the expanded name; else
 * the name as the MX record gives it.
 */
async function tlsaOf(
  host: MxResult['hosts'][number],
  resolver: Resolver,
  port: number,
): Promise<HostTlsa> {
  const chain = host.lookups.a.cnameChain.length ? host.lookups.a : host.lookups.aaaa;
  const base =
    chain.cnameChain.length > 0 && chain.authenticated ? chain.cnameChain.at(-1)! : host.name;
  const owner = `_${port}._tcp.${base}`;
  return { owner, lookup: await resolver.lookup(owner, 'TLSA') };
}
