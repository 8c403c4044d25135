/**
 * verifyOnHost: RCPT TO for many mailboxes at one MX address — pipelined
 * when the server advertises PIPELINING (RFC 2920), in transactions of at
 * most the server's recipient limit, in sessions that stay under a budget
 * of rejected recipients (stock Postfix slows every reply after 10 errors
 * and drops the session after 20). Never DATA: every transaction ends with
 * RSET, every session with QUIT. No address is lost: one cut short by a
 * dropped session is retried in the next one.
 */
import { randomBytes } from 'node:crypto';
import { ProbeError } from '../errors.js';
import type { Timeouts } from '../session/timeouts.js';
import type { SmtpSession } from '../session/session.js';
import { defaultHeloName } from '../session/helo-name.js';
import { formatEndpoint } from '../net/target.js';
import type { TrustStore } from '../net/tls.js';
import { Transcript } from '../session/transcript.js';
import { mailFrom, rcptTo } from '../smtp/command.js';
import type { Mailbox } from '../smtp/address.js';
import type { Reply } from '../smtp/reply.js';
import { classifyRcpt, type RcptMeaning } from '../smtp/rcpt-verdict.js';
import type { Evidence } from '../schema/verify.js';
import { openSession, upgradeSession, type OpenProgress } from './open.js';

/** MAX_RCPT_PER_TRANSACTION: RFC 5321 §4.5.3.1.8 obliges servers to take 100 recipients. */
export const MAX_RCPT_PER_TRANSACTION = 100;
/** DEFAULT_MAX_ERRORS: rejected recipients per session; one under Postfix's smtpd_soft_error_limit (10). */
export const DEFAULT_MAX_ERRORS = 9;
/** THROTTLE_GAP_MS: a reply this much slower than the others means the server is punishing errors (Postfix sleeps 1 s). */
export const THROTTLE_GAP_MS = 500;
/** ESCALATED_MAX_ERRORS: the budget once a server has shown it does not punish rejections at Postfix's limit. */
export const ESCALATED_MAX_ERRORS = 10_000;
/** MAX_TRIES: sessions an address may be cut short in before it is given up as unknown. */
const MAX_TRIES = 3;

/** HostOptions: where and how. */
export interface HostOptions {
  host: string;
  address: string;
  port: number;
  from: string;
  helo?: string;
  starttls: boolean;
  pipelining: boolean;
  maxErrors: number;
  /** Sessions at this host at once (default 1: one connection per MX host, as a polite sender). */
  connections?: number;
  /**
   * Probe past the budget once (two more recipients): a server that does not
   * slow down there gets far bigger sessions; one that does keeps the budget.
   */
  adaptive: boolean;
  trust: TrustStore;
  timeouts: Timeouts;
  signal?: AbortSignal;
  /** Test the domain for a catch-all with one random local part. */
  catchAllDomain?: string;
}

/** HostOutcome: per-mailbox meanings with evidence, and how the host behaved. */
export interface HostOutcome {
  results: Map<
    Mailbox,
    { meaning: RcptMeaning | { kind: 'lost'; why: string }; evidence: Evidence[] }
  >;
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
  /** untested: not yet probed past the budget; raised: it did not punish; fixed: it did (or the user set the budget). */
  escalation: 'untested' | 'raised' | 'fixed';
  notes: string[];
}

interface Work {
  box: Mailbox;
  tries: number;
  probe?: boolean;
}

/** verifyOnHost: see the module comment. Throws only when the host cannot be reached at all in the first session. */
export async function verifyOnHost(boxes: Mailbox[], o: HostOptions): Promise<HostOutcome> {
  const out: HostOutcome = {
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
  };
  const pending: Work[] = boxes.map((box) => ({ box, tries: 0 }));
  if (o.catchAllDomain)
    pending.unshift({ box: randomMailbox(o.catchAllDomain), tries: 0, probe: true });
  const limit = boxes.length + 5;
  // The first session runs alone: it proves the host usable (or throws, and the caller tries the next MX).
  await sessionLoop(pending, o, out, limit, true);
  const workers = Math.max(1, Math.min(o.connections ?? 1, MAX_CONNECTIONS));
  await Promise.all(
    Array.from({ length: workers }, () => sessionLoop(pending, o, out, limit, false)),
  );
  const why = out.blocked ? 'the host refuses us by policy' : 'too many sessions';
  for (const w of pending) {
    if (!w.probe)
      out.results.set(w.box, {
        meaning: out.blocked
          ? { kind: 'verdict', verdict: 'unknown', reason: 'host-blocked', confidence: 'high' }
          : { kind: 'lost', why },
        evidence: [],
      });
  }
  return out;
}

/** MAX_CONNECTIONS: the most sessions at one host at once, however asked (politeness has a ceiling). */
export const MAX_CONNECTIONS = 8;

