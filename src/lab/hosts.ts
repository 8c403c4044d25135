/**
 * The lab's host table: one row per host, whichever list it comes from —
 * the personality hosts (`esmtp.lab.test`, one per personality with an
 * address) first, then the scenario hosts (`mx1.mlfarm.test`, …). startLab
 * listens from it and zone.ts derives every A/AAAA record from it, so a name
 * and the socket behind it cannot drift apart. Pure data, checked once.
 */
import { invalidInput } from '../errors.js';
import { PERSONALITIES } from './personalities.js';
import { hostnameOf, isLoopback, type Personality } from './personality.js';
import { LAB_SCENARIOS, type LabScenario } from './scenarios.js';

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
  /** mailDomains: domains besides its name that RCPT takes mail for. */
  readonly mailDomains: readonly string[];
}

function ownHost(p: Personality & { address: string }): LabHostSpec {
  return {
    name: hostnameOf(p),
    addresses: [p.address],
    aliases: [],
    personality: p,
    scenario: null,
    description: p.description,
    mailDomains: [],
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
      mailDomains: s.mailDomains ?? [s.domain],
    };
  });
}

/**
 * labHostTable: every host of a catalogue and scenario list, checked: each
 * address loopback and used once, at most one blackhole (the Lab reports
 * one). Throws INVALID_INPUT on a broken table (LabOptions can bring their own catalogue).
 */
export function labHostTable(
  personalities: readonly Personality[] = PERSONALITIES,
  scenarios: readonly LabScenario[] = LAB_SCENARIOS,
): LabHostSpec[] {
  const byName = new Map(personalities.map((p) => [p.name, p]));
  const own = personalities
    .filter((p): p is Personality & { address: string } => p.address !== undefined)
    .map(ownHost);
  const table = [...own, ...scenarios.flatMap((s) => scenarioHosts(s, byName))];
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
