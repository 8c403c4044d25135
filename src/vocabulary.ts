/**
 * The closed word sets every layer shares, defined once at the bottom as
 * plain constants: the zod schemas build their enums from these, the code
 * branches on them, and neither has to load the other (zod costs start-up
 * time that a probe run does not need).
 */

/** SCHEMA_VERSION: bumped on any incompatible change to an output schema (2: per-address `status` replaced `outcome`). */
export const SCHEMA_VERSION = 2;

/** STAGES: where in a probe something happened, in conversation order. */
export const STAGES = [
  'input',
  'resolve',
  'connect',
  'tls',
  'greeting',
  'ehlo',
  'helo',
  'starttls',
  'auth',
  'census',
  'mail',
  'rcpt',
  'data',
  'vrfy',
  'expn',
  'rset',
  'quit',
  'wait',
] as const;
export type Stage = (typeof STAGES)[number];

/**
 * STATUSES: the one word every target, and every address of an MX walk, ends
 * with (zgrab2-style closed set). The same words in the envelope, in an MX
 * walk's per-address results and in the failover timeline.
 */
export const STATUSES = [
  'ok',
  'connection-refused',
  'connection-timeout',
  'host-unreachable',
  'connection-closed',
  'greeting-timeout',
  'io-timeout',
  'tls-error',
  'protocol-error',
  'rejected',
  'invalid-input',
  'aborted',
] as const;
export type Status = (typeof STATUSES)[number];

/**
 * QUIT_AFTER: where `send --quit-after` ends the session, in conversation order (swaks' stop
 * points): after the connect, the banner, the first EHLO, STARTTLS and its EHLO, AUTH, MAIL, the
 * RCPTs (RSET first after MAIL or RCPT), or DATA's 354 (then a hang-up: inside DATA only the
 * end-of-data dot is a way out, and it would complete the message).
 */
export const QUIT_AFTER = [
  'connect',
  'banner',
  'ehlo',
  'tls',
  'auth',
  'mail',
  'rcpt',
  'data',
] as const;
export type QuitAfter = (typeof QUIT_AFTER)[number];

/** SEND_OUTCOMES: how a `send` ended (see SendResultSchema.outcome). */
export const SEND_OUTCOMES = [
  'accepted',
  'partial',
  'stopped',
  'refused',
  'failed',
  'interrupted',
] as const;
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

/** SETUP_STAGES: the timed stages of setting up a session (session/establish.ts), in the order they happen. */
export const SETUP_STAGES = [
  'resolve',
  'connect',
  'tls',
  'greeting',
  'ehlo',
  'starttls',
  'ehloAfterTls',
] as const;
export type SetupStage = (typeof SETUP_STAGES)[number];

/** CENSUS_VERBS: the verbs the caps census sends, in order. TURN is last: a 250 to it reverses roles (RFC 821 §4.1.1), so the session ends there. */
export const CENSUS_VERBS = [
  'NOOP',
  'HELP',
  'VRFY',
  'EXPN',
  'ETRN',
  'VERB',
  'SEND',
  'SOML',
  'SAML',
  'RSET',
  'TURN',
] as const;
export type CensusVerb = (typeof CENSUS_VERBS)[number];

/**
 * SUPPORT_LEVELS: how a server treats a census verb; `not-asked`: never sent, held back in the
 * census's last session (or when no new session could be had) so that no session passes a server's
 * limit of unrecognised commands (see mayAsk in smtp/census.ts); `unpaired`: answered, but in a
 * session whose replies stopped pairing with their commands, so the reply kept is not believed.
 */
export const SUPPORT_LEVELS = [
  'implemented',
  'disabled',
  'not-implemented',
  'unknown',
  'not-asked',
  'unpaired',
] as const;
export type Support = (typeof SUPPORT_LEVELS)[number];

