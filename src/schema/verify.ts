/** Schema of `smtp-probe verify` results: one verdict per address, with evidence; one report per domain. */
import { z } from 'zod';
import { ReplySchema } from './smtp.js';
import { TranscriptEntrySchema, envelopeSchema } from './envelope.js';

/**
 * VerifyVerdictSchema: what a sender can expect for an address; `invalid`: a
 * --file line that is not an address (nothing was sent for it); `not-asked`:
 * the run was interrupted before the address was asked (never a real verdict).
 */
export const VerifyVerdictSchema = z.enum([
  'deliverable',
  'undeliverable',
  'risky',
  'unknown',
  'no-mail',
  'invalid',
  'not-asked',
]);
export type VerifyVerdict = z.infer<typeof VerifyVerdictSchema>;

/** ReasonSchema: why, as a stable word (from status codes and enhanced codes, RFC 3463). */
export const ReasonSchema = z.enum([
  'accepted',
  'will-forward',
  'catch-all',
  'bad-mailbox',
  'bad-domain',
  'mailbox-full',
  'mailbox-disabled',
  'policy',
  'temporary',
  'greylisted',
  'rejected',
  'cannot-verify',
  'sender-rejected',
  'null-mx',
  'no-such-domain',
  'no-usable-host',
  'dns-failure',
  'session-lost',
  'needs-smtputf8',
  'host-blocked',
  'timed-out',
  'interrupted',
  'invalid-address',
]);
export type Reason = z.infer<typeof ReasonSchema>;

/** EvidenceSchema: the exchange a verdict rests on. */
export const EvidenceSchema = z.object({
  host: z.string(),
  address: z.string(),
  method: z.enum(['rcpt', 'vrfy']),
  command: z.string(),
  reply: ReplySchema,
  session: z.number().int().describe('which session of this domain (1 = first)'),
});
export type Evidence = z.infer<typeof EvidenceSchema>;

/** AddressVerdictSchema: one input address, exactly once in the output. */
export const AddressVerdictSchema = z.object({
  input: z.string(),
  address: z
    .string()
    .nullable()
    .describe('normalized mailbox; null when the input is not an address'),
  domain: z.string().nullable(),
  verdict: VerifyVerdictSchema,
  reason: ReasonSchema,
  confidence: z.enum(['high', 'medium', 'low']),
  evidence: z.array(EvidenceSchema),
  note: z.string().optional(),
  line: z.number().int().min(1).optional().describe('the line of --file it came from'),
});
export type AddressVerdict = z.infer<typeof AddressVerdictSchema>;

/** DomainReportSchema: how a domain's host was probed. */
export const DomainReportSchema = z.object({
  domain: z.string(),
  host: z.string().nullable(),
  address: z.string().nullable(),
  mx: z.string().describe("the MX walk's outcome in words"),
  catchAll: z.enum(['yes', 'no', 'unknown', 'not-tested']),
  pipelining: z.boolean(),
  tls: z.string().nullable(),
  sessions: z.number().int(),
  transactions: z.number().int(),
  rcptBatches: z.number().int().describe('round trips spent on RCPT batches'),
  maxErrorsPerSession: z.number().int(),
  throttled: z
    .boolean()
    .describe('the server slowed its replies or dropped the session for too many errors'),
  notes: z.array(z.string()),
  transcripts: z
    .array(
      z.object({
        host: z.string(),
        address: z.string(),
        session: z.number().int().min(1),
        entries: z.array(TranscriptEntrySchema),
      }),
    )
    .optional()
    .describe("with --transcript: every session at this domain's hosts, line by line"),
});
export type DomainReport = z.infer<typeof DomainReportSchema>;

/** VerifyResultSchema: everything `verify` found. */
export const VerifyResultSchema = z.object({
  from: z.string().describe('the MAIL FROM reverse path used'),
  addresses: z.array(AddressVerdictSchema),
  domains: z.array(DomainReportSchema),
  counts: z.record(z.string(), z.number().int()),
});
export type VerifyResult = z.infer<typeof VerifyResultSchema>;

/** VerifyOutputSchema: the envelope `verify` prints. */
export const VerifyOutputSchema = envelopeSchema('verify', VerifyResultSchema);
