/**
 * runSession: one verify session at one host — set up by establish, then
 * transactions of MAIL and RCPTs until the host's queue is empty or the
 * ErrorBudget says to start afresh. After the first transaction each one
 * begins with RSET, in the same pipelined group (RFC 2920 §3.1 lets RSET lead
 * a group), so it costs no round trip; the last RSET travels with QUIT.
 * Never DATA.
 */
import { ProbeError } from '../errors.js';
import { formatEndpoint } from '../net/target.js';
import { establish } from '../session/establish.js';
import type { SmtpSession } from '../session/session.js';
import { mailFrom, rcptTo } from '../smtp/command.js';
import { isPolicy } from '../smtp/enhanced.js';
import { implausible, pairingProblem } from '../smtp/pairing.js';
import { classifyRcpt } from '../smtp/rcpt-verdict.js';
import { replyText, type Reply } from '../smtp/reply.js';
import { Transcript } from '../session/transcript.js';
import type { HostRun, Seat, Work } from './host-run.js';
import { punishOdds, sessionRoundTrips } from './error-budget.js';

/** MAX_RCPT_PER_TRANSACTION: RFC 5321 §4.5.3.1.8 obliges servers to take 100 recipients. */
export const MAX_RCPT_PER_TRANSACTION = 100;

/** Session: one open session's state. */
interface Session {
  session: SmtpSession;
  pipelining: boolean;
  /** Rejections in this session so far, and its recipients in flight, as the other sessions see them. */
  seat: Seat;
  /** A transaction is open (MAIL was sent): the next one, and the session, begin with RSET. */
  open: boolean;
  perTransaction: number;
  /**
   * The session's normal reply pace, from the EHLO round trip on: once a server punishes, it delays
   * every reply (RSET and MAIL too), and Postfix holds a pipelined batch's replies and sends them together.
   */
  baselineMs: number;
  /**
   * The answers of the last transaction, believed only once the next exchange shows the replies
   * still pair with their commands (a surplus reply shows up there, as an unsolicited one or in RSET's place).
   */
  unconfirmed: Work[];
}

/** TxResult: what one transaction did. */
interface TxResult {
  done: number;
  errors: number;
  /** The server closed (421, or the session died): no more commands in this session. */
  closing: boolean;
  /** A reply came late enough to be a punishment: end the session without waiting for more. */
  throttled: boolean;
  /** 452 4.5.3 after this many recipients: the server's per-transaction limit. */
  limit?: number;
}

/**
 * SessionEnd: how many recipients a session finished, and its RSET+QUIT still on the way: the next
 * session dials without waiting for their replies, which are read and checked all the same (a
 * reply that does not pair takes the last transaction's answers back, see close).
 */
export interface SessionEnd {
  done: number;
  closing?: Promise<void>;
}

/** runSession: see the module comment. The session holds a seat (see HostRun.wantsSession) until its last batch is in. */
export async function runSession(run: HostRun): Promise<SessionEnd> {
  const seat = run.seat();
  try {
    return await converse(run, seat);
  } finally {
    run.unseat(seat);
  }
}

