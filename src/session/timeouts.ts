/**
 * Timeouts, one named default per phase. RFC 5321 §4.5.3.2 gives an MTA
 * minutes per phase because it must not lose mail; a probe answers a person
 * waiting at a terminal, so the defaults are shorter and the common ones are
 * flags. Every phase also ends when the run's deadline does (see time/deadline.ts).
 */

/** RESOLVE_TIMEOUT_MS: a host name to its addresses. glibc gives up after 2 tries × 5 s per server; 10 s covers one slow server. */
export const RESOLVE_TIMEOUT_MS = 10_000;
/** CONNECT_TIMEOUT_MS: TCP connect. Postfix's smtp_connect_timeout is 30 s; 10 s tells "dead" from "slow" for a probe. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** TLS_TIMEOUT_MS: one TLS handshake (STARTTLS or implicit). Postfix's smtp_starttls_timeout is 300 s; a healthy handshake takes a few round trips. */
export const TLS_TIMEOUT_MS = 30_000;
/** GREETING_TIMEOUT_MS: TCP up to the 220. RFC 5321 §4.5.3.2.1 allows 5 min; postscreen's greet pause is ~6 s, so 30 s still sees past it. */
export const GREETING_TIMEOUT_MS = 30_000;
/** COMMAND_TIMEOUT_MS: each command to its reply (RFC 5321 §4.5.3.2.2-7 allow 5 min; only DATA needs long, and we never send it). */
export const COMMAND_TIMEOUT_MS = 30_000;
/**
 * TARGET_TIMEOUT_MS: the whole run (`--timeout`), so a drip-feeding server cannot hold a probe for
 * phases × timeout. What "the whole run" is: caps, vrfy and expn: the one target; mx and failover:
 * the walk, DNS included; verify: each domain (its walk, its sessions and the --retry-after wait).
 */
export const TARGET_TIMEOUT_MS = 120_000;

/** Timeouts: the per-phase budget, in milliseconds. */
export interface Timeouts {
  resolveMs: number;
  connectMs: number;
  tlsMs: number;
  greetingMs: number;
  commandMs: number;
  targetMs: number;
}

/** DEFAULT_TIMEOUTS: the named defaults together. */
export const DEFAULT_TIMEOUTS: Timeouts = {
  resolveMs: RESOLVE_TIMEOUT_MS,
  connectMs: CONNECT_TIMEOUT_MS,
  tlsMs: TLS_TIMEOUT_MS,
  greetingMs: GREETING_TIMEOUT_MS,
  commandMs: COMMAND_TIMEOUT_MS,
  targetMs: TARGET_TIMEOUT_MS,
};
