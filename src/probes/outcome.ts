/** ProbeOutcome and the shared start of every probe run: budget, deadline, trust, transcript, injection points. */
import { setMaxListeners } from 'node:events';
import { ProbeError, type Status } from '../errors.js';
import type { AddressResolver } from '../net/address-resolver.js';
import type { Connector } from '../net/connector.js';
import { loadTrustStore, type TrustStore } from '../net/tls.js';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../session/timeouts.js';
import { Transcript, type TranscriptEntry } from '../session/transcript.js';
import { type Clock, systemClock } from '../time/clock.js';
import { Deadline } from '../time/deadline.js';

/** ProbeOutcome: status, partial-or-full result and error together (a failure never hides what was learned). */
export interface ProbeOutcome<R> {
  status: Status;
  result: R;
  error?: ProbeError;
  startedAt: Date;
  durationMs: number;
  transcript: Transcript;
}

/** asProbeError: anything thrown inside a probe as a ProbeError; a non-ProbeError is a bug and is rethrown. */
export function asProbeError(err: unknown, elapsedMs: number): ProbeError {
  if (!(err instanceof ProbeError)) throw err;
  err.elapsedMs ??= elapsedMs;
  return err;
}

/**
 * Wiring: how a probe reaches the world. Every field has the real default;
 * tests hand in an in-memory network (connector, resolveAddresses) and a
 * virtual clock, so the same code runs without sockets or sleeps.
 */
export interface Wiring {
  connector?: Connector;
  resolveAddresses?: AddressResolver;
  clock?: Clock;
}

/** RunOptions: what every probe takes for its budget, trust, cancellation and transcript. */
export interface RunOptions extends Wiring {
  timeouts?: Partial<Timeouts>;
  caFiles?: string[];
  /** The user's Ctrl-C. */
  signal?: AbortSignal;
  onTranscript?: (entry: TranscriptEntry) => void;
}

/** Run: a probe's budget and bookkeeping, started. */
export interface Run {
  timeouts: Timeouts;
  trust: TrustStore;
  /** Ctrl-C and the whole-run --timeout, composed; every phase and wait runs under it. */
  deadline: Deadline;
  transcript: Transcript;
  wiring: Wiring;
  startedAt: Date;
  t0: number;
}

/**
 * startRun: timeouts with their defaults, the trust store, and the deadline:
 * the whole run is bounded by timeouts.targetMs unless `bounded` is false
 * (verify bounds each domain instead, with a child of this deadline).
 */
export function startRun(options: RunOptions, bounded = true): Run {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const clock = options.clock ?? systemClock;
  const deadline = new Deadline({
    clock,
    ...(bounded ? { totalMs: timeouts.targetMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // Everything in flight listens to the run's signal (each address, DNS query, policy fetch, an
  // audit's --concurrency sessions): the probe's own limits bound them, not Node's warning at 10.
  setMaxListeners(0, deadline.signal);
  return {
    timeouts,
    trust: loadTrustStore(options.caFiles),
    deadline,
    transcript: new Transcript(options.onTranscript, clock),
    wiring: { connector: options.connector, resolveAddresses: options.resolveAddresses, clock },
    startedAt: new Date(),
    t0: clock.now(),
  };
}

/** finishRun: the outcome of a run (its deadline released): status from the error, ok without one. */
export function finishRun<R>(run: Run, result: R, error?: ProbeError): ProbeOutcome<R> {
  run.deadline.dispose();
  return {
    status: error?.status ?? 'ok',
    result,
    ...(error ? { error } : {}),
    startedAt: run.startedAt,
    durationMs: run.deadline.clock.now() - run.t0,
    transcript: run.transcript,
  };
}

/** elapsed: milliseconds since the run started. */
export function elapsed(run: Run): number {
  return run.deadline.clock.now() - run.t0;
}
