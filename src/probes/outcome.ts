/** ProbeOutcome: what every probe returns — a status, the result so far, and the error if one stopped it. */
import { ProbeError, type Status } from '../errors.js';
import { Transcript, type TranscriptEntry } from '../session/transcript.js';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../session/timeouts.js';
import { loadTrustStore, type TrustStore } from '../net/tls.js';

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

/** RunOptions: what every single-target probe takes for its budget, trust and transcript. */
export interface RunOptions {
  timeouts?: Partial<Timeouts>;
  caFiles?: string[];
  signal?: AbortSignal;
  onTranscript?: (entry: TranscriptEntry) => void;
}

/** Run: a probe's budget and bookkeeping, started. */
export interface Run {
  timeouts: Timeouts;
  trust: TrustStore;
  /** Ctrl-C and the whole-target deadline, composed (the deadline's reason tells TARGET_TIMEOUT from ABORTED). */
  signal: AbortSignal;
  transcript: Transcript;
  startedAt: Date;
  t0: number;
}

/** startRun: the shared start of a probe — timeouts with defaults, trust store, deadline composed with the user's signal. */
export function startRun(options: RunOptions): Run {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const deadline = AbortSignal.timeout(timeouts.targetMs);
  return {
    timeouts,
    trust: loadTrustStore(options.caFiles),
    signal: options.signal ? AbortSignal.any([options.signal, deadline]) : deadline,
    transcript: new Transcript(options.onTranscript),
    startedAt: new Date(),
    t0: performance.now(),
  };
}
