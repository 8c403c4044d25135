/**
 * The lab: a simulated mail network on loopback for `smtp-probe lab`, the
 * demo, tests and benchmarks. Hosts are declarative Personalities played by
 * one engine (personality.ts for the fields, personalities.ts for the kinds);
 * the MX-walk scenarios (scenarios.ts) add hosts and a DNS zone (zone.ts)
 * served by the lab's own DNS server; one address is a blackhole. Scenario
 * hosts for `verify` (catchall.test, greylist.test, throttle.test,
 * rcptcap.test, drop421.test, nopipe.test) play the RCPT policies; the audit
 * sites (sites.ts: `startLab({ sites: N })`, named by siteDomains) add N
 * domains of a deterministic mix; the transport-security scenarios
 * (policy-scenarios.ts: sts-*.test) bring MTA-STS policies on the lab's HTTPS
 * server, which also serves DNS over HTTPS, and TLSA records (tlsa.ts) with a
 * simulated AD bit; startLatencyProxy slows any of it down for benchmarks.
 * The `esmtp` host accepts mail (messages.ts: kept in `lab.messages`, never
 * delivered) and the lab's one AUTH account (sasl.ts); no other host does.
 */
export { startLab, describeLab, DEFAULT_LAB_PORT, MAX_LOG_ENTRIES } from './lab.js';
export type {
  Lab,
  LabHost,
  LabLogEntry,
  LabSession,
  LabOptions,
  LabRow,
  LabSites,
  LabSiteHost,
  StoredMessage,
} from './lab.js';
export {
  MessageStore,
  MAX_STORED_MESSAGES,
  MAX_STORED_OCTETS,
  DEFAULT_MESSAGE_LIMIT,
  type MessageSink,
  type NewMessage,
} from './messages.js';
export { LAB_AUTH_USER, LAB_AUTH_PASSWORD } from './sasl.js';
export { MAX_RECIPIENTS } from './transaction.js';
export {
  siteDomains,
  siteDomain,
  siteAddress,
  planSites,
  SITE_MIX,
  SITES_ZONE,
  MAX_SITES,
  PROVIDER_SPAN,
} from './sites.js';
export type {
  SiteDomain,
  SiteMx,
  SiteLayout,
  SiteSlot,
  SitePlan,
  SiteHostPlan,
} from './sites.js';
export { SITE_PERSONALITIES } from './site-personalities.js';
export { FD_HEADROOM } from './lab-sites.js';
export { parseAddress, resolveRecipient, MAX_REWRITES, type Address } from './directory.js';
export {
  PERSONALITIES,
  SLOW_GREETING_MS,
  GREYLIST_DELAY_MS,
  POSTFIX_ERROR_LIMITS,
  RCPT_CAP,
  DROP_AFTER_RCPTS,
  NOPIPE_REPLY_DELAY_MS,
} from './personalities.js';
export { LAB_DOMAIN, LEGACY_VERBS, hostnameOf } from './personality.js';
export type {
  Personality,
  ReplySpec,
  LookupMode,
  LegacyVerb,
  LabUser,
  Greeting,
  RcptPolicy,
  Greylisting,
  ErrorLimits,
  Fault,
} from './personality.js';
export { GreylistStore, MAX_TRIPLETS, type Triplet } from './greylist.js';
export {
  startLatencyProxy,
  type LatencyProxy,
  type LatencyProxyOptions,
  type Endpoint,
} from './latency-proxy.js';
export { LAB_SCENARIOS, RECORD_TTL_S } from './scenarios.js';
export type { LabScenario, ScenarioHost, PolicyResponse } from './scenarios.js';
export {
  POLICY_SCENARIOS,
  LAB_STS_ID,
  LAB_STS_MAX_AGE_S,
  STS_BIG_PADDING_OCTETS,
} from './policy-scenarios.js';
export { DEFAULT_LAB_HTTPS_PORT, MTA_STS_PATH, DOH_PATH } from './https-server.js';
export { tlsaOwner, spkiSha256 } from './tlsa.js';
export { LAB_HOSTS, labHostTable, SITES_CERTIFICATE_NAME, literal } from './hosts.js';
export type { LabHostSpec } from './hosts.js';
export {
  LAB_ZONE,
  LAB_SOA,
  LAB_DNS_ADDRESS,
  LAB_HTTPS_ADDRESS,
  DOH_HOST,
  ZONE_APEX,
  MAX_CNAME_HOPS,
  Zone,
  buildZone,
} from './zone.js';
export type { ZoneRecord, ZoneAnswer, Soa } from './zone.js';
export type { Tlsa } from './zone-record.js';
export { DEFAULT_LAB_DNS_PORT, DNS_TCP_IDLE_MS, startDnsServer } from './dns-server.js';
export type { DnsQueryLog, LabDnsServer } from './dns-server.js';
export { answerQuery, MAX_UDP_PAYLOAD, CLASSIC_UDP_PAYLOAD } from './dns-answer.js';
export { startBlackhole, BLACKHOLE_VERIFY_MS, NFT_TABLE_PREFIX } from './blackhole.js';
export type { Blackhole, BlackholeMethod } from './blackhole.js';
export { LAB_CA_NAME } from './certs.js';
export {
  Conversation,
  REDACTED,
  frame,
  splitCommand,
  type Step,
  type ConversationHost,
} from './conversation.js';
