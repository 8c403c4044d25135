/**
 * What a lab host is, as data. A Personality says how a host greets, which
 * hellos and extensions it takes, how it answers VRFY/EXPN and the old
 * RFC 821 verbs, and who its users are; one engine (conversation.ts) plays
 * any of them. A new kind of server is a new entry in personalities.ts, not
 * new code, unless it needs a behaviour no field describes yet.
 *
 * The fields for address verification (`rcpt`, `errorLimits`, `fault`,
 * `replyDelayMs`) describe what a verifier meets in the wild: catch-all
 * domains, greylisting, recipient caps, Postfix's error throttling, servers
 * that hang up midway and servers that answer strictly one line at a time.
 */
import { isIPv4 } from 'node:net';

/** LAB_DOMAIN: the parent of every lab host name (RFC 6761 §6.2 reserves .test, so no real host can be meant). */
export const LAB_DOMAIN = 'lab.test';

/**
 * ReplySpec: one reply as data. Each text line normally starts with its RFC
 * 3463 enhanced code; the engine frames the lines ("250-…" / "250 …").
 * `{host}` becomes the host's name and `{arg}` the command's argument.
 */
export interface ReplySpec {
  readonly code: number;
  readonly text: string | readonly string[];
}

/**
 * LookupMode: how VRFY or EXPN behaves.
 * - `on`: look the name up (250 with the mailbox or list members, 550 5.1.1 if unknown);
 * - `off`: 502 5.5.1, the verb is disabled;
 * - `blanket`: 252 2.0.0 for every name (RFC 5321 §3.5.3) — a 252 says nothing about whether the user exists;
 * - a ReplySpec: that exact reply, whatever the argument.
 */
export type LookupMode = 'on' | 'off' | 'blanket' | ReplySpec;

/** LEGACY_VERBS: the RFC 821 verbs a personality may implement; unlisted ones answer 502 5.5.1. */
export const LEGACY_VERBS = ['TURN', 'ETRN', 'SEND', 'SOML', 'SAML', 'VERB', 'HELP'] as const;
/** LegacyVerb: one of LEGACY_VERBS. */
export type LegacyVerb = (typeof LEGACY_VERBS)[number];

/** LabUser: a local mailbox: `local` is the part before @, `name` the display name VRFY shows. */
export interface LabUser {
  readonly local: string;
  readonly name: string;
}

/** Greeting: the opening reply and how long the host waits before sending it. */
export interface Greeting {
  readonly reply: ReplySpec;
  readonly delayMs?: number;
}

/**
 * Greylisting: postgrey's policy as data. The first RCPT for a triplet
 * (client IP, sender, recipient) is deferred with `reply`; the same triplet
 * seen again at least `delayMs` after its first sighting passes on to the
 * usual user check. An early retry is deferred again and does not restart
 * the clock. Triplets are kept per host for the life of the lab.
 */
export interface Greylisting {
  readonly delayMs: number;
  /** reply: the deferral; `{arg}` is the recipient (`<x@domain>`), `{domain}` its domain. */
  readonly reply: ReplySpec;
}

/**
 * RcptPolicy: how RCPT TO is answered beyond "250 for a user, 550 5.1.1 for
 * anyone else". The checks run in Postfix's order: recipient cap, relay,
 * greylisting, then the user lookup.
 */
export interface RcptPolicy {
  /** catchAll: every local part at the host's mail domains is accepted (Postfix's `@domain` virtual alias). */
  readonly catchAll?: boolean;
  /**
   * openRelay: a recipient at a domain that is not the host's own is accepted
   * (250 2.1.5) instead of `554 5.7.1 Relay access denied`: the open relay of
   * RFC 2505. Its own domains are still checked (unknown users get 550).
   */
  readonly openRelay?: boolean;
  /** unknown: the reply to an unknown local part (`{arg}` is the recipient); default 550 5.1.1 "…: Recipient address rejected: User unknown". */
  readonly unknown?: ReplySpec;
  /**
   * maxRecipients: RCPT commands per transaction; the next ones get 452 4.5.3
   * (RFC 5321 §4.5.3.1.10) until RSET or a new MAIL. Every RCPT counts, accepted
   * or not, as Exim's `recipients_max` does (Postfix counts only accepted ones).
   */
  readonly maxRecipients?: number;
  readonly greylist?: Greylisting;
}

/**
 * ErrorLimits: stock Postfix's error throttling (smtpd_soft_error_limit,
 * smtpd_hard_error_limit, smtpd_error_sleep_time). Every 4xx/5xx reply is an
 * error; once `soft` errors were made, every reply waits `sleepMs` first; the
 * reply that makes it `hard` errors is followed at once (unasked, as Postfix
 * does) by `421 4.7.0 <host> Error: too many errors` and the connection closes.
 */