async function converse(run: HostRun, seat: Seat): Promise<SessionEnd> {
  const { o, out, budget } = run;
  const live = o.onTranscript;
  const label = `${o.host} ${formatEndpoint(o.address, o.port)} #${out.sessions}`;
  const transcript = new Transcript(live ? (e) => live(e, label) : undefined, o.deadline.clock);
  if (live) {
    out.transcripts.push({
      host: o.host,
      address: o.address,
      session: out.sessions,
      entries: transcript.entries,
    });
  }
  const established = await establish(
    { input: o.address, host: o.address, port: o.port, family: o.address.includes(':') ? 6 : 4 },
    {
      connector: o.connector,
      timeouts: o.timeouts,
      deadline: o.deadline,
      transcript,
      ...(o.helo === undefined ? {} : { helo: o.helo }),
      starttls: o.starttls ? 'opportunistic' : 'off',
      tlsName: o.host,
      trust: o.trust,
    },
  );
  const caps = established.capabilitiesAfterTls ?? established.hello.capabilities;
  if (established.tls?.outcome === 'ok') out.tls = established.tls.info?.protocol ?? 'unknown';
  const s: Session = {
    session: established.session,
    pipelining: o.pipelining && caps?.pipelining === true && run.pipeliningTrusted,
    seat,
    open: false,
    perTransaction: MAX_RCPT_PER_TRANSACTION,
    baselineMs: established.timings.ehlo ?? Number.POSITIVE_INFINITY,
    unconfirmed: [],
  };
  out.pipelining = s.pipelining;
  if (caps?.smtpUtf8 !== true) refuseUtf8(run, o.fromUtf8 === true);
  // A session's cost in round trips, at the round trip EHLO took (after TLS too: the quicker one).
  const t = established.timings;
  const rttMs = Math.min(t.ehlo ?? 0, t.ehloAfterTls ?? Number.POSITIVE_INFINITY);
  const sessionMs = rttMs * sessionRoundTrips(established.tls?.outcome === 'ok');
  budget.decide(
    run.pending.length,
    sessionMs,
    o.connections ?? 1,
    punishOdds(replyText(established.banner)),
  );
  let finished = 0;
  try {
    while (run.pending.length > 0) {
      const probing = budget.probing;
      const room = budget.room(seat.errors);
      if (room <= 0) break;
      const batch = run.claim(Math.min(room, s.perTransaction));
      seat.inFlight = batch.length;
      let r: TxResult;
      try {
        r = await transaction(run, s, batch);
      } finally {
        seat.inFlight = 0;
        run.giveBack(batch);
      }
      s.open = true;
      seat.errors += r.errors;
      if (r.limit !== undefined) s.perTransaction = Math.max(1, r.limit);
      finished += r.done;
      if (r.closing) {
        s.session.close();
        return { done: finished };
      }
      if (r.throttled || out.blocked) {
        s.session.abandon(['RSET', 'QUIT']);
        return { done: finished };
      }
      budget.afterBatch(seat.errors, probing);
    }
    return { done: finished, closing: close(run, s) };
  } catch (err) {
    s.session.close();
    throw err;
  }
}

/**
 * close: RFC 5321 §4.1.1.5: RSET ends the transaction (no DATA is ever sent);
 * with PIPELINING it travels with QUIT. Their replies are the last check that
 * the session's replies still paired with its commands.
 */
async function close(run: HostRun, s: Session): Promise<void> {
  try {
    let replies: Reply[] = [];
    const commands: string[] = [];
    if (s.open && s.pipelining) {
      commands.push('RSET', 'QUIT');
      replies = await s.session.pipeline(commands, 'quit');
    } else {
      if (s.open) {
        commands.push('RSET');
        replies.push(await s.session.send('RSET', 'rset'));
      }
      const quit = await s.session.quit();
      if (quit) {
        commands.push('QUIT');
        replies.push(quit);
      }
    }
    const why = pairingProblem(commands, replies);
    if (why) doubt(run, s, why);
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    if (err.code === 'UNSOLICITED_REPLY') doubt(run, s, err.message);
    // Our FIN went with QUIT: a server may take it as the end and hang up without the last
    // replies (Postfix's own client does not wait for QUIT's). Nothing shifted; nothing is lost.
    else if (err.code !== 'CONNECTION_CLOSED') throw err;
  } finally {
    s.session.close();
  }
}

/** doubt: the last transaction's answers are not believed after all: taken back and asked again, one command at a time. */
function doubt(run: HostRun, s: Session, why: string): void {
  run.sessionFailed();
  run.unrecord(s.unconfirmed.splice(0));
  distrust(run, why);
}

// RFC 6531 §3.4: a UTF-8 local part may only be sent to a server that advertises SMTPUTF8 —
// the recipient's, or the sender's (then no recipient can be asked at all).
function refuseUtf8(run: HostRun, fromUtf8: boolean): void {
  for (let i = run.pending.length - 1; i >= 0; i--) {
    const w = run.pending[i]!;
    if (!w.box.smtputf8 && !fromUtf8) continue;
    run.pending.splice(i, 1);
    if (w.probe) continue;
    run.out.results.set(w.box, {
      meaning: {
        kind: 'verdict',
        verdict: 'unknown',
        reason: 'needs-smtputf8',
        confidence: 'high',
      },
      evidence: [],
    });
  }
  if (fromUtf8) {
    run.out.notes.push(
      'the sender address is not ASCII and the server does not offer SMTPUTF8: nothing could be asked (RFC 6531 §3.4)',
    );
  }
}

interface Timed {
  reply: Reply;
  at: number;
}

