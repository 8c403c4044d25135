/**
 * The one deadline helper. `withDeadline` runs a piece of work with a signal
 * that fires at its own timeout or when the caller's signal does, whichever
 * comes first, and always cleans up its timer and listener. `Deadline` is a
 * run's budget built on it: the user's Ctrl-C and the whole-run `--timeout`
 * composed into one signal, phases under it, and sleeps that end early when it
 * fires. Connect, TLS handshake, reply reads, DNS, address resolution, backoff
 * sleeps and the greylist wait all go through here.
 */
import { ProbeError, type Stage } from '../errors.js';
import { systemClock, type Clock } from './clock.js';

/** DeadlineSpec: how long, on which clock, under which outer signal, and the errors to reject with. */
export interface DeadlineSpec {
  clock: Clock;
  /** Milliseconds until `onTimeout`; Infinity for none (the outer signal still applies). */
  ms: number;
  signal?: AbortSignal;
  onTimeout: () => Error;
  /** The error when the outer signal fires; it gets the signal's reason. */
  onAbort: (reason: unknown) => Error;
}

/**
 * withDeadline: `work`'s result, or a rejection with onTimeout()/onAbort() the
 * moment either fires. `work` receives a signal that aborts then, so it can
 * release its socket; whatever it rejects with afterwards is ignored.
 */
export function withDeadline<T>(
  spec: DeadlineSpec,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const outer = spec.signal;
  if (outer?.aborted) return Promise.reject(spec.onAbort(outer.reason));
  const controller = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let cancelTimer = (): void => {};
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      cancelTimer();
      outer?.removeEventListener('abort', onOuterAbort);
      finish();
    };
    const fail = (err: Error): void => {
      controller.abort(err);
      settle(() => reject(err));
    };
    const onOuterAbort = (): void => fail(spec.onAbort(outer?.reason));
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    if (Number.isFinite(spec.ms)) {
      cancelTimer = spec.clock.setTimer(Math.max(0, spec.ms), () => fail(spec.onTimeout()));
    }
    let running: Promise<T>;
    try {
      running = work(controller.signal);
    } catch (err) {
      settle(() => reject(err));
      return;
    }
    running.then(
      (value) => settle(() => resolve(value)),
      (err: unknown) => settle(() => reject(err)),
    );
  });
}

/** TIMEOUT_REASON: the abort reason of a whole-run deadline (a DOMException named TimeoutError, like AbortSignal.timeout's). */
const timeoutReason = (): DOMException =>
  new DOMException('the whole-run deadline (--timeout) passed', 'TimeoutError');

/** isTimeoutReason: whether an abort came from a deadline rather than from the user. */
export function isTimeoutReason(reason: unknown): boolean {
  return (reason as Error | undefined)?.name === 'TimeoutError';
}

/**
 * cancelledError: the ProbeError for a cancelled run met in `stage`:
 * TARGET_TIMEOUT when the whole-run deadline passed, ABORTED for Ctrl-C.
 */
export function cancelledError(reason: unknown, stage: Stage, target?: string): ProbeError {
  const timedOut = isTimeoutReason(reason);
  const where = target ? ` (address: ${target})` : '';
  return new ProbeError({
    code: timedOut ? 'TARGET_TIMEOUT' : 'ABORTED',
    stage,
    message: timedOut
      ? `whole-target timeout (--timeout) reached during ${stage}${where}`
      : `interrupted during ${stage}`,
    ...(target === undefined ? {} : { target }),
  });
}

/** DeadlineOptions: the clock, the whole-run budget (none when absent) and the user's signal (Ctrl-C). */
export interface DeadlineOptions {
  clock?: Clock;
  totalMs?: number;
  signal?: AbortSignal;
}

/** Deadline: see the module comment. Call dispose() when the run ends. */
export class Deadline {
  readonly clock: Clock;
  /** signal: fires on Ctrl-C or when the whole-run budget is spent (reason: a TimeoutError). */
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly endsAt: number;
  private readonly cleanups: (() => void)[] = [];

  constructor(opts: DeadlineOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.signal = this.controller.signal;
    const total = opts.totalMs ?? Number.POSITIVE_INFINITY;
    this.endsAt = this.clock.now() + total;
    const outer = opts.signal;
    if (outer?.aborted) this.controller.abort(outer.reason);
    else if (outer) {
      const onAbort = (): void => this.controller.abort(outer.reason);
      outer.addEventListener('abort', onAbort, { once: true });
      this.cleanups.push(() => outer.removeEventListener('abort', onAbort));
    }
    if (Number.isFinite(total) && !this.signal.aborted) {
      const cancel = this.clock.setTimer(total, () => this.controller.abort(timeoutReason()), {
        unref: true,
      });
      this.cleanups.push(cancel);
    }
  }

  /** remainingMs: what is left of the whole-run budget (Infinity without one). */
  remainingMs(): number {
    return Math.max(0, this.endsAt - this.clock.now());
  }

  /** cancelled: the ProbeError for this deadline's signal having fired, met in `stage`. */
  cancelled(stage: Stage, target?: string): ProbeError {
    return cancelledError(this.signal.reason, stage, target);
  }

  /**
   * phase: `work` under a phase timeout of `ms` (its own error from
   * `onTimeout`) inside this deadline (TARGET_TIMEOUT or ABORTED at `stage`).
   */
  phase<T>(
    stage: Stage,
    ms: number,
    onTimeout: () => ProbeError,
    work: (signal: AbortSignal) => Promise<T>,
    target?: string,
  ): Promise<T> {
    return withDeadline(
      {
        clock: this.clock,
        ms,
        signal: this.signal,
        onTimeout,
        onAbort: (reason) => cancelledError(reason, stage, target),
      },
      work,
    );
  }

  /** sleep: wait `ms`; rejects with TARGET_TIMEOUT or ABORTED (at `stage`) the moment the deadline fires. */
  sleep(ms: number, stage: Stage = 'wait'): Promise<void> {
    return this.phase(
      stage,
      Number.POSITIVE_INFINITY,
      () => cancelledError(undefined, stage),
      (signal) =>
        new Promise<void>((resolve) => {
          const cancel = this.clock.setTimer(ms, resolve);
          signal.addEventListener('abort', cancel, { once: true });
        }),
    );
  }

  /** child: a deadline inside this one with its own budget (verify gives each domain one); dispose it too. */
  child(totalMs?: number): Deadline {
    return new Deadline({
      clock: this.clock,
      signal: this.signal,
      ...(totalMs === undefined ? {} : { totalMs }),
    });
  }

  /** dispose: drop the timer and the listener on the user's signal. */
  dispose(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}
