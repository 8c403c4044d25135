/**
 * The one envelope every command's output comes in: schema version, command,
 * target, status, start time, duration, result, error (and the transcript when
 * asked for). Scripts read `status` and `error.code`; both are closed sets.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { SCHEMA_VERSION, STAGES, STATUSES } from '../vocabulary.js';

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