export interface ErrorLimits {
  readonly soft: number;
  readonly hard: number;
  readonly sleepMs: number;
}

/** Fault: the host gives up midway: once `afterRcpts` RCPT commands came in one session, the next RCPT gets `reply` and the connection closes. */
export interface Fault {
  readonly afterRcpts: number;
  readonly reply: ReplySpec;
}

/** Personality: one kind of SMTP server, described as data (see the module comment). */
export interface Personality {
  /** name: short id and first label of the host name (`esmtp` is esmtp.lab.test). */
  readonly name: string;
  /**
   * address: where its own host (`<name>.lab.test`) listens; must be in
   * 127.0.0.0/8 (startLab refuses anything else). Absent for a personality
   * only scenario hosts play (`mx`, `blackhole`): they bring their own addresses.
   */
  readonly address?: string;
  /** description: one line for people (the `lab` table, the demo). */
  readonly description: string;
  /**
   * listen: true (default) serves SMTP; false reserves the address and starts
   * nothing there, so a connect is refused (RST); 'blackhole' makes a connect
   * get no SYN-ACK at all, so it times out (see blackhole.ts).
   */
  readonly listen?: boolean | 'blackhole';
  /**
   * greeting: the opening reply. A non-2xx greeting puts the session in the
   * state RFC 5321 §3.1 describes for 554: only QUIT is answered (221),
   * everything else gets 503. `null`: the host accepts TCP and never says anything.
   */
  readonly greeting: Greeting | null;
  /** ehlo: true, or the reply refusing EHLO on a pre-ESMTP host (clients then fall back to HELO, RFC 5321 §3.2). */
  readonly ehlo: true | ReplySpec;
  /** extensions: EHLO keywords in order, without STARTTLS and AUTH (those come from `starttls` and `auth`). */
  readonly extensions?: readonly string[];
  /** starttls: offer STARTTLS (RFC 3207) with a certificate for this host signed by the lab CA. */
  readonly starttls?: boolean;
  /** expiredCertificate: STARTTLS presents a certificate, signed by the lab CA, whose validity ended a day ago. */
  readonly expiredCertificate?: boolean;
  /**
   * auth: SASL mechanisms advertised before and after TLS (RFC 4954). PLAIN
   * and LOGIN accept the lab's one account (LAB_AUTH_USER, LAB_AUTH_PASSWORD)
   * and nothing else; other mechanisms get 504.
   */
  readonly auth?: { readonly beforeTls?: readonly string[]; readonly afterTls?: readonly string[] };
  readonly vrfy: LookupMode;
  readonly expn: LookupMode;
  /** verbs: the RFC 821 verbs this host implements and the reply each gets. */
  readonly verbs?: Readonly<Partial<Record<LegacyVerb, ReplySpec>>>;
  /** users: local mailboxes (RCPT TO gets 250 for them, 550 5.1.1 for anyone else). */
  readonly users?: readonly LabUser[];
  /** lists: mailing lists by local part, members by local part (EXPN expands them). */
  readonly lists?: Readonly<Record<string, readonly string[]>>;
  /**
   * acceptsMail: DATA takes the message (354, then `250 2.0.0 Ok: queued as
   * <id>`) and keeps it in memory (Lab.messages), never delivering it; its
   * size limit is the `SIZE n` extension. Without it every DATA is refused
   * (554 5.5.0), for probes never send mail. BDAT is refused either way.
   */
  readonly acceptsMail?: boolean;
  /** rcpt: catch-all, open relay, greylisting, a recipient cap, the unknown-user reply (see RcptPolicy). */
  readonly rcpt?: RcptPolicy;
  /** errorLimits: Postfix-like throttling of clients that make many errors. */
  readonly errorLimits?: ErrorLimits;
  /** fault: hang up midway with a 421 (see Fault). */
  readonly fault?: Fault;
  /**
   * replyDelayMs: every reply after the greeting waits this long and goes out
   * in a write (and TCP segment) of its own: a server that reads one line,
   * answers it, and only then reads the next. Pipelined commands still get
   * every reply, in order; they just gain nothing.
   */
  readonly replyDelayMs?: number;
}

/** hostnameOf: the name of a personality's own host (`esmtp.lab.test`); scenario hosts have names of their own. */
export function hostnameOf(p: Pick<Personality, 'name'>): string {
  return `${p.name}.${LAB_DOMAIN}`;
}

/** isLoopback: whether an address is in 127.0.0.0/8 or is ::1 — the only places the lab may listen. */
export function isLoopback(address: string): boolean {
  return address === '::1' || (isIPv4(address) && address.startsWith('127.'));
}
