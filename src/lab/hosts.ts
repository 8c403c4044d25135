/**
 * The lab's host table: one row per host, whichever list it comes from —
 * the personality hosts (`esmtp.lab.test`, one per personality with an
 * address) first, then the scenario hosts (`mx1.mlfarm.test`, …), then the
 * audit sites' hosts when there are any (`mx-s1.sites.test`, …). startLab
 * listens from it and zone.ts derives every A/AAAA record from it, so a name
 * and the socket behind it cannot drift apart. Pure data, checked once.
 */
import { isIPv6 } from 'node:net';
import { invalidInput } from '../errors.js';
import { PERSONALITIES } from './personalities.js';
import { hostnameOf, isLoopback, type Personality } from './personality.js';
import { LAB_SCENARIOS, type LabScenario } from './scenarios.js';
import { SITES_ZONE, type SitePlan } from './sites.js';

/** LabHostSpec: one host as data (what startLab turns into a LabHost once it listens). */
export interface LabHostSpec {
  /** name: the name it answers as and the owner of its address records. */
  readonly name: string;
  /** addresses: every address it has, the first being the one to show; loopback only. */
  readonly addresses: readonly string[];
  /** aliases: more names with the same addresses (samehost.test's a. and b.). */
  readonly aliases: readonly string[];
  readonly personality: Personality;
  /** scenario: the LAB_SCENARIOS domain it was made for; null for a personality's own host. */
  readonly scenario: string | null;
  readonly description: string;
  /** mailDomains: domains besides its name that RCPT takes mail for, its address literals (`[127.0.0.10]`) included. */
  readonly mailDomains: readonly string[];
  /**
   * certificateName: the only name on its certificate: one shared by every
   * host that has the same one (`*.sites.test`), or a name other than the
   * host's (sts-badcert.test); absent: a certificate of its own, naming the
   * host, its aliases and its addresses.
   */
  readonly certificateName?: string;
  /** tlsa, signed: its DANE record and whether its records count as DNSSEC-signed (ScenarioHost says how). */
  readonly tlsa?: 'leaf' | 'other';
  readonly signed?: boolean;
}

/** SITES_CERTIFICATE_NAME: the wildcard every site host's certificate names (RFC 6125 §6.4.3: it covers one label). */
export const SITES_CERTIFICATE_NAME = `*.${SITES_ZONE}`;

/** literal: an address as an RFC 5321 §4.1.3 address literal (`[127.0.0.10]`, `[IPv6:::1]`). */
export function literal(address: string): string {
  return isIPv6(address) ? `[IPv6:${address}]` : `[${address}]`;
}

// A host takes mail for its own address literals, as Postfix does for the addresses it listens on.
const withLiterals = (domains: readonly string[], addresses: readonly string[]): string[] => [
  ...domains,
  ...addresses.map(literal),
];

function ownHost(p: Personality & { address: string }): LabHostSpec {
  return {
    name: hostnameOf(p),
    addresses: [p.address],
    aliases: [],
    personality: p,
    scenario: null,
    description: p.description,
    mailDomains: withLiterals([], [p.address]),
  };
}

function scenarioHosts(s: LabScenario, byName: Map<string, Personality>): LabHostSpec[] {
  return s.hosts.map((h) => {
    const p = byName.get(h.personality);
    if (!p)
      throw invalidInput(
        `lab scenario ${s.domain}: host ${h.name} plays an unknown personality ${h.personality}`,
      );
    const description = `${s.domain}: ${h.role}`;
    return {
      name: h.name,
      addresses: h.addresses,
      aliases: h.aliases ?? [],
      personality: p,
      scenario: s.domain,
      description,
      mailDomains: withLiterals(s.mailDomains ?? [s.domain], h.addresses),
      ...(h.certificateName ? { certificateName: h.certificateName } : {}),
      ...(h.tlsa ? { tlsa: h.tlsa } : {}),
      ...(h.signed ? { signed: true } : {}),
    };
  });
}

function siteHosts(plan: SitePlan, byName: Map<string, Personality>): LabHostSpec[] {
  return plan.hosts.map((h) => {
    const p = byName.get(h.personality);
    if (!p)
      throw invalidInput(`lab site host ${h.name} plays an unknown personality ${h.personality}`);
    return {
      name: h.name,
      addresses: [h.address],
      aliases: [],
      personality: p,
      scenario: SITES_ZONE,
      description: `${SITES_ZONE}: ${h.role}`,
      mailDomains: withLiterals(h.mailDomains, [h.address]),
      certificateName: SITES_CERTIFICATE_NAME,
    };
  });
}

/**
 * labHostTable: every host of a catalogue, scenario list and site plan
 * (sites.ts), checked: each address loopback and used once, at most one
 * blackhole (the Lab reports one). Site hosts have `scenario` SITES_ZONE.
 * Throws INVALID_INPUT on a broken table (LabOptions can bring their own catalogue).
 */
export function labHostTable(
  personalities: readonly Personality[] = PERSONALITIES,
  scenarios: readonly LabScenario[] = LAB_SCENARIOS,
  sites?: SitePlan,
): LabHostSpec[] {
  const byName = new Map(personalities.map((p) => [p.name, p]));
  const own = personalities
    .filter((p): p is Personality & { address: string } => p.address !== undefined)
    .map(ownHost);
  const table = [
    ...own,
    ...scenarios.flatMap((s) => scenarioHosts(s, byName)),
    ...(sites ? siteHosts(sites, byName) : []),
  ];
  const seen = new Map<string, string>();
  for (const h of table) {
    for (const a of h.addresses) {
      // The lab must never listen where another machine could reach it.
      if (!isLoopback(a))
        throw invalidInput(
          `lab host ${h.name}: ${a} is not a loopback address (127.0.0.0/8 or ::1)`,
        );
      if (seen.has(a))
        throw invalidInput(`lab hosts ${seen.get(a)} and ${h.name} share the address ${a}`);
      seen.set(a, h.name);
    }
  }
  if (table.filter((h) => h.personality.listen === 'blackhole').length > 1)
    throw invalidInput('the lab supports one blackhole host');
  return table;
}

/** LAB_HOSTS: the default host table (PERSONALITIES and LAB_SCENARIOS). */
export const LAB_HOSTS: readonly LabHostSpec[] = Object.freeze(labHostTable());
