/**
 * ErrorBudget: how many rejected recipients a verify session may risk at one
 * host, pure (no I/O, no clock: latencies come in as numbers). Stock Postfix
 * answers every reply a second late after 10 rejections in a session
 * (smtpd_soft_error_limit) and hangs up after 20 (smtpd_hard_error_limit), so
 * sessions stay at 9 — unless the server shows it does not punish: the first
 * batch may carry PROBE_PAST recipients over the limit (no batch of its own),
 * and once the session's rejections reach that far with the replies keeping
 * their pace, its sessions are no longer split by rejections. Accepted
 * addresses in the first batch leave the test short: the next batch, with
 * the rejections still missing, finishes it. A server that
 * slows down, or drops the session with 421 4.7.0 after rejections, keeps a
 * budget under what it tolerated. One budget per host, shared by its sessions.
 *
 * The test is a bet, made only when it pays (decide): lifting the limit saves
 * the sessions the addresses left would otherwise need, each costing its round
 * trips (sessionRoundTrips) at the round trip the first session measured (its
 * EHLO: network time, which a busy CPU does not inflate as it does a TLS
 * handshake); losing it costs one reply held PUNISHMENT_MS, weighted by the
 * odds that the server punishes: from its banner (punishOdds: Postfix 20 to 1,
 * Exim 1 to 9), else two to one (docs/commands/verify.md works the numbers).
 */
import type { Reply } from '../smtp/reply.js';

/** DEFAULT_MAX_ERRORS: rejected recipients per session; one under Postfix's smtpd_soft_error_limit (10). */
export const DEFAULT_MAX_ERRORS = 9;
/** PROBE_PAST: how far past the limit the one test batch goes (Postfix punishes from the 11th error on). */
export const PROBE_PAST = 2;
/** THROTTLE_GAP_MS: a reply this much slower than the session's pace is a punishment (Postfix sleeps 1 s). */
export const THROTTLE_GAP_MS = 500;
/** ESCALATED_MAX_ERRORS: the budget once a server has shown it does not punish rejections past Postfix's limit. */
export const ESCALATED_MAX_ERRORS = 10_000;

/** PUNISHMENT_MS: what a test batch loses at a server that punishes: one reply held for Postfix's smtpd_error_sleep_time. */
export const PUNISHMENT_MS = 1_000;
/** PUNISH_ODDS: a server is taken to punish this many times as often as not (2: a prior of 2/3). */
export const PUNISH_ODDS = 2;

/**
 * punishOdds: the odds that a server punishes rejections, from what its banner says it is. Stock
 * Postfix always does (smtpd_soft_error_limit, on by default; its default smtpd_banner names it):
 * 20 to 1. Exim has no such limit on RCPT errors by default: 1 to 9. Anything else: PUNISH_ODDS.
 */
export function punishOdds(banner: string): number {
  if (/\bPostfix\b/i.test(banner)) return 20;
  if (/\bExim\b/i.test(banner)) return 1 / 9;
  return PUNISH_ODDS;
}

/**
 * Escalation: untested (the next batch probes past the limit); raised (no punishment seen); fixed
 * (punished, or set by the user); declined (the test would not pay for itself, see decide).
 */
export type Escalation = 'untested' | 'raised' | 'fixed' | 'declined';

/** Stakes: what decide weighs, in milliseconds. */
export interface Stakes {
  /** Sessions the addresses left need at the limit, less the one a lifted limit needs. */
  sessionsSaved: number;
  /** What the sessions saved would cost, side by side over `connections`. */
  gainMs: number;
  /** What losing the bet costs, weighted by the odds that the server punishes. */
  riskMs: number;
}

/**
 * sessionRoundTrips: what a session split off by the limit costs in round trips: connect, greeting,
 * EHLO and its one batch (a lifted limit carries it in a batch of 100); with STARTTLS also
 * STARTTLS, the TLS 1.3 handshake and EHLO again. Not its RSET and QUIT: the next session dials
 * without waiting for their replies.
 */
export function sessionRoundTrips(tls: boolean): number {
  return tls ? 7 : 4;
}

/** stakes: the bet of decide, pure; `sessionMs` is one session's cost (its round trips at the measured round trip). */
export function stakes(
  remaining: number,
  limit: number,
  sessionMs: number,
  connections = 1,
  odds = PUNISH_ODDS,
): Stakes {
  const sessionsSaved = Math.max(0, Math.ceil(remaining / limit) - 1);
  return {
    sessionsSaved,
    gainMs: (sessionsSaved * sessionMs) / Math.max(1, connections),
    riskMs: odds * PUNISHMENT_MS,
  };
}

