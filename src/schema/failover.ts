/** Schema of `smtp-probe failover` results: the measured walk, the sender's timeline, the queue. */
import { z } from 'zod';
import { MxResultSchema } from './mx.js';
import { StatusSchema, envelopeSchema } from './envelope.js';

/** ProfileSchema: the sender profile the timeline follows. */
export const ProfileSchema = z.object({
  name: z.string(),
  description: z.string(),
  connectTimeoutMs: z.number(),
  greetingTimeoutMs: z.number(),
  maxAddresses: z.number().int().nullable(),
  maxSessions: z.number().int().nullable(),
  retry: z.object({
    firstRetryMs: z.number(),
    factor: z.number(),
    maxBackoffMs: z.number(),
    giveUpMs: z.number(),
  }),
  sources: z.string(),
});

/** TimelineAttemptSchema: one connection attempt of the sender, on the shared time axis. */
export const TimelineAttemptSchema = z.object({
  host: z.string(),
  preference: z.number().int(),
  address: z.string(),
  status: StatusSchema,
  assumed: z.boolean().describe('from --assume-down, not measured'),
  startMs: z.number(),
  costMs: z.number(),
  basis: z
    .enum(['measured', 'sender-connect-timeout', 'sender-greeting-timeout'])
    .describe('where costMs comes from'),
  policy: z
    .string()
    .optional()
    .describe(
      "with --mta-sts: why a sender enforcing the domain's MTA-STS policy leaves this host after STARTTLS (RFC 8461 §4.2)",
    ),
});
export type TimelineAttempt = z.infer<typeof TimelineAttemptSchema>;

/** AssumptionSchema: one --assume-down and the addresses it matched. */
export const AssumptionSchema = z.object({
  target: z.string(),
  mode: z.enum(['refused', 'blackhole']),
  matched: z.array(z.string()),
});
export type Assumption = z.infer<typeof AssumptionSchema>;

/** DeliverySchema: where the mail ends up and when. */
export const DeliverySchema = z.object({
  kind: z.enum(['delivered', 'delayed', 'deferred', 'no-mail', 'no-such-domain']),
  host: z.string().optional(),
  address: z.string().optional(),
  afterMs: z.number().optional(),
  maxDelayMs: z.number(),
  text: z.string(),
});
export type Delivery = z.infer<typeof DeliverySchema>;

/** QueueSchema: what happens to a deferred message: retries, then the bounce. */
export const QueueSchema = z.object({
  retriesAtMs: z.array(z.number()).describe('when each retry starts, from the first attempt'),
  bounceAtMs: z.number(),
});
export type Queue = z.infer<typeof QueueSchema>;

/** FailoverResultSchema: everything `failover` computed. */
export const FailoverResultSchema = z.object({
  walk: MxResultSchema,
  profile: ProfileSchema,
  assumptions: z.array(AssumptionSchema),
  attempts: z.array(TimelineAttemptSchema),
  notTried: z.array(z.object({ host: z.string(), address: z.string(), reason: z.string() })),
  delivery: DeliverySchema,
  queue: QueueSchema.nullable(),
  mtaSts: z
    .boolean()
    .describe("the sender enforces the domain's MTA-STS policy (--mta-sts; RFC 8461 §5)"),
  notes: z.array(z.string()),
});
export type FailoverResult = z.infer<typeof FailoverResultSchema>;

/** FailoverOutputSchema: the envelope `failover` prints. */
export const FailoverOutputSchema = envelopeSchema('failover', FailoverResultSchema);
