/** Schemas of what reaching a server shows: each connection attempt, in the words of the one status set. */
import { z } from 'zod';
import { StatusSchema } from './envelope.js';

/** AttemptSchema: one connection attempt to one address (a host name may have several, tried in order). */
export const AttemptSchema = z.object({
  address: z.string(),
  status: StatusSchema.describe('ok, or why a sender would move on to the next address'),
  ms: z.number(),
});
export type Attempt = z.infer<typeof AttemptSchema>;
