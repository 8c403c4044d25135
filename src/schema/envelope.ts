/**
 * The one envelope every command's output comes in: schema version, command,
 * target, status, start time, duration, result, error (and the transcript when
 * asked for). Scripts read `status` and `error.code`; both are closed sets.
 */
import { z } from 'zod';
import {
  ERROR_CODES,
  STAGES,
  STATUSES,
  type ProbeError,
  causeText,
  type ErrorCode,
} from '../errors.js';

/** SCHEMA_VERSION: bumped on any incompatible change to an output schema. */
export const SCHEMA_VERSION = 1;

/** StatusSchema: the closed status set. */
export const StatusSchema = z.enum(STATUSES);

/** ErrorInfoSchema: a ProbeError as data. */
export const ErrorInfoSchema = z.object({
  code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
  stage: z.enum(STAGES),
  message: z.string(),
  hint: z.string().describe('what to do next'),
  target: z.string().optional(),
  elapsedMs: z.number().optional(),
  cause: z.string().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

/** TranscriptEntrySchema: one line of the transcript. */
export const TranscriptEntrySchema = z.object({
  atMs: z.number().describe('milliseconds since the probe started'),
  dir: z.enum(['send', 'recv', 'note']),
  line: z.string(),
});

/** envelopeSchema: the envelope around one command's result schema. */
export function envelopeSchema<C extends string, R extends z.ZodType>(command: C, result: R) {
  return z.object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    command: z.literal(command),
    target: z.string(),
    status: StatusSchema,
    startedAt: z.string().describe('ISO 8601 start time'),
    durationMs: z.number(),
    result: result.nullable(),
    error: ErrorInfoSchema.nullable(),
    transcript: z.array(TranscriptEntrySchema).optional(),
  });
}

/** errorInfo: a ProbeError (or anything thrown) as ErrorInfo. */
export function errorInfo(err: ProbeError): ErrorInfo {
  const info: ErrorInfo = {
    code: err.code,
    stage: err.stage,
    message: err.message,
    hint: err.hint,
  };
  if (err.target !== undefined) info.target = err.target;
  if (err.elapsedMs !== undefined) info.elapsedMs = Math.round(err.elapsedMs * 10) / 10;
  const cause = causeText(err);
  if (cause !== undefined) info.cause = cause;
  return info;
}
