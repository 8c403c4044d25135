/** Schema of `smtp-probe caps` results. */
import { z } from 'zod';
import { CENSUS_VERBS, SEVERITIES, SUPPORT_LEVELS } from '../vocabulary.js';
import { AttemptSchema, SetupTimingsSchema } from './connection.js';
import { CapabilitiesSchema, CapabilityChangeSchema, ReplySchema } from './smtp.js';
import { TlsReportSchema } from './tls.js';
import { envelopeSchema } from './envelope.js';

/** CensusEntrySchema: how the server treats one RFC 821/5321 verb, with the reply as evidence. */
export const CensusEntrySchema = z.object({
  verb: z.enum(CENSUS_VERBS),
  command: z
    .string()
    .describe('the exact line sent; for not-asked, the line that was held back (never sent)'),
  support: z.enum(SUPPORT_LEVELS),
  reply: ReplySchema.optional().describe('absent only for not-asked'),
  probe: z
    .object({ command: z.string(), reply: ReplySchema })
    .optional()
    .describe('the follow-up that told a blanket 252 from a real lookup'),
});
export type CensusEntry = z.infer<typeof CensusEntrySchema>;

/** FindingSchema: something an admin or auditor should look at. */
export const FindingSchema = z.object({
  id: z.string().describe('stable identifier, e.g. auth-without-tls'),
  severity: z.enum(SEVERITIES),
  message: z.string(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** TimingsSchema: milliseconds per stage; absent when the stage did not run. */
export const TimingsSchema = SetupTimingsSchema.extend({
  census: z.number(),
  quit: z.number(),
  total: z.number(),
}).partial();
export type Timings = z.infer<typeof TimingsSchema>;

/** CapsResultSchema: everything `caps` learned, even when a later stage failed. */
export const CapsResultSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  helo: z.string().describe('the name sent with EHLO/HELO'),
  addresses: z.array(z.string()).describe('addresses the host resolved to'),
  attempts: z.array(AttemptSchema),
  address: z.string().nullable().describe('the address connected to'),
  banner: z.object({ reply: ReplySchema, hostname: z.string().nullable() }).nullable(),
  hello: z
    .object({
      verb: z.enum(['EHLO', 'HELO']),
      reply: ReplySchema,
      ehloReply: ReplySchema.optional(),
    })
    .nullable(),
  capabilities: CapabilitiesSchema.nullable().describe(
    'EHLO capabilities before TLS (or over implicit TLS)',
  ),
  tls: TlsReportSchema.nullable(),
  capabilitiesAfterTls: CapabilitiesSchema.nullable(),
  capabilityChanges: CapabilityChangeSchema.nullable(),
  census: z.array(CensusEntrySchema).nullable(),
  findings: z.array(FindingSchema),
  timings: TimingsSchema,
});
export type CapsResult = z.infer<typeof CapsResultSchema>;

/** CapsOutputSchema: the envelope `caps` prints. */
export const CapsOutputSchema = envelopeSchema('caps', CapsResultSchema);
export type CapsOutput = z.infer<typeof CapsOutputSchema>;