/**
 * LOOKUP_MEANINGS: what one VRFY/EXPN reply means.
 * - `exists` (250): the server names the mailbox (or, for EXPN, the members);
 * - `will-forward` (251): not local, but the server will forward to the path it gives;
 * - `cannot-verify` (252): the server will not say, yet would accept mail — a 252 does NOT mean the user exists;
 * - `no-such-user` (550): no mailbox by that name;
 * - `not-local` (551, or X.1.6 "mailbox has moved"): not here; the reply may name where to try;
 * - `ambiguous` (553, or X.1.4): several mailboxes match; the reply may list them;
 * - `not-implemented` (500/502): the verb is unknown or switched off (Postfix's disable_vrfy_command says 502 5.5.1);
 * - `disabled` (530, or any X.7.X): refused by policy (authentication or security), which says nothing about the name;
 * - `temporary` (4xx but 421): try later;
 * - `server-closing` (421): the server is ending the session (RFC 5321 §3.8);
 * - `other`: a reply RFC 5321 does not list for these verbs (501 syntax, 503 sequence, 504, 554, X.1.3 bad syntax, an odd 2xx/3xx);
 * - `not-asked`: no reply at all — never sent (the session was lost first, or there was no domain for
 *   the user@domain form), or sent and never answered (its command is kept);
 * - `unpaired`: answered, but in a session whose replies stopped pairing with their commands (a reply
 *   nobody asked for, or QUIT answered with another command's reply): the reply kept is not believed.
 */
export const LOOKUP_MEANINGS = [
  'exists',
  'will-forward',
  'cannot-verify',
  'no-such-user',
  'not-local',
  'ambiguous',
  'not-implemented',
  'disabled',
  'temporary',
  'server-closing',
  'other',
  'not-asked',
  'unpaired',
] as const;
export type LookupMeaning = (typeof LOOKUP_MEANINGS)[number];

/** QUERY_TYPES: the DNS record types the resolver asks for. */
export const QUERY_TYPES = ['A', 'AAAA', 'MX', 'CNAME', 'TXT', 'TLSA'] as const;
export type QueryType = (typeof QUERY_TYPES)[number];

/** SEVERITIES: how much a finding matters, least first (`audit --fail-on` takes one). */
export const SEVERITIES = ['info', 'low', 'medium', 'high'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * AUDIT_CHECKS: what `audit --checks` can ask for, in the order a session runs them; the last
 * two judge a domain's published policies (MTA-STS and TLS-RPT, DANE) against the TLS its MX
 * hosts showed, so asking for either runs `tls` too (IMPLIED_CHECKS).
 */
export const AUDIT_CHECKS = [
  'connect',
  'caps',
  'tls',
  'vrfy',
  'expn',
  'relay',
  'mx-consistency',
  'mta-sts',
  'dane',
] as const;
export type AuditCheck = (typeof AUDIT_CHECKS)[number];

/** IMPLIED_CHECKS: the checks another one needs the evidence of (the policy checks judge what `tls` records). */
export const IMPLIED_CHECKS: Partial<Record<AuditCheck, readonly AuditCheck[]>> = {
  'mta-sts': ['tls'],
  dane: ['tls'],
};

/**
 * SUMMARY_COUNTS: what an audit's summary counts: the first six by address (a shared address
 * counts once), the policy ones (POLICY_COUNTS) by domain site.
 */
export const SUMMARY_COUNTS = [
  'exposesVrfy',
  'exposesExpn',
  'openRelay',
  'noStarttls',
  'badCertificate',
  'unreachable',
  'stsSkipsMx',
  'stsBroken',
  'daneFails',
] as const;
export type SummaryCount = (typeof SUMMARY_COUNTS)[number];

/**
 * POLICY_COUNTS: the counts by site. stsSkipsMx: an enforced MTA-STS policy makes senders skip
 * an MX; stsBroken: an `_mta-sts` record with no usable policy behind it (fetch failed or
 * invalid); daneFails: an MX whose usable TLSA records fail (dane-mismatch, dane-no-tls).
 */
export const POLICY_COUNTS = [
  'stsSkipsMx',
  'stsBroken',
  'daneFails',
] as const satisfies readonly SummaryCount[];
