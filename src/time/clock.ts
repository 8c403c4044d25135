/**
 * Clock: time and timers behind one small interface. Every wait a probe makes
 * (a phase timeout, a backoff, the greylist wait, the whole-run deadline) and
 * every duration it measures goes through one, so tests can run the same code
 * in virtual time: no sleeps, no wall-clock assertions.
 */

/** TimerOptions: `unref` lets the process exit while the timer is pending (a deadline must not keep a finished run alive). */
export interface TimerOptions {
  unref?: boolean;
}

/** Clock: see the module comment. */
export interface Clock {
  /** now: monotonic milliseconds (only differences mean anything). */
  now(): number;
  /** setTimer: call `fn` once after `ms`; returns the function that cancels it. */
  setTimer(ms: number, fn: () => void, opts?: TimerOptions): () => void;
}

/** systemClock: performance.now() and setTimeout. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn, opts) {
    const timer = setTimeout(fn, ms);
    if (opts?.unref) timer.unref();
    return () => clearTimeout(timer);
  },
};

/**
 * timeInto: run `fn` and add how long it took to `timings[stage]`, even when it throws (a stage
 * may run in parts: its time is their sum).
 */
export async function timeInto<K extends string, T>(
  clock: Clock,
  timings: Partial<Record<K, number>>,
  stage: K,
  fn: () => Promise<T>,
): Promise<T> {
  const t0 = clock.now();
  try {
    return await fn();
  } finally {
    timings[stage] = (timings[stage] ?? 0) + clock.now() - t0;
  }
}
