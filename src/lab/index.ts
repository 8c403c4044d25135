/**
 * The lab: a simulated mail network on loopback for `smtp-probe lab`, the
 * demo, tests and benchmarks. Hosts are declarative Personalities played by
 * one engine; see personality.ts for the fields and personalities.ts for the hosts.
 */
export { startLab, describeLab, DEFAULT_LAB_PORT, MAX_LOG_ENTRIES } from './lab.js';
export type { Lab, LabHost, LabLogEntry, LabOptions, LabRow } from './lab.js';
export { PERSONALITIES, SLOW_GREETING_MS } from './personalities.js';
export { LAB_DOMAIN, LEGACY_VERBS, hostnameOf } from './personality.js';
export type { Personality, ReplySpec, LookupMode, LegacyVerb, LabUser, Greeting } from './personality.js';
export { LAB_CA_NAME } from './certs.js';
export { Conversation, frame, splitCommand, type Step } from './conversation.js';
