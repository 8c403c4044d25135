/** ProbeOutcome: what every probe returns — a status, the result so far, and the error if one stopped it. */
import { ProbeError, type Status } from '../errors.js';
import type { Transcript } from '../net/transcript.js';

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
