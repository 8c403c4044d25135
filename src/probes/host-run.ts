/**
 * HostRun: everything the verify sessions to one host share — the work queue,
 * the results, the error budget, the counters and notes — owned by one object,
 * so sessions side by side (--connections) cannot disagree about any of it.
 */
import type { ProbeError } from '../errors.js';
import type { Connector } from '../net/connector.js';
import type { TrustStore } from '../net/tls.js';
import type { Evidence } from '../schema/verify.js';
import type { Timeouts } from '../session/timeouts.js';
import type { TranscriptEntry } from '../session/transcript.js';
import { madeUpLocalPart, type Mailbox } from '../smtp/address.js';
import type { RcptMeaning } from '../smtp/rcpt-verdict.js';
import type { Reply } from '../smtp/reply.js';
import type { Deadline } from '../time/deadline.js';
import { type Escalation, ErrorBudget } from './error-budget.js';

/** MAX_TRIES: sessions an address may be cut short in before it is given up as unknown. */
const MAX_TRIES = 3;
/** MAX_FAILED_SESSIONS: sessions at one host that may fail in one run before it is given up (each can cost a timeout). */
export const MAX_FAILED_SESSIONS = 3;

/** HostOptions: where and how. */
export interface HostOptions {
  host: string;
  address: string;
  port: number;
  from: string;
  /** The sender's local part is not ASCII: MAIL FROM needs SMTPUTF8 (RFC 6531 §3.4). */
  fromUtf8?: boolean;
  helo?: string;
  starttls: boolean;
  pipelining: boolean;
  maxErrors: number;
  /** The budget may be tested and raised (the user did not set it). */
  adaptive: boolean;
  /** Sessions at this host at once (default 1: one connection per MX host, as a polite sender). */
  connections?: number;
  trust: TrustStore;
  timeouts: Timeouts;
  deadline: Deadline;
  connector?: Connector;
  /** Test the domain for a catch-all with one random local part. */
  catchAllDomain?: string;
  /** With --transcript: each session's lines as they happen, labelled "host address #session"; kept in the outcome too. */
  onTranscript?: (entry: TranscriptEntry, label: string) => void;
}

/** SessionTranscript: one session's lines, for the report. */
export interface SessionTranscript {
  host: string;
  address: string;
  session: number;
  entries: TranscriptEntry[];
}

/** Lost: an address no session could answer, and why. */
export interface Lost {
  kind: 'lost';
  why: string;
  reason: 'session-lost' | 'timed-out' | 'interrupted';
}

/** HostResult: one mailbox's meaning with its evidence. */
export interface HostResult {
  meaning: RcptMeaning | Lost;
  evidence: Evidence[];
}

/** HostOutcome: per-mailbox meanings with evidence, and how the host behaved. */
export interface HostOutcome {
  results: Map<Mailbox, HostResult>;
  catchAll: 'yes' | 'no' | 'unknown' | 'not-tested';
  pipelining: boolean;
  tls: string | null;
  sessions: number;
  transactions: number;
  rcptBatches: number;
  maxErrors: number;
  throttled: boolean;
  /** Set when the host refuses us by policy (every recipient of a batch rejected with X.7.X): probing stops, with its reply. */
  blocked?: string;
  escalation: Escalation;
  notes: string[];
  /** The run's deadline fired (TARGET_TIMEOUT) or the user pressed Ctrl-C (ABORTED) before the work was done. */
  stopped?: ProbeError;
  /** With --transcript: every session, in the order they started. */
  transcripts: SessionTranscript[];
}

/**
 * Seat: an open session's share of the work: its rejections so far, and the recipients it has
 * claimed that are not answered yet (each may yet be a rejection).
 */
export interface Seat {
  errors: number;
  inFlight: number;
}

/** Work: one mailbox to ask, how often a session died on it, and whether it is the catch-all test. */
export interface Work {
  box: Mailbox;
  tries: number;
  probe?: boolean;
}

/** HostRun: see the module comment. */
export class HostRun {
  readonly pending: Work[];
  readonly budget: ErrorBudget;
  readonly out: HostOutcome;
  /** Sessions this run may open in all (every address answered or given up long before). */
  readonly sessionLimit: number;
  /** False once a pipelined group's replies did not pair with its commands: one command at a time then. */
  pipeliningTrusted = true;
  /** Sessions that ended in an error (a timeout, a hang-up, replies that do not pair). */
  private failedSessions = 0;
  /** What record() took in since takeRecorded() was last called. */
  private lastRecorded: Work[] = [];
  /** Sessions open now (from before their connect until their last batch is in). */
  private readonly seats = new Set<Seat>();
  /** Sessions whose RSET+QUIT replies are still on their way. */
  private readonly closings = new Set<Promise<void>>();

  /** windDown: a session's closing, kept until it is done so the run does not end before it. */
  windDown(closing: Promise<void>): void {
    this.closings.add(closing);
    void closing.finally(() => this.closings.delete(closing));
  }

  /** woundDown: every session closing now, and any that closes after it, is done. */
  async woundDown(): Promise<void> {
    while (this.closings.size > 0) await Promise.all(this.closings);
  }

  /** takeRecorded: the recipients recorded since the last call (one transaction's answers). */
  takeRecorded(): Work[] {
    return this.lastRecorded.splice(0);
  }