/** sessionLoop: sessions one after another until the work is done (or, with `once`, just one). */
async function sessionLoop(
  pending: Work[],
  o: HostOptions,
  out: HostOutcome,
  limit: number,
  once: boolean,
): Promise<void> {
  let backoffMs = 0;
  while (pending.length > 0 && out.sessions < limit && !out.blocked) {
    if (backoffMs > 0) await sleep(backoffMs, o.signal);
    out.sessions++;
    const first = out.sessions === 1;
    try {
      const done = await runSession(pending, o, out);
      // A session that got nothing done before the server hung up: give it time before the next (polite backoff on 421).
      backoffMs =
        pending.length > 0 && done === 0
          ? Math.min(MAX_BACKOFF_MS, Math.max(FIRST_BACKOFF_MS, backoffMs * 2))
          : 0;
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      if (first && out.transactions === 0) throw err;
      out.notes.push(`session ${out.sessions}: ${err.code} at ${err.stage}`);
      const next = pending[0];
      if (next) next.tries++;
    }
    dropExhausted(pending, out);
    if (once) return;
  }
}

function dropExhausted(pending: Work[], out: HostOutcome): void {
  for (let i = pending.length - 1; i >= 0; i--) {
    const w = pending[i]!;
    if (w.tries < MAX_TRIES) continue;
    pending.splice(i, 1);
    if (w.probe) out.catchAll = 'unknown';
    else
      out.results.set(w.box, {
        meaning: { kind: 'lost', why: `cut short in ${MAX_TRIES} sessions` },
        evidence: [],
      });
  }
}

/** FIRST_BACKOFF_MS / MAX_BACKOFF_MS: the wait before a new session after one that ended with nothing done (421), doubling. */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

function randomMailbox(domain: string): Mailbox {
  const localPart = `smtp-probe-${randomBytes(6).toString('hex')}`;
  return {
    input: `${localPart}@${domain}`,
    localPart,
    domain,
    address: `${localPart}@${domain}`,
    smtputf8: false,
  };
}

async function openVerified(
  o: HostOptions,
  out: HostOutcome,
): Promise<{ session: SmtpSession; pipelining: boolean; smtputf8: boolean; ehloMs: number }> {
  const progress: OpenProgress = { addresses: [], attempts: [], address: null, timings: {} };
  const target = {
    input: o.address,
    host: o.address,
    port: o.port,
    family: o.address.includes(':') ? 6 : 4,
  } as const;
  const open = {
    timeouts: o.timeouts,
    signal: o.signal,
    transcript: new Transcript(),
    implicitTls: false,
    trust: o.trust,
    tlsName: o.host,
  };
  try {
    const { session, banner } = await openSession(target, open, progress);
    const endpoint = formatEndpoint(o.address, o.port);
    if (banner.code !== 220)
      throw new ProbeError({
        code: 'GREETING_REJECTED',
        stage: 'greeting',
        target: endpoint,
        message: `greeting ${banner.code}`,
      });
    const name = o.helo ?? defaultHeloName(progress.localAddress);
    const t0 = performance.now();
    let hello = await session.hello(name);
    const ehloMs = performance.now() - t0;
    if (hello.reply.code !== 250)
      throw new ProbeError({
        code: 'HELLO_REJECTED',
        stage: 'ehlo',
        target: endpoint,
        message: `${hello.verb} ${hello.reply.code}`,
      });
    if (o.starttls && hello.capabilities?.starttls) {
      const { tls } = await upgradeSession(session, {
        servername: o.host,
        trust: o.trust,
        timeouts: o.timeouts,
        signal: o.signal,
        endpoint,
      });
      if (tls) {
        out.tls = tls.getProtocol();
        hello = await session.hello(name);
      }
    }
    return {
      session,
      pipelining: o.pipelining && hello.capabilities?.pipelining === true,
      smtputf8: hello.capabilities?.smtpUtf8 === true,
      ehloMs,
    };
  } catch (err) {
    progress.session?.close();
    throw err;
  }
}