/**
 * Plan: a batch as command lines, each with the recipient it asks (none for MAIL and RSET). The
 * catch-all test goes alone in a transaction of its own at the head of the group: the first RCPT
 * of its transaction, where a server that refuses every RCPT after the first cannot mislead it,
 * and with RSET after it, so a server that refuses every RCPT after a refused one cannot turn its
 * refusal into the real addresses' either. It costs two lines, not a round trip.
 */
interface Plan {
  lines: string[];
  works: (Work | undefined)[];
}

function plan(run: HostRun, batch: Work[]): Plan {
  const { o } = run;
  const segments = batch[0]?.probe && batch.length > 1 ? [[batch[0]], batch.slice(1)] : [batch];
  const p: Plan = { lines: [], works: [] };
  for (const [k, segment] of segments.entries()) {
    const utf8 = o.fromUtf8 === true || segment.some((w) => w.box.smtputf8);
    if (k > 0) add(p, 'RSET');
    add(p, mailFrom(o.from, utf8 ? 'SMTPUTF8' : ''));
    for (const w of segment) add(p, rcptTo(w.box.address), w);
  }
  return p;
}

function add(p: Plan, line: string, w?: Work): void {
  p.lines.push(line);
  p.works.push(w);
}

const stageOf = (line: string): 'mail' | 'rset' | 'rcpt' =>
  line.startsWith('MAIL') ? 'mail' : line === 'RSET' ? 'rset' : 'rcpt';

/** transaction: MAIL and RCPTs for one batch (RSET first when a transaction is open). */
async function transaction(run: HostRun, s: Session, batch: Work[]): Promise<TxResult> {
  const { o, out } = run;
  const clock = o.deadline.clock;
  const p = plan(run, batch);
  out.transactions += p.lines.filter((l) => l.startsWith('MAIL')).length;
  const replies: Timed[] = [];
  const started = clock.now();
  const collect = (reply: Reply): void => {
    replies.push({ reply, at: clock.now() });
  };
  try {
    if (s.pipelining) {
      out.rcptBatches++;
      const group = s.open ? ['RSET', ...p.lines] : p.lines;
      const all: Reply[] = [];
      let skip = s.open ? 1 : 0;
      await s.session.pipeline(group, 'rcpt', (reply) => {
        all.push(reply);
        if (skip-- <= 0) collect(reply);
      });
      // Replies pair with commands by position: one too many, or one that cannot be the answer
      // to its command, and every pairing after it is wrong — this group's and, as the surplus may
      // have come from the group before, that one's too. Nothing of either is believed.
      const extra = s.session.takeExtra();
      const why = extra
        ? `more replies than commands (an extra ${extra.code})`
        : pairingProblem(group, all);
      if (why) {
        doubt(run, s, why);
        return CLOSING;
      }
    } else {
      const lines = s.open ? ['RSET', ...p.lines] : p.lines;
      for (const [i, line] of lines.entries()) {
        if (line !== 'RSET') out.rcptBatches++;
        const reply = await s.session.send(line, stageOf(line));
        const why = implausible(line, reply);
        if (why) {
          doubt(run, s, why);
          return CLOSING;
        }
        if (s.open && i === 0) continue;
        collect(reply);
        // A refused sender is every recipient's answer: nothing after it is asked.
        if (line.startsWith('MAIL') && reply.code !== 250) break;
      }
    }
  } catch (err) {
    // A dropped session keeps what was answered; the rest stays pending for the next session.
    if (!(err instanceof ProbeError) || err.code === 'ABORTED' || err.code === 'TARGET_TIMEOUT') {
      throw err;
    }
    // A reply nobody asked for: the answers before it may be shifted too.
    if (err.code === 'UNSOLICITED_REPLY') {
      doubt(run, s, err.message);
      return CLOSING;
    }
    // A server that said 421 closed on purpose (RFC 5321 §3.8): not a failed session.
    if (!replies.some((r) => r.reply.code === 421)) run.sessionFailed();
    const asked = p.works.filter(Boolean).length;
    // Replies that stop mid-group may be merged ones: what came cannot be trusted to pair either.
    if (s.pipelining && err.code === 'COMMAND_TIMEOUT' && replies.length > 0) {
      run.unrecord(s.unconfirmed.splice(0));
      distrust(run, `${err.code} after ${replies.length} of ${p.lines.length} replies`);
      return CLOSING;
    }
    // Only the recipient in flight when the session died is charged a try; the ones after it were never asked.
    const inFlight = p.works.slice(replies.length).find((w) => w !== undefined);
    if (inFlight) inFlight.tries++;
    const answered = p.works.slice(0, replies.length).filter(Boolean).length;
    out.notes.push(
      `session ${out.sessions}: ${err.code} during ${err.stage} after ${answered} of ${asked} recipients`,
    );
    return settled(run, s, { ...interpret(run, s, p, replies, started), closing: true });
  }
  return settled(run, s, interpret(run, s, p, replies, started));
}

