/**
 * The audit sites: `startLab({ sites: N })` adds N mail domains, `s1.sites.test` …
 * `sN.sites.test`, for `smtp-probe audit`'s tests and benchmarks. Everything here is a pure
 * function of N, so a test or a benchmark can name the domains (siteDomains) without asking a
 * running lab. Domain K plays slot (K-1) mod 20 of SITE_MIX: most have a host of their own,
 * some share a hosting provider's host, some have a backup MX that takes any local part
 * (backscatter), and one in twenty each has an exposure an audit should find. Host names are
 * one label under sites.test (`mx-s7.sites.test`), so one wildcard certificate names them all.
 */
import { invalidInput } from '../errors.js';
import { RECORD_TTL_S } from './scenarios.js';
import type { ZoneRecord } from './zone-record.js';

/** SITES_ZONE: the parent of every site domain and site host name. */
export const SITES_ZONE = 'sites.test';
/** MAX_SITES: the most sites a lab runs (about 17,200 hosts, each a listening socket: see docs/lab.md on `ulimit -n`). */
export const MAX_SITES = 20_000;
/** PROVIDER_SPAN: consecutive domains per hosting provider; its host serves the provider-hosted ones among them (20 of 100). */
export const PROVIDER_SPAN = 100;

/**
 * SiteLayout: how a domain's MX records look. `own`: MX 10 at a host of its own; `provider`:
 * MX 10 at a provider's host shared with other domains; `backup`: MX 10 at its own host and
 * MX 20 at a backup host that accepts any local part of the domain.
 */
export type SiteLayout = 'own' | 'provider' | 'backup';

/** SiteSlot: one twentieth of the mix: what the domain's MX 10 plays and its layout. */
export interface SiteSlot {
  readonly personality: string;
  readonly layout: SiteLayout;
}

const slot = (personality: string, layout: SiteLayout = 'own'): SiteSlot => ({
  personality,
  layout,
});

/**
 * SITE_MIX: domain K plays SITE_MIX[(K-1) % 20]. 60% are well-configured (`site`: 35% on a
 * host of their own, 20% at a provider, 5% with a backup MX), and each exposure takes 5%. The
 * kinds alternate with plain ones, so the first 20 domains hold every kind.
 */
export const SITE_MIX: readonly SiteSlot[] = Object.freeze([
  slot('site'),
  slot('site-vrfy-open'),
  slot('site', 'provider'),
  slot('site-vrfy-252'),
  slot('site'),
  slot('site-expn-open'),
  slot('site', 'provider'),
  slot('site-no-tls'),
  slot('site'),
  slot('site-expired-cert'),
  slot('site', 'provider'),
  slot('site-open-relay'),
  slot('site'),
  slot('site-refused'),
  slot('site', 'provider'),
  slot('site-mute'),
  slot('site', 'backup'),
  slot('site'),
  slot('site'),
  slot('site'),
]);

/** SiteMx: one MX record of a site domain. */
export interface SiteMx {
  readonly preference: number;
  readonly host: string;
}

/** SiteDomain: one site domain as data: its number K, what its MX 10 plays, its layout and MX records. */
export interface SiteDomain {
  readonly domain: string;
  readonly index: number;
  readonly personality: string;
  readonly layout: SiteLayout;
  readonly mx: readonly SiteMx[];
}

/** SiteHostPlan: one site host: name, address, personality, the domains it takes mail for, its role. */
export interface SiteHostPlan {
  readonly name: string;
  readonly address: string;
  readonly personality: string;
  readonly mailDomains: readonly string[];
  readonly role: string;
}

/** SitePlan: everything N sites add to a lab: the domains, the hosts, and the MX records (address records come from the hosts). */
export interface SitePlan {
  readonly count: number;
  readonly domains: readonly SiteDomain[];
  readonly hosts: readonly SiteHostPlan[];
  readonly records: readonly ZoneRecord[];
}

/** checkSiteCount: `n` if it is a whole number from 0 to MAX_SITES, else INVALID_INPUT. */
export function checkSiteCount(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_SITES)
    throw invalidInput(`lab sites ${n} is not a whole number from 0 to ${MAX_SITES}`);
  return n;
}

