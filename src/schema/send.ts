/** Schema of `smtp-probe send` results: one test message, every step of its transaction. */
import { z } from 'zod';
import { QUIT_AFTER, SEND_OUTCOMES } from '../vocabulary.js';
import { AttemptSchema, SetupTimingsSchema } from './connection.js';
import { envelopeSchema, StatusSchema } from './envelope.js';
import { CapabilitiesSchema, ReplySchema } from './smtp.js';
import { TlsReportSchema } from './tls.js';

/** ExchangeSchema: one command as sent (AUTH payloads as `<redacted>`) and the reply it got. */
export const ExchangeSchema = z.object({
  command: z.string(),
  reply: ReplySchema.nullable().describe('null when the session ended before the reply came'),
});
export type Exchange = z.infer<typeof ExchangeSchema>;

/** SendHostSchema: one server tried, in order (--server, or the recipient domain's MX as a sender walks it). */
export const SendHostSchema = z.object({
  host: z.string(),
  port: z.number().int(),
  preference: z
    .number()
    .int()
    .nullable()
    .describe('the MX preference; null for --server and for an implicit MX'),
  attempts: z.array(AttemptSchema).describe('each address of the host, in the order dialled'),
  status: StatusSchema.describe('ok: the transaction ran here; else why the sender moved on'),
  error: z.string().optional(),
});
export type SendHost = z.infer<typeof SendHostSchema>;

/** AuthReportSchema: the AUTH exchange (RFC 4954); the secret is never recorded. */
export const AuthReportSchema = z.object({
  mechanism: z.enum(['PLAIN', 'LOGIN']),
  user: z.string(),
  accepted: z.boolean(),
  reply: ReplySchema.describe('the final reply: 235 accepted, else the refusal'),
});
export type AuthReport = z.infer<typeof AuthReportSchema>;

/** MessageReportSchema: what was sent as the message, measured before anything was sent. */
export const MessageReportSchema = z.object({
  source: z
    .enum(['built', 'data-file'])
    .describe('built from the flags, or --data FILE sent as is'),
  size: z
    .number()
    .int()
    .describe('octets, CRLF line ends, before dot-stuffing (what SIZE= declares)'),
  lines: z.number().int(),
  eightBit: z.boolean().describe('the message has octets over 127 (sent with BODY=8BITMIME)'),
  smtpUtf8: z.boolean().describe('an address is not ASCII (sent with SMTPUTF8)'),
  messageId: z.string().nullable().describe('the Message-ID field, when the message has one'),
  subject: z.string().nullable(),
});
export type MessageReport = z.infer<typeof MessageReportSchema>;

/** RecipientSchema: one RCPT TO and its answer. */
export const RecipientSchema = ExchangeSchema.extend({
  address: z.string(),
  accepted: z.boolean().describe('a 2xx reply'),
});
export type Recipient = z.infer<typeof RecipientSchema>;

/** SendTimingsSchema: milliseconds per stage; absent when the stage did not run. */
export const SendTimingsSchema = SetupTimingsSchema.extend({
  auth: z.number(),
  mail: z.number().describe('MAIL and the RCPTs (and DATA) when they went as one group'),
  rcpt: z.number(),
  data: z.number().describe('DATA to its 354'),
  message: z.number().describe('the message and the end-of-data dot to the final reply'),
  rset: z.number(),
  quit: z.number(),
  total: z.number(),
}).partial();
export type SendTimings = z.infer<typeof SendTimingsSchema>;

/** SendResultSchema: everything `send` did, even when a stage failed or the run stopped early. */
export const SendResultSchema = z.object({
  from: z.string().describe('the reverse path (empty for the null sender <>)'),
  to: z.array(z.string()),
  route: z
    .string()
    .describe('how the server was chosen: "server HOST:PORT" (--server) or "MX of <domain>"'),
  hosts: z.array(SendHostSchema),
  host: z.string().nullable().describe('the host the transaction ran on'),
  port: z.number().int().nullable(),
  address: z.string().nullable(),
  helo: z.string(),
  banner: ReplySchema.nullable(),
  capabilities: CapabilitiesSchema.nullable().describe('EHLO before TLS (or over implicit TLS)'),
  tls: TlsReportSchema.nullable(),
  capabilitiesAfterTls: CapabilitiesSchema.nullable(),
  auth: AuthReportSchema.nullable(),
  message: MessageReportSchema,
  parameters: z
    .object({ mail: z.array(z.string()), rcpt: z.array(z.string()) })
    .nullable()
    .describe('the MAIL and RCPT parameters chosen from EHLO (SIZE=, BODY=, SMTPUTF8, DSN)'),
  mail: ExchangeSchema.nullable(),
  recipients: z.array(RecipientSchema),
  data: ExchangeSchema.nullable().describe('DATA and its 354'),
  final: ReplySchema.nullable().describe(
    'the reply to the end of data: the server took the message, or not',
  ),
  queueId: z
    .string()
    .nullable()
    .describe("the server's id for the message, from the final reply (Postfix: queued as …)"),
  quitAfter: z.enum(QUIT_AFTER).nullable().describe('--quit-after, when given'),
  outcome: z
    .enum(SEND_OUTCOMES)
    .describe(
      'accepted: every recipient took the message; partial: some did; stopped: ended at --quit-after; refused: the server said no (see error); failed: the session broke; interrupted: Ctrl-C or --timeout',
    ),
  pipelined: z
    .boolean()
    .describe(
      'MAIL, the RCPTs and DATA went as one PIPELINING group (RFC 2920), RSET and QUIT too',
    ),
  timings: SendTimingsSchema,
});
export type SendResult = z.infer<typeof SendResultSchema>;

/** SendOutputSchema: the envelope `send` prints. */
export const SendOutputSchema = envelopeSchema('send', SendResultSchema);
export type SendOutput = z.infer<typeof SendOutputSchema>;
