/**
 * verifyOnHost: RCPT TO for many mailboxes at one MX address — pipelined
 * when the server advertises PIPELINING (RFC 2920), in transactions of at
 * most the server's recipient limit, in sessions that stay under the host's
 * ErrorBudget. Never DATA: every transaction ends with RSET, every session
 * with QUIT. No address is lost: one cut short by a dropped session is
 * retried in the next one.
 */
import { ProbeError } from '../errors.js';
import type { Mailbox } from '../smtp/address.js';
import { type HostOptions, type HostOutcome, HostRun } from './host-run.js';
import { runSession } from './verify-session.js';

/** MAX_CONNECTIONS: the most sessions at one host at once, however asked (politeness has a ceiling). */
export const MAX_CONNECTIONS = 8;
/** FIRST_BACKOFF_MS / MAX_BACKOFF_MS: the wait before a new session after one that ended with nothing done (421), doubling. */
export const FIRST_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 8_000;

export type { HostOptions, HostOutcome };

/**
 * verifyOnHost: see the module comment. Throws only when the host cannot be
 * used at all (the first session fails before any transaction), so the caller
 * can try the next MX; a cancelled run returns what it has (outcome.stopped).
 */
export async function verifyOnHost(boxes: Mailbox[], o: HostOptions): Promise<HostOutcome> {
  const run = new HostRun(boxes, o);
  // The first session runs alone: it proves the host usable (or throws, and the caller tries the next MX).
  await sessionLoop(run, true);
  const workers = Math.max(1, Math.min(o.connections ?? 1, MAX_CONNECTIONS));
  // A session's closing replies can still take its last answers back (see runSession): more work then.
  do {
    await Promise.all(Array.from({ length: workers }, () => sessionLoop(run, false)));
    await run.woundDown();
  } while (run.active);
  return run.finish();
}

/** sessionLoop: sessions one after another until the work is done (or, with `once`, just one). */
async function sessionLoop(run: HostRun, once: boolean): Promise<void> {
  const { out, o } = run;
  let backoffMs = 0;
  while (run.active) {
    // Beside a session that can take every address left, another would only add a session.
    if (!once && !run.wantsSession) return;
    try {
      if (backoffMs > 0) await o.deadline.sleep(backoffMs, 'wait');
      const n = ++out.sessions;
      try {
        const { done, closing } = await runSession(run);
        if (closing) run.windDown(closing.catch((err: unknown) => failed(run, err, n)));
        // A session that got nothing done before the server hung up: give it time before the next (polite backoff on 421).
        backoffMs =
          run.pending.length > 0 && done === 0
            ? Math.min(MAX_BACKOFF_MS, Math.max(FIRST_BACKOFF_MS, backoffMs * 2))
            : 0;
      } catch (err) {
        if (!(err instanceof ProbeError) || isCancel(err)) throw err;
        if (n === 1 && out.transactions === 0) throw err;
        failed(run, err, n);
        // The address in flight when the session died is charged a try (a closing session has none).
        const next = run.pending[0];
        if (next) next.tries++;
      }
    } catch (err) {
      if (!(err instanceof ProbeError) || !isCancel(err)) throw err;
      stopped(run, err);
      return;
    }
    run.dropExhausted();
    if (once) return;
  }
}

/** failed: session `n` ended in an error; a cancel stops the run, anything but a ProbeError is a bug. */
function failed(run: HostRun, err: unknown, n: number): void {
  if (!(err instanceof ProbeError)) throw err;
  if (isCancel(err)) {
    stopped(run, err);
    return;
  }
  run.sessionFailed();
  run.out.notes.push(`session ${n}: ${err.code} at ${err.stage}`);
}

function stopped(run: HostRun, err: ProbeError): void {
  if (run.out.stopped) return;
  run.out.stopped = err;
  run.out.notes.push(`stopped: ${err.message}`);
}

function isCancel(err: ProbeError): boolean {
  return err.code === 'ABORTED' || err.code === 'TARGET_TIMEOUT';
}