/** CLOSING: a transaction that ended the session with nothing believed. */
const CLOSING: TxResult = { done: 0, errors: 0, closing: true, throttled: false };

/** settled: this transaction went by its replies: the one before it is believed now, this one until the next exchange. */
function settled(run: HostRun, s: Session, r: TxResult): TxResult {
  s.unconfirmed = run.takeRecorded();
  return r;
}

/**
 * distrust: this host's replies do not pair with their commands: every later
 * session asks one command at a time.
 */
function distrust(run: HostRun, why: string): void {
  if (!run.pipeliningTrusted) return;
  run.pipeliningTrusted = false;
  run.out.notes.push(
    `replies do not pair with their commands (${why}): the answers around it are asked again, one command at a time`,
  );
}

/** interpret: the replies to a plan's lines, in order (fewer when the session ended early). */
function interpret(run: HostRun, s: Session, p: Plan, replies: Timed[], started: number): TxResult {
  const { budget } = run;
  const result: TxResult = { done: 0, errors: 0, closing: false, throttled: false };
  const rcptReplies: Reply[] = [];
  // The MAIL reply's own latency is the server's normal pace, so even a one-RCPT batch has a baseline.
  const gapsMs: number[] = [];
  let previous = 0;
  let mailLine = '';
  let mailAt = 0;
  for (const [i, { reply, at }] of replies.entries()) {
    const line = p.lines[i]!;
    gapsMs.push(at - started - previous);
    previous = at - started;
    if (line.startsWith('MAIL')) {
      [mailLine, mailAt] = [line, i];
      if (reply.code === 250) continue;
      if (reply.code === 421) return { ...result, closing: true };
      // Sender refused: the answer for every recipient of the batch not answered yet.
      for (const w of p.works.slice(i)) {
        if (!w) continue;
        const meaning = {
          kind: 'verdict',
          verdict: 'unknown',
          reason: 'sender-rejected',
          confidence: 'high',
        } as const;
        run.record(w, meaning, mailLine, reply);
        result.done++;
      }
      return result;
    }
    const w = p.works[i];
    if (!w) continue;
    const meaning = classifyRcpt(reply);
    if (meaning.kind === 'closing') {
      w.tries++;
      budget.onClosing(reply, s.seat.errors + result.errors);
      return { ...result, closing: true };
    }
    if (meaning.kind === 'too-many-recipients') {
      // The recipients of this transaction before this one: the server's limit.
      return { ...result, limit: i - mailAt - 1 };
    }
    run.record(w, meaning, `RCPT TO:<${w.box.address}>`, reply);
    rcptReplies.push(reply);
    result.done++;
    if (reply.code >= 500) result.errors++;
  }
  // Judged once the batch is in: a server that holds replies (Postfix) delays the whole batch, not one reply.
  const observation = {
    errorsBefore: s.seat.errors,
    errors: result.errors,
    gapsMs,
    baselineMs: s.baselineMs,
  };
  if (budget.judge(observation)) result.throttled = true;
  else if (gapsMs.length > 0) s.baselineMs = Math.min(s.baselineMs, ...gapsMs);
  noteBlock(run, rcptReplies);
  return result;
}

/**
 * noteBlock: a batch of two or more whose every RCPT got a 5xx by policy is
 * the host refusing *us* (an RBL listing, a policy on our address), not a
 * verdict on mailboxes: stop probing it, and say so.
 */
function noteBlock(run: HostRun, rcptReplies: Reply[]): void {
  if (rcptReplies.length < 2 || !rcptReplies.every((r) => r.code >= 500 && isPolicy(r))) return;
  const first = rcptReplies[0]!;
  run.out.blocked = `${first.code} ${first.lines[0] ?? ''}`;
  run.out.notes.push(
    `the host refuses us by policy (${run.out.blocked}): probing stopped; try from another address or ask its postmaster`,
  );
}
