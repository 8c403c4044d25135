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

/** SetupTimingsSchema: milliseconds per stage of setting up a session (session/establish.ts); each command adds its own stages. */
export const SetupTimingsSchema = z.object({
  resolve: z.number(),
  connect: z.number(),
  tls: z.number(),
  greeting: z.number(),
  ehlo: z.number(),
  starttls: z.number(),
  ehloAfterTls: z.number(),
});

/** SETUP_STAGES: those stages, in the order they happen. */
export const SETUP_STAGES = Object.keys(
  SetupTimingsSchema.shape,
) as (keyof typeof SetupTimingsSchema.shape)[];
