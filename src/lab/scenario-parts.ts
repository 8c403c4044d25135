/**
 * What a lab scenario is made of (scenarios.ts, policy-scenarios.ts): its
 * hosts, its records and, for the transport-security scenarios, the MTA-STS
 * policy its HTTPS host serves. Types and record makers only; pure data.
 */
import type { ZoneRecord } from './zone-record.js';

/** ScenarioHost: one host a scenario needs: its name, addresses, and the personality it plays. */
export interface ScenarioHost {
  /** name: what it greets as, and the owner of its A/AAAA records. */
  readonly name: string;
  /** addresses: loopback only; several make several A (or AAAA) records. */
  readonly addresses: readonly string[];
  /** personality: `mx` (answers well), `closed` (connect refused), `blackhole` (connect times out). */
  readonly personality: string;
  /** aliases: more names with A/AAAA records for the same addresses (and in its certificate). */
  readonly aliases?: readonly string[];
  /** role: one line: what this host is for in its scenario. */
  readonly role: string;
  /** certificateName: the only name its certificate carries (no aliases, no IP), for a certificate that does not name the host. */
  readonly certificateName?: string;
  /**
   * tlsa: publish a DANE-EE record `3 1 1` at `_<port>._tcp.<name>` (RFC 7672
   * §3.1.1): `leaf` the SHA-256 of the SPKI its certificate carries (it
   * matches), `other` 32 random octets (a stale record: it does not).
   */
  readonly tlsa?: 'leaf' | 'other';
  /** signed: its address and TLSA records get AD=1 when the query asks (DNSSEC simulated, see dns-answer.ts). */
  readonly signed?: boolean;
}

/**
 * PolicyResponse: what `https://mta-sts.<domain>/.well-known/mta-sts.txt`
 * answers (RFC 8461 §3.3), as data: a good policy, or one of the ways a
 * fetch goes wrong.
 */
export interface PolicyResponse {
  readonly status: number;
  /** contentType: the Content-Type header (RFC 8461 §3.3 requires text/plain). */
  readonly contentType: string;
  readonly body: string;
  /** location: the Location header of a redirect (which RFC 8461 §3.3 says not to follow). */
  readonly location?: string;
  /** chunked: sent in chunks without Content-Length, so only a client that counts octets notices a body too big. */
  readonly chunked?: boolean;
}

/** LabScenario: one mail domain to walk, what it demonstrates, its hosts and its non-address records. */
export interface LabScenario {
  /** domain: what to give the MX walk. */
  readonly domain: string;
  /** description: one line for people (the README, `smtp-probe lab`). */
  readonly description: string;
  readonly hosts: readonly ScenarioHost[];
  /** records: MX, CNAME and TXT records; never addresses (those come from `hosts`) nor TLSA (made at start). */
  readonly records: readonly ZoneRecord[];
  /** mailDomains: the domains its hosts take mail for (RCPT); default [domain]. */
  readonly mailDomains?: readonly string[];
  /** policy: what the lab's HTTPS server answers for `mta-sts.<domain>` (which then has an A record); absent: no such host. */
  readonly policy?: PolicyResponse;
}

/** RECORD_TTL_S: the TTL of every lab record but the SOA; the lab never changes while it runs, so any value works. */
export const RECORD_TTL_S = 300;

/** mx: an MX record. */
export const mx = (name: string, preference: number, exchange: string): ZoneRecord => ({
  name,
  type: 'MX',
  ttl: RECORD_TTL_S,
  data: { preference, exchange },
});

/** cname: a CNAME record. */
export const cname = (name: string, target: string): ZoneRecord => ({
  name,
  type: 'CNAME',
  ttl: RECORD_TTL_S,
  data: target,
});

/** txt: a TXT record of one or more strings. */
export const txt = (name: string, ...strings: string[]): ZoneRecord => ({
  name,
  type: 'TXT',
  ttl: RECORD_TTL_S,
  data: strings,
});

/** signed: the record, marked as part of a validated RRset (see ZoneRecord). */
export const signed = (r: ZoneRecord): ZoneRecord => ({ ...r, signed: true });

/** good: a host playing `mx`: answers well, STARTTLS with a lab-CA certificate naming it. */
export const good = (
  name: string,
  address: string,
  role: string,
  aliases?: string[],
): ScenarioHost => ({
  name,
  addresses: [address],
  personality: 'mx',
  role,
  ...(aliases ? { aliases } : {}),
});
