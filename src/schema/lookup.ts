/**
 * Schemas of `smtp-probe vrfy` and `smtp-probe expn` results: one item per
 * argument (and per form, with --both-forms), each with its reply as
 * evidence, and a finding on what the server discloses.
 */
import { z } from 'zod';
import { LOOKUP_MEANINGS } from '../vocabulary.js';
import { ReplySchema } from './smtp.js';
import { envelopeSchema } from './envelope.js';

/** LookupMeaningSchema: what one reply means (RFC 5321 §3.5; see LOOKUP_MEANINGS). */
export const LookupMeaningSchema = z
  .enum(LOOKUP_MEANINGS)
  .describe(
    'from the reply code and enhanced code only; cannot-verify (252) does NOT mean the name exists',
  );

/** NamedMailboxSchema: a mailbox as the reply shows it (`Full Name <address>` or a bare address). */
export const NamedMailboxSchema = z.object({
  name: z.string().optional().describe('the display name, when the reply gives one'),
  address: z
    .string()
    .describe('as the server wrote it; for an EXPN line that names no mailbox, the whole line'),
});
export type NamedMailboxOutput = z.infer<typeof NamedMailboxSchema>;

/** LookupItemSchema: one name asked about, exactly once per argument and form. */
export const LookupItemSchema = z.object({
  query: z.string().describe('the argument as given'),
  form: z
    .enum(['user', 'mailbox'])
    .describe(
      'what was sent: a bare user name or user@domain (--both-forms asks each argument in both)',
    ),
  command: z
    .string()
    .nullable()
    .describe('the exact line sent; null when nothing was sent (see note)'),
  meaning: LookupMeaningSchema,
  mailbox: NamedMailboxSchema.optional().describe('250 to VRFY: the mailbox the server returned'),
  forwardPath: z
    .string()
    .optional()
    .describe('251/551: where the server forwards to, or says to try'),
  members: z.array(NamedMailboxSchema).optional().describe('250 to EXPN: one per reply line'),
  candidates: z
    .array(NamedMailboxSchema)
    .optional()
    .describe('553 (ambiguous): the possibilities a multi-line reply lists'),
  reply: ReplySchema.optional().describe('absent only for not-asked'),
  session: z
    .number()
    .int()
    .min(1)
    .nullable()
    .describe('which session asked it (1 = first); null when not asked'),
  reconnected: z
    .boolean()
    .optional()
    .describe('true when asked in a session opened after the server closed one with 421'),
  note: z.string().optional(),
});
export type LookupItem = z.infer<typeof LookupItemSchema>;

/** LookupTlsSchema: STARTTLS in the (first) session: a VRFY policy may differ after TLS. */
export const LookupTlsSchema = z.object({
  outcome: z.enum(['ok', 'refused']).describe('refused: the lookups ran in clear'),
  protocol: z.string().optional(),
  reply: ReplySchema.optional().describe('the reply to STARTTLS when it was refused'),
});

/** LookupResultSchema: everything `vrfy` or `expn` learned, even when a later stage failed. */
export const LookupResultSchema = z.object({
  verb: z.enum(['VRFY', 'EXPN']),
  host: z.string(),
  port: z.number().int(),
  address: z.string().nullable().describe('the address connected to (the first session)'),
  banner: ReplySchema.nullable(),
  helo: z.string().describe('the name sent with EHLO/HELO'),
  hello: z.enum(['EHLO', 'HELO']).nullable(),
  tls: LookupTlsSchema.nullable().describe('null: not offered, --no-starttls, or not reached'),
  domain: z
    .string()
    .nullable()
    .describe("the domain --both-forms appends (--domain, else the banner's host name)"),
  sessions: z.number().int().describe('sessions opened; more than 1 after a 421'),
  items: z
    .array(LookupItemSchema)
    .describe("in argument order; with --both-forms each argument's other form follows it"),
  control: z
    .object({ command: z.string(), reply: ReplySchema, meaning: LookupMeaningSchema })
    .nullable()
    .describe(
      'a made-up name, asked only when every answer was 252, to tell a blanket 252 from a real lookup',
    ),
  counts: z.record(z.string(), z.number().int()).describe('items per meaning'),
  discloses: z
    .boolean()
    .nullable()
    .describe('whether the answers tell names apart; null when there was nothing to judge by'),
  disclosure: z
    .string()
    .describe(
      'the finding in one line, e.g. "VRFY gives nothing away (252 to everything, a made-up name included)"',
    ),
});
export type LookupResult = z.infer<typeof LookupResultSchema>;

/** VrfyOutputSchema / ExpnOutputSchema: the envelopes `vrfy` and `expn` print. */
export const VrfyOutputSchema = envelopeSchema('vrfy', LookupResultSchema);
export const ExpnOutputSchema = envelopeSchema('expn', LookupResultSchema);
export type VrfyOutput = z.infer<typeof VrfyOutputSchema>;
export type ExpnOutput = z.infer<typeof ExpnOutputSchema>;