/** runSession: one session; claims batches from `pending` (other sessions may run beside it) and returns how many it finished. */
async function runSession(pending: Work[], o: HostOptions, out: HostOutcome): Promise<number> {
  const { session, pipelining, smtputf8, ehloMs } = await openVerified(o, out);
  out.pipelining = pipelining;
  if (!smtputf8) refuseUtf8(pending, out);
  let errors = 0;
  let perTransaction = MAX_RCPT_PER_TRANSACTION;
  let open = false;
  let finished = 0;
  // The session's normal pace, from the EHLO round trip on: once a server punishes, it delays *every* reply
  // (RSET and MAIL too), and Postfix holds a pipelined batch's replies and sends them together, late.
  const pace = { baselineMs: ehloMs };
  try {
    while (pending.length > 0) {
      // Untested server: go two past the budget in this very batch (no extra round trip) and watch the replies.
      const probing = out.escalation === 'untested';
      const budget = out.maxErrors - errors + (probing ? 2 : 0);
      if (budget <= 0) break;
      // Claimed, so a session beside this one cannot ask the same recipients; whatever stays unanswered goes back.
      const batch = pending.splice(0, Math.min(budget, perTransaction, pending.length));
      let r: TxResult;
      try {
        r = await transaction(session, batch, pipelining, open, errors, pace, o, out);
      } finally {
        pending.unshift(
          ...batch.filter(
            (w) => !out.results.has(w.box) && !(w.probe && out.catchAll !== 'not-tested'),
          ),
        );
      }
      out.transactions++;
      open = true;
      errors += r.errors;
      if (r.limit !== undefined) perTransaction = Math.max(1, r.limit);
      finished += r.done.length;
      if (r.closing) {
        session.close();
        return finished;
      }
      if (r.throttled || out.blocked) {
        session.abandon(['RSET', 'QUIT']);
        return finished;
      }
      if (probing && errors >= o.maxErrors + 2) {
        out.escalation = 'raised';
        out.maxErrors = ESCALATED_MAX_ERRORS;
        out.notes.push(
          `no slowdown after ${errors} rejected recipients: sessions are no longer split by rejections`,
        );
      }
    }
    // RFC 5321 §4.1.1.5: RSET ends the transaction (no DATA is ever sent); with PIPELINING it travels with QUIT.
    if (open && pipelining) await session.pipeline(['RSET', 'QUIT'], 'quit');
    else if (open) await session.send('RSET', 'rset');
    if (!(open && pipelining)) await session.quit();
    session.close();
    return finished;
  } catch (err) {
    session.close();
    throw err;
  }
}

// RFC 6531 §3.4: a UTF-8 local part may only be sent to a server that advertises SMTPUTF8.
function refuseUtf8(pending: Work[], out: HostOutcome): void {
  for (let i = pending.length - 1; i >= 0; i--) {
    const w = pending[i]!;
    if (!w.box.smtputf8) continue;
    pending.splice(i, 1);
    out.results.set(w.box, {
      meaning: {
        kind: 'verdict',
        verdict: 'unknown',
        reason: 'needs-smtputf8',
        confidence: 'high',
      },
      evidence: [],
    });
  }
}

interface TxResult {
  done: Work[];
  errors: number;
  closing: boolean;
  /** A reply came late enough to be a punishment: end the session without waiting for more. */
  throttled: boolean;
  limit?: number;
}

/**
 * transaction: MAIL and RCPTs for one batch. After the first transaction of a
 * session the previous one is RSET first — in the same pipelined group
 * (RFC 2920 §3.1 lets RSET lead a group), so it costs no round trip.
 */
async function transaction(
  session: SmtpSession,
  batch: Work[],
  pipelining: boolean,
  reset: boolean,
  errorsBefore: number,
  pace: { baselineMs: number },
  o: HostOptions,
  out: HostOutcome,
): Promise<TxResult> {
  const utf8 = batch.some((w) => w.box.smtputf8);
  const lines = [
    mailFrom(o.from, utf8 ? 'SMTPUTF8' : ''),
    ...batch.map((w) => rcptTo(w.box.address)),
  ];
  const replies: { reply: Reply; at: number }[] = [];
  const started = performance.now();
  const collect = (reply: Reply): void => {
    replies.push({ reply, at: performance.now() });
  };
  try {
    if (pipelining) {
      out.rcptBatches++;
      let skip = reset ? 1 : 0;
      await session.pipeline(reset ? ['RSET', ...lines] : lines, 'rcpt', (reply) =>
        skip-- > 0 ? undefined : collect(reply),
      );
    } else {
      if (reset) await session.send('RSET', 'rset');
      for (const line of lines) {
        out.rcptBatches++;
        collect(await session.send(line, line.startsWith('MAIL') ? 'mail' : 'rcpt'));
        if (replies.length === 1 && replies[0]!.reply.code !== 250) break;
      }
    }
  } catch (err) {
    // A dropped session keeps what was answered; the rest stays pending for the next session.
    if (!(err instanceof ProbeError)) throw err;
    // Only the recipient in flight when the session died is charged a try; the ones after it were never asked.
    const inFlight = batch[Math.max(0, replies.length - 1)];
    if (inFlight) inFlight.tries++;
    out.notes.push(
      `session ${out.sessions}: ${err.code} during ${err.stage} after ${Math.max(0, replies.length - 1)} of ${batch.length} recipients`,
    );
    return { ...interpret(batch, replies, started, errorsBefore, pace, o, out), closing: true };
  }
  return interpret(batch, replies, started, errorsBefore, pace, o, out);
}

