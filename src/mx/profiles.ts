/**
 * Sender profiles: what a sending MTA does when an MX address fails, as data.
 * Each number is the software's documented default (or the OS's, for the
 * ones that rely on it); the README repeats this table with its sources.
 */
import { invalidInput } from '../errors.js';

/** RetrySchedule: how a queued message is retried and when it bounces. */
export interface RetrySchedule {
  /** First retry after the failed attempt. */
  firstRetryMs: number;
  /** Each later delay is the previous × factor, capped at maxBackoffMs (factor 1: fixed interval). */
  factor: number;
  maxBackoffMs: number;
  /** The message bounces this long after it was first queued. */
  giveUpMs: number;
}

/** SenderProfile: one sender's behaviour, from its defaults. */
export interface SenderProfile {
  name: string;
  description: string;
  /** Cost of an address whose SYNs go unanswered. */
  connectTimeoutMs: number;
  /** Cost of a server that accepts TCP and never greets. */
  greetingTimeoutMs: number;
  /** Addresses tried per delivery attempt (null: all). */
  maxAddresses: number | null;
  /** Hosts that greeted (sessions) per delivery attempt (null: no limit). */
  maxSessions: number | null;
  retry: RetrySchedule;
  sources: string;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** PROFILES: the built-in senders, by name. */
export const PROFILES: readonly SenderProfile[] = [
  {
    name: 'postfix',
    description: 'Postfix 3.x defaults',
    connectTimeoutMs: 30_000,
    greetingTimeoutMs: 300_000,
    maxAddresses: 5,
    maxSessions: 2,
    retry: { firstRetryMs: 5 * MIN, factor: 2, maxBackoffMs: 4000_000, giveUpMs: 5 * DAY },
    sources:
      'smtp_connect_timeout=30s, smtp_helo_timeout=300s, smtp_mx_address_limit=5, smtp_mx_session_limit=2, minimal_backoff_time=300s, maximal_backoff_time=4000s, maximal_queue_lifetime=5d',
  },
  {
    name: 'exim',
    description: 'Exim 4 defaults',
    connectTimeoutMs: 5 * MIN,
    greetingTimeoutMs: 5 * MIN,
    maxAddresses: 5,
    maxSessions: null,
    retry: { firstRetryMs: 15 * MIN, factor: 1, maxBackoffMs: 6 * HOUR, giveUpMs: 4 * DAY },
    sources:
      'smtp transport connect_timeout=5m, command_timeout=5m, hosts_max_try=5; default retry rule F,2h,15m; G,16h,1h,1.5; F,4d,6h (approximated as every 15 min, bounce after 4 days)',
  },
  {
    name: 'sendmail',
    description: 'Sendmail 8 defaults on Linux',
    connectTimeoutMs: 127_000,
    greetingTimeoutMs: 5 * MIN,
    maxAddresses: null,
    maxSessions: null,
    retry: { firstRetryMs: 30 * MIN, factor: 1, maxBackoffMs: 30 * MIN, giveUpMs: 5 * DAY },
    sources:
      'Timeout.connect=0 (the OS decides: Linux gives up after 127 s), Timeout.initial=5m, queue run every 30m (-q30m), Timeout.queuereturn=5d',
  },
  {
    name: 'bsd-tcp',
    description: "a classic BSD sender: the kernel's 75 s connect timeout, RFC 5321 retry advice",
    connectTimeoutMs: 75_000,
    greetingTimeoutMs: 5 * MIN,
    maxAddresses: null,
    maxSessions: null,
    retry: { firstRetryMs: 30 * MIN, factor: 1, maxBackoffMs: 30 * MIN, giveUpMs: 4 * DAY },
    sources:
      'BSD TCP gives up on an unanswered SYN after 75 s; RFC 5321 §4.5.3.2.1 (5 min greeting), §4.5.4.1 (retry ≥ 30 min, give up after 4-5 days)',
  },
  {
    name: 'linux-tcp',
    description: 'any sender that leaves the connect timeout to Linux',
    connectTimeoutMs: 127_000,
    greetingTimeoutMs: 5 * MIN,
    maxAddresses: null,
    maxSessions: null,
    retry: { firstRetryMs: 30 * MIN, factor: 1, maxBackoffMs: 30 * MIN, giveUpMs: 4 * DAY },
    sources:
      'net.ipv4.tcp_syn_retries=6: SYNs at 0, 1, 3, 7, 15, 31, 63 s, giving up at 127 s; RFC 5321 §4.5.4.1 retry advice',
  },
];

/** profileNames: the names --profile accepts. */
export const PROFILE_NAMES = PROFILES.map((p) => p.name);

/** ProfileOverrides: a custom sender built on a profile. */
export interface ProfileOverrides {
  connectTimeoutMs?: number;
  greetingTimeoutMs?: number;
  maxAddresses?: number;
  maxSessions?: number;
}

/** resolveProfile: a named profile with the user's overrides (a changed profile is named "custom (based on …)"). */
export function resolveProfile(name: string, overrides: ProfileOverrides = {}): SenderProfile {
  const base = PROFILES.find((p) => p.name === name);
  if (!base)
    throw invalidInput(`unknown sender profile "${name}"; choose from ${PROFILE_NAMES.join(', ')}`);
  const changed = Object.values(overrides).some((v) => v !== undefined);
  if (!changed) return base;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return {
    ...base,
    ...defined,
    name: `custom (based on ${base.name})`,
    description: `${base.description}, with overrides`,
  };
}
