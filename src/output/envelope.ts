/** toEnvelope: a probe outcome in the one output envelope (schema/envelope.ts). */
import { errorInfo } from '../error-info.js';
import type { ErrorInfo } from '../schema/envelope.js';
import { SCHEMA_VERSION } from '../vocabulary.js';
import type { Status } from '../errors.js';
import type { TranscriptEntry } from '../session/transcript.js';
import type { ProbeOutcome } from '../probes/outcome.js';
import { roundMs } from '../time/duration.js';

/** Envelope: the printed form of one target's outcome. */
export interface Envelope<C extends string, R> {
  schemaVersion: typeof SCHEMA_VERSION;
  command: C;
  target: string;
  status: Status;
  startedAt: string;
  durationMs: number;
  result: R | null;
  error: ErrorInfo | null;
  transcript?: TranscriptEntry[];
}

/** toEnvelope: see the module comment. The transcript is included only when asked for. */
export function toEnvelope<C extends string, R>(
  command: C,
  target: string,
  outcome: ProbeOutcome<R>,
  withTranscript = false,
): Envelope<C, R> {
  const env: Envelope<C, R> = {
    schemaVersion: SCHEMA_VERSION,
    command,
    target,
    status: outcome.status,
    startedAt: outcome.startedAt.toISOString(),
    durationMs: roundMs(outcome.durationMs),
    result: outcome.result,
    error: outcome.error ? errorInfo(outcome.error) : null,
  };
  if (withTranscript)
    env.transcript = outcome.transcript.entries.map((e) => ({ ...e, atMs: roundMs(e.atMs) }));
  return env;
}