function interpret(
  batch: Work[],
  replies: { reply: Reply; at: number }[],
  started: number,
  errorsBefore: number,
  pace: { baselineMs: number },
  o: HostOptions,
  out: HostOutcome,
): TxResult {
  const result: TxResult = { done: [], errors: 0, closing: false, throttled: false };
  const mail = replies[0];
  if (!mail) return result;
  if (mail.reply.code !== 250) {
    if (mail.reply.code === 421) return { ...result, closing: true };
    for (const w of batch)
      record(
        w,
        { kind: 'verdict', verdict: 'unknown', reason: 'sender-rejected', confidence: 'high' },
        `MAIL FROM:<${o.from}>`,
        mail.reply,
        o,
        out,
        result,
      );
    return result;
  }
  let previous = mail.at - started;
  // The MAIL reply's own latency is the server's normal pace, so even a one-RCPT batch has a baseline.
  const gaps: number[] = [previous];
  for (let i = 1; i < replies.length; i++) {
    const { reply, at } = replies[i]!;
    const w = batch[i - 1]!;
    gaps.push(at - started - previous);
    previous = at - started;
    const meaning = classifyRcpt(reply);
    if (meaning.kind === 'closing') {
      w.tries++;
      // 421 4.7.0 after rejections is an error limit (Postfix's "too many errors"): stay under it from now on.
      if (reply.enhanced === '4.7.0' && errorsBefore + result.errors > 0)
        lowerBudget(
          out,
          errorsBefore + result.errors,
          `session dropped with ${reply.code} after ${errorsBefore + result.errors} rejected recipients`,
        );
      return { ...result, closing: true };
    }
    if (meaning.kind === 'too-many-recipients') return { ...result, limit: i - 1 };
    record(w, meaning, `RCPT TO:<${w.box.address}>`, reply, o, out, result);
    if (reply.code >= 500) result.errors++;
  }
  // Judged once the batch is in: a server that holds replies (Postfix) delays the whole batch, not one reply.
  if (gaps.some((g) => isThrottled(g, pace.baselineMs))) {
    result.throttled = true;
    lowerBudget(
      out,
      errorsBefore + result.errors,
      `replies slowed with ${errorsBefore + result.errors} rejected recipients in the session`,
    );
  } else {
    pace.baselineMs = Math.min(pace.baselineMs, ...gaps);
  }
  noteBlock(
    replies.slice(1).map((x) => x.reply),
    out,
  );
  return result;
}

/**
 * noteBlock: a batch of two or more whose every RCPT got a 5xx X.7.X is the
 * host refusing *us* (an RBL listing, a policy on our address), not a verdict
 * on mailboxes: stop probing it, and say so.
 */
function noteBlock(rcptReplies: Reply[], out: HostOutcome): void {
  if (
    rcptReplies.length < 2 ||
    !rcptReplies.every((r) => r.code >= 500 && r.enhanced?.startsWith('5.7.'))
  )
    return;
  const first = rcptReplies[0]!;
  out.blocked = `${first.code} ${first.lines[0] ?? ''}`;
  out.notes.push(
    `the host refuses us by policy (${out.blocked}): probing stopped; try from another address or ask its postmaster`,
  );
}

function lowerBudget(out: HostOutcome, errorsSeen: number, why: string): void {
  const budget = Math.max(1, Math.min(out.maxErrors, errorsSeen - 1));
  out.throttled = true;
  out.escalation = 'fixed';
  if (budget === out.maxErrors && out.notes.some((n) => n.includes('sessions now stop at'))) return;
  out.maxErrors = budget;
  out.notes.push(`${why}: sessions now stop at ${budget}`);
}

// A reply far slower than the session's normal pace is a punishment delay.
function isThrottled(gapMs: number, baselineMs: number): boolean {
  return Number.isFinite(baselineMs) && gapMs > baselineMs + THROTTLE_GAP_MS;
}

function record(
  w: Work,
  meaning: RcptMeaning,
  command: string,
  reply: Reply,
  o: HostOptions,
  out: HostOutcome,
  tx: TxResult,
): void {
  tx.done.push(w);
  const evidence: Evidence = {
    host: o.host,
    address: o.address,
    method: 'rcpt',
    command,
    reply,
    session: out.sessions,
  };
  if (w.probe) {
    out.catchAll =
      reply.code === 250 || reply.code === 251 ? 'yes' : reply.code >= 500 ? 'no' : 'unknown';
    out.notes.push(`catch-all test: ${command} → ${reply.code}`);
    return;
  }
  out.results.set(w.box, { meaning, evidence: [evidence] });
}
