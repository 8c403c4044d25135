/** Schemas of what reaching a server shows: each connection attempt, in the words of the one status set. */
import { z } from 'zod';
import { SETUP_STAGES, type SetupStage } from '../vocabulary.js';
import { StatusSchema } from './envelope.js';

/** AttemptSchema: one connection attempt to one address (a host name may have several, tried in order). */
export const AttemptSchema = z.object({
  address: z.string(),
  status: StatusSchema.describe('ok, or why a sender would move on to the next address'),
  ms: z.number(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

/** SetupTimingsSchema: milliseconds per stage of setting up a session; each command adds its own stages. */
export const SetupTimingsSchema = z.object(
  Object.fromEntries(SETUP_STAGES.map((stage) => [stage, z.number()])) as Record<
    SetupStage,
    z.ZodNumber
  >,
);