  constructor(
    boxes: Mailbox[],
    readonly o: HostOptions,
  ) {
    this.out = {
      results: new Map(),
      catchAll: 'not-tested',
      pipelining: false,
      tls: null,
      sessions: 0,
      transactions: 0,
      rcptBatches: 0,
      maxErrors: o.maxErrors,
      throttled: false,
      escalation: o.adaptive ? 'untested' : 'fixed',
      notes: [],
      transcripts: [],
    };
    this.budget = new ErrorBudget(o.maxErrors, o.adaptive, this.out.notes);
    this.pending = boxes.map((box) => ({ box, tries: 0 }));
    // First in the queue, so it rides in the first pipelined batch and costs no round trip of its own.
    if (o.catchAllDomain)
      this.pending.unshift({ box: catchAllProbe(o.catchAllDomain), tries: 0, probe: true });
    this.sessionLimit = boxes.length + 5;
  }

  /** active: whether another session should run. */
  get active(): boolean {
    return (
      this.pending.length > 0 &&
      this.out.sessions < this.sessionLimit &&
      this.failedSessions < MAX_FAILED_SESSIONS &&
      !this.out.blocked &&
      !this.out.stopped
    );
  }

  /** seat: a session starting; give it back with unseat when it takes no more work. */
  seat(): Seat {
    const seat = { errors: 0, inFlight: 0 };
    this.seats.add(seat);
    return seat;
  }

  unseat(seat: Seat): void {
    this.seats.delete(seat);
  }

  /**
   * wantsSession: whether the work left is more than the open sessions can still take — each up
   * to the budget's limit of rejections, every address left counted as one. A session beside them
   * for less would be one more session than a single connection needs.
   */
  get wantsSession(): boolean {
    let spare = 0;
    for (const s of this.seats) spare += Math.max(0, this.budget.limit - s.errors - s.inFlight);
    return this.pending.length > spare;
  }

  /** sessionFailed: one more session at this host ended in an error. */
  sessionFailed(): void {
    this.failedSessions++;
    if (this.failedSessions === MAX_FAILED_SESSIONS) {
      this.out.notes.push(
        `${MAX_FAILED_SESSIONS} sessions at this host failed in this run: the addresses left are given up`,
      );
    }
  }

  /** claim: up to `n` recipients off the queue, so a session beside this one cannot ask them too. */
  claim(n: number): Work[] {
    return this.pending.splice(0, Math.min(n, this.pending.length));
  }

  /** giveBack: the claimed recipients that got no answer, to the front of the queue. */
  giveBack(batch: Work[]): void {
    this.pending.unshift(
      ...batch.filter(
        (w) => !this.out.results.has(w.box) && !(w.probe && this.out.catchAll !== 'not-tested'),
      ),
    );
  }

  /** record: an answered recipient (the catch-all test sets the host's catch-all instead). */
  record(w: Work, meaning: RcptMeaning, command: string, reply: Reply): void {
    this.lastRecorded.push(w);
    const evidence: Evidence = {
      host: this.o.host,
      address: this.o.address,
      method: 'rcpt',
      command,
      reply,
      session: this.out.sessions,
    };
    if (w.probe) {
      this.out.catchAll =
        reply.code === 250 || reply.code === 251 ? 'yes' : reply.code >= 500 ? 'no' : 'unknown';
      this.out.notes.push(`catch-all test: ${command} → ${reply.code}`);
      return;
    }
    this.out.results.set(w.box, { meaning, evidence: [evidence] });
  }

  /**
   * unrecord: answers that turned out not to be believable (the replies after
   * them did not pair with their commands) are taken back; those recipients are
   * asked again, and count a try each.
   */
  unrecord(works: Work[]): void {
    for (const w of works) {
      if (w.probe) this.out.catchAll = 'not-tested';
      else this.out.results.delete(w.box);
      w.tries++;
      this.pending.unshift(w);
    }
  }

  /** dropExhausted: addresses cut short in MAX_TRIES sessions are given up. */
  dropExhausted(): void {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const w = this.pending[i]!;
      if (w.tries < MAX_TRIES) continue;
      this.pending.splice(i, 1);
      if (w.probe) this.out.catchAll = 'unknown';
      else this.lose(w, `cut short in ${MAX_TRIES} sessions`, 'session-lost');
    }
  }

  /** finish: every address still pending gets its result; the budget's state goes into the outcome. */
  finish(): HostOutcome {
    const { out } = this;
    for (const w of this.pending.splice(0)) {
      if (w.probe) continue;
      if (out.blocked) {
        out.results.set(w.box, {
          meaning: {
            kind: 'verdict',
            verdict: 'unknown',
            reason: 'host-blocked',
            confidence: 'high',
          },
          evidence: [],
        });
      } else if (out.stopped) {
        const timedOut = out.stopped.code === 'TARGET_TIMEOUT';
        this.lose(
          w,
          timedOut ? 'the --timeout budget ran out first' : 'interrupted first',
          timedOut ? 'timed-out' : 'interrupted',
        );
      } else if (this.failedSessions >= MAX_FAILED_SESSIONS) {
        this.lose(w, `${MAX_FAILED_SESSIONS} sessions at this host failed`, 'session-lost');
      } else {
        this.lose(w, 'too many sessions', 'session-lost');
      }
    }
    out.maxErrors = this.budget.limit;
    out.escalation = this.budget.escalation;
    out.throttled ||= this.budget.throttled;
    return out;
  }

  private lose(w: Work, why: string, reason: Lost['reason']): void {
    this.out.results.set(w.box, { meaning: { kind: 'lost', why, reason }, evidence: [] });
  }
}

function catchAllProbe(domain: string): Mailbox {
  const localPart = madeUpLocalPart();
  const address = `${localPart}@${domain}`;
  return { input: address, localPart, domain, address, smtputf8: false };
}