/** BatchObservation: one batch's replies as the budget judges them. */
export interface BatchObservation {
  /** Rejections in this session before the batch. */
  errorsBefore: number;
  /** Rejections in the batch. */
  errors: number;
  /** Milliseconds from sending to the first reply, then between replies. */
  gapsMs: number[];
  /** The session's normal reply pace (the EHLO round trip, then the quickest gap seen). */
  baselineMs: number;
}

/** isPunished: a reply gap far beyond the session's normal pace. */
export function isPunished(gapMs: number, baselineMs: number): boolean {
  return Number.isFinite(baselineMs) && gapMs > baselineMs + THROTTLE_GAP_MS;
}

/** ErrorBudget: see the module comment. */
export class ErrorBudget {
  /** Rejections a session may take before a fresh one is opened. */
  limit: number;
  escalation: Escalation;
  /** Whether the host was seen punishing rejections (slow replies or a 421 after errors). */
  throttled = false;
  private lowered = false;
  private decided = false;

  /**
   * `adaptive` false: the user chose the limit, which is kept as given.
   * `notes`: where the budget says what it decided and why (the host's report).
   */
  constructor(
    limit = DEFAULT_MAX_ERRORS,
    adaptive = true,
    readonly notes: string[] = [],
  ) {
    this.limit = limit;
    this.escalation = adaptive ? 'untested' : 'fixed';
  }

  /**
   * decide: before the first batch, whether the test past the limit is worth making for the
   * `remaining` addresses, one session costing `sessionMs` (see stakes); declined otherwise, with
   * the numbers in a note. Only an untested budget has a bet to make.
   */
  decide(remaining: number, sessionMs: number, connections = 1, odds = PUNISH_ODDS): void {
    if (this.escalation !== 'untested' || this.decided) return;
    this.decided = true;
    const s = stakes(remaining, this.limit, sessionMs, connections, odds);
    if (s.gainMs > s.riskMs) return;
    this.escalation = 'declined';
    // Addresses that fit one session leave nothing to bet on, and nothing to say.
    if (s.sessionsSaved === 0) return;
    this.notes.push(
      `the limit of ${this.limit} rejections per session was not tested: lifting it would save at most ${s.sessionsSaved} sessions (${Math.round(s.gainMs)} ms), less than a slowdown risks (${s.riskMs} ms)`,
    );
  }

  /** probing: whether the next batch is the test past the limit. */
  get probing(): boolean {
    return this.escalation === 'untested';
  }

  /** room: recipients the next batch may carry in a session with `errors` rejections so far (≤ 0: open a fresh session). */
  room(errors: number): number {
    return this.limit - errors + (this.probing ? PROBE_PAST : 0);
  }

  /**
   * judge: a finished batch. True when a reply came late enough to be a
   * punishment: the session should be left at once, and the limit drops under
   * the rejections that brought it on.
   */
  judge(batch: BatchObservation): boolean {
    const seen = batch.errorsBefore + batch.errors;
    if (batch.gapsMs.some((gap) => isPunished(gap, batch.baselineMs))) {
      this.lower(seen, `replies slowed with ${seen} rejected recipients in the session`);
      return true;
    }
    return false;
  }

  /** afterBatch: a probing batch that reached PROBE_PAST over the limit without punishment lifts the limit. */
  afterBatch(sessionErrors: number, wasProbing: boolean): void {
    if (!wasProbing || this.escalation !== 'untested' || sessionErrors < this.limit + PROBE_PAST) {
      return;
    }
    this.escalation = 'raised';
    this.limit = ESCALATED_MAX_ERRORS;
    this.notes.push(
      `no slowdown after ${sessionErrors} rejected recipients: sessions are no longer split by rejections`,
    );
  }

  /** onClosing: a 421 to a recipient; 4.7.0 after rejections is an error limit (Postfix's "too many errors"). */
  onClosing(reply: Reply, errorsSeen: number): void {
    if (reply.enhanced !== '4.7.0' || errorsSeen === 0) return;
    this.lower(
      errorsSeen,
      `session dropped with ${reply.code} after ${errorsSeen} rejected recipients`,
    );
  }

  /** lower: stay under `errorsSeen` from now on (at least one rejection per session, or nothing would progress). */
  private lower(errorsSeen: number, why: string): void {
    const limit = Math.max(1, Math.min(this.limit, errorsSeen - 1));
    this.throttled = true;
    this.escalation = 'fixed';
    // Another session hitting the same wall says nothing new.
    if (this.lowered && limit === this.limit) return;
    this.limit = limit;
    this.lowered = true;
    this.notes.push(`${why}: sessions now stop at ${limit}`);
  }
}
