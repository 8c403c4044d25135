/**
 * What startLab needs for the audit sites (sites.ts) beyond the host table:
 * the file-descriptor budget their listening sockets take, the two
 * certificates to make before the first client comes, and the `sites` part of
 * a running Lab.
 */
import { readFileSync } from 'node:fs';
import { invalidInput } from '../errors.js';
import type { LabHostSpec } from './hosts.js';
import { SITES_ZONE, type SiteDomain, type SitePlan } from './sites.js';

/**
 * FD_HEADROOM: descriptors left for everything but the listening sockets —
 * Node's own, the DNS server, the blackhole, and the connections clients make
 * (an audit at 1,000 hosts/s keeps a few hundred open).
 */
export const FD_HEADROOM = 512;

/** LabSiteHost: one site host of a running lab (what LabHost says of any host). */
export interface LabSiteHost {
  /** name: `mx-s7.sites.test`, `backup-s17.sites.test`, `provider1.sites.test`. */
  name: string;
  address: string;
  addresses: string[];
  port: number;
  /** personality: `site`, `site-vrfy-open`, … (SITE_PERSONALITIES). */
  personality: string;
  description: string;
  /** listening: false for `site-refused` hosts (a connect gets RST). */
  listening: boolean;
  /** scenario: always `sites.test`. */
  scenario: string;
}

/** LabSites: the audit sites of a running lab (empty lists and count 0 without `sites`). */
export interface LabSites {
  /** count: how many site domains run (LabOptions.sites). */
  count: number;
  /** zone: the parent of every site name, `sites.test`. */
  zone: string;
  /** domains: each domain as data (siteDomain): what its MX 10 plays, its layout, its MX records. */
  domains: readonly SiteDomain[];
  /** hosts: every site host, in host-table order. */
  hosts: readonly LabSiteHost[];
}

/** openFileLimit: the soft limit on open files (`ulimit -n`) from /proc (Linux); undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * checkDescriptors: throws INVALID_INPUT, before anything listens, when `listeners` sockets
 * plus FD_HEADROOM would not fit under the soft open-file limit. Node cannot raise the limit
 * itself (it has no setrlimit), so the message says how: `ulimit -n` up to the hard limit.
 */
export function checkDescriptors(listeners: number, sites: number, limit = openFileLimit()): void {
  const need = listeners + FD_HEADROOM;
  if (limit === undefined || need <= limit) return;
  throw invalidInput(
    `${sites} lab sites need about ${need} open files (one listening socket per SMTP host plus ${FD_HEADROOM} for connections), but the limit is ${limit}: raise it first (\`ulimit -n ${Math.max(need, 65536)}\`, up to \`ulimit -Hn\`) or run fewer sites`,
  );
}

/**
 * certificateHosts: one site host per certificate the sites use (the wildcard, the expired
 * wildcard), so startLab makes both before a client arrives; none without sites.
 */
export function certificateHosts(hosts: readonly LabHostSpec[]): LabHostSpec[] {
  const seen = new Set<boolean>();
  const out: LabHostSpec[] = [];
  for (const h of hosts) {
    const expired = h.personality.expiredCertificate === true;
    if (!h.personality.starttls || seen.has(expired)) continue;
    seen.add(expired);
    out.push(h);
    if (seen.size === 2) break;
  }
  return out;
}

/** labSites: the `sites` of a running lab, from the plan and its host specs. */
export function labSites(
  plan: SitePlan,
  specs: readonly LabHostSpec[],
  port: number,
  serves: (h: LabHostSpec) => boolean,
): LabSites {
  return {
    count: plan.count,
    zone: SITES_ZONE,
    domains: plan.domains,
    hosts: specs.map((h) => ({
      name: h.name,
      address: h.addresses[0]!,
      addresses: [...h.addresses],
      port,
      personality: h.personality.name,
      description: h.description,
      listening: serves(h),
      scenario: SITES_ZONE,
    })),
  };
}