/** siteDomains: the N site domains in order, `s1.sites.test` … `sN.sites.test`; pure, the same for every lab. */
export function siteDomains(n: number): string[] {
  checkSiteCount(n);
  return Array.from({ length: n }, (_, i) => `s${i + 1}.${SITES_ZONE}`);
}

// Each range is a /16 of its own; a last octet of 0 or 255 is skipped (they read as network and broadcast addresses).
const RANGES = { own: 1, backup: 2, provider: 3 } as const;
const PER_RANGE = 256 * 254;

/**
 * siteAddress: the `n`th address (from 1) of a range: own hosts in 127.1.0.0/16, backup hosts
 * in 127.2.0.0/16, provider hosts in 127.3.0.0/16; domain K's own host is always the Kth own
 * address (127.1.0.1 for s1, 127.1.1.1 for s255).
 */
export function siteAddress(range: keyof typeof RANGES, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > PER_RANGE)
    throw invalidInput(`site address ${n} is outside 1-${PER_RANGE}`);
  const i = n - 1;
  return `127.${RANGES[range]}.${Math.floor(i / 254)}.${(i % 254) + 1}`;
}

/** siteDomain: domain K (from 1) as data, without its neighbours. */
export function siteDomain(k: number): SiteDomain {
  const { personality, layout } = SITE_MIX[(k - 1) % SITE_MIX.length]!;
  const domain = `s${k}.${SITES_ZONE}`;
  const primary =
    layout === 'provider'
      ? `provider${Math.ceil(k / PROVIDER_SPAN)}.${SITES_ZONE}`
      : `mx-s${k}.${SITES_ZONE}`;
  const mx: SiteMx[] = [{ preference: 10, host: primary }];
  if (layout === 'backup') mx.push({ preference: 20, host: `backup-s${k}.${SITES_ZONE}` });
  return { domain, index: k, personality, layout, mx };
}

// How many domains one provider host serves at most.
const PROVIDER_DOMAINS =
  (SITE_MIX.filter((s) => s.layout === 'provider').length * PROVIDER_SPAN) / SITE_MIX.length;

const mxRecord = (name: string, m: SiteMx): ZoneRecord => ({
  name,
  type: 'MX',
  ttl: RECORD_TTL_S,
  data: { preference: m.preference, exchange: m.host },
});

/** ownHosts: the hosts domain `d` brings (none for a provider-hosted domain). */
function ownHosts(d: SiteDomain): SiteHostPlan[] {
  if (d.layout === 'provider') return [];
  const primary: SiteHostPlan = {
    name: d.mx[0]!.host,
    address: siteAddress('own', d.index),
    personality: d.personality,
    mailDomains: [d.domain],
    role: `MX 10 of ${d.domain}`,
  };
  if (d.layout === 'own') return [primary];
  return [
    { ...primary, role: `MX 10 of ${d.domain} (rejects unknown users; its MX 20 does not)` },
    {
      name: d.mx[1]!.host,
      address: siteAddress('backup', d.index),
      personality: 'site-backup',
      mailDomains: [d.domain],
      role: `MX 20 of ${d.domain}: accepts any local part (backscatter)`,
    },
  ];
}

/**
 * planSites: the domains, hosts and MX records of N sites. Hosts come in domain order, a
 * provider's host where its first domain is; a provider takes mail for each of its domains.
 */
export function planSites(n: number): SitePlan {
  checkSiteCount(n);
  const domains: SiteDomain[] = [];
  const hosts: SiteHostPlan[] = [];
  const records: ZoneRecord[] = [];
  const providers = new Map<string, string[]>();
  for (let k = 1; k <= n; k++) {
    const d = siteDomain(k);
    domains.push(d);
    for (const m of d.mx) records.push(mxRecord(d.domain, m));
    if (d.layout !== 'provider') {
      hosts.push(...ownHosts(d));
      continue;
    }
    const name = d.mx[0]!.host;
    const served = providers.get(name);
    if (served) {
      served.push(d.domain);
      continue;
    }
    const mine = [d.domain];
    providers.set(name, mine);
    hosts.push({
      name,
      address: siteAddress('provider', Math.ceil(k / PROVIDER_SPAN)),
      personality: 'site',
      mailDomains: mine,
      role: `a hosting provider: MX 10 of up to ${PROVIDER_DOMAINS} domains`,
    });
  }
  return { count: n, domains, hosts, records };
}
