/** Schema of `smtp-probe mx` results: the MX × address matrix, lint findings, verdict, DNS trace. */
import { z } from 'zod';
import { ReplySchema } from './smtp.js';
import { AuditAddressSchema, AuditFindingSchema } from './audit.js';
import { DomainNameSchema, ExchangeSchema, LookupSchema } from './dns.js';
import { PolicyReportSchema } from './policy.js';
import {
  ErrorInfoSchema,
  StatusSchema,
  TranscriptEntrySchema,
  envelopeSchema,
} from './envelope.js';

/** AddressProbeSchema: one address probed: TCP connect, greeting, EHLO summary (and STARTTLS when offered). */
export const AddressProbeSchema = z.object({
  address: z.string(),
  family: z.union([z.literal(4), z.literal(6)]),
  status: StatusSchema.describe(
    "how a sender fares here, in the envelope's status words: rejected covers a greeting other than 220 (see banner) and a refused EHLO/HELO; tls-error a refused or failed STARTTLS",
  ),
  ms: z.number().describe('time this address took, connect to QUIT (or to the failure)'),
  connectMs: z.number().optional(),
  banner: ReplySchema.optional(),
  hello: z
    .object({
      verb: z.enum(['EHLO', 'HELO']),
      code: z.number().int(),
      keywords: z.array(z.string()),
    })
    .optional(),
  tls: z
    .object({
      outcome: z.enum(['ok', 'refused', 'failed']),
      protocol: z.string().optional(),
      verified: z
        .object({
          trusted: z.boolean(),
          nameMatch: z.boolean(),
          error: z.string().optional().describe('why not, when either is false'),
        })
        .optional()
        .describe(
          'PKIX, after a handshake: the chain verifies against the trust store, and the certificate names the MX host (RFC 6125)',
        ),
      error: z.string().optional(),
    })
    .optional(),
  error: ErrorInfoSchema.optional(),
  transcript: z
    .array(TranscriptEntrySchema)
    .optional()
    .describe("with --transcript: every line of this address's session"),
});
export type AddressProbe = z.infer<typeof AddressProbeSchema>;

/** MxHostSchema: one MX target with its addresses, in the order a sender tries them. */
export const MxHostSchema = z.object({
  name: z.string().describe('the MX exchange (A-labels)'),
  preference: z.number().int(),
  group: z
    .number()
    .int()
    .describe('index of its equal-preference group; a sender picks at random inside a group'),
  groupSize: z.number().int(),
  implicit: z.boolean().describe('the domain itself, because it has no MX (RFC 5321 §5.1)'),
  cnameChain: z.array(z.string()),
  lookups: z.object({ a: LookupSchema, aaaa: LookupSchema }),
  addresses: z.array(AddressProbeSchema),
});
export type MxHost = z.infer<typeof MxHostSchema>;

/** LintSchema: a DNS configuration problem, with the RFC it comes from. */
export const LintSchema = z.object({
  id: z.string(),
  severity: z.enum(['info', 'warning', 'error']),
  rfc: z.string(),
  subject: z.string().describe('the name or address concerned'),
  message: z.string(),
});
export type Lint = z.infer<typeof LintSchema>;

/** FailedAttemptSchema: an address a sender tries and leaves before the one that takes the mail. */
export const FailedAttemptSchema = z.object({
  host: z.string(),
  address: z.string(),
  status: StatusSchema,
});

/** VerdictSchema: the one-line answer to "is mail for this domain accepted, and where?". */
export const VerdictSchema = z.object({
  kind: z.enum(['accepted', 'no-mail', 'no-such-domain', 'no-usable-host']),
  host: z.string().optional(),
  address: z.string().optional(),
  failedBefore: z.array(FailedAttemptSchema),
  text: z.string(),
});
export type Verdict = z.infer<typeof VerdictSchema>;

/** MxResultSchema: everything the walk learned. */
export const MxResultSchema = z.object({
  domain: DomainNameSchema,
  port: z.number().int(),
  resolvers: z.array(z.string()),
  source: z.enum(['mx', 'implicit', 'null-mx', 'none']).describe('where the host list came from'),
  mxLookup: LookupSchema.nullable(),
  hosts: z.array(MxHostSchema).describe('in preference order'),
  lint: z.array(LintSchema),
  verdict: VerdictSchema.nullable(),
  dns: z.array(ExchangeSchema).describe('every DNS query and answer, in order'),
  consistency: z
    .object({
      findings: z.array(AuditFindingSchema.extend({ address: z.string().nullable() })),
      addresses: z.array(AuditAddressSchema).describe('each answering address, audited'),
    })
    .optional()
    .describe('with --consistency: the MX hosts compared with each other'),
  policy: PolicyReportSchema.optional().describe(
    'MTA-STS, TLS-RPT and DANE: what the domain publishes and what it does to each MX (absent with --no-policy)',
  ),
});
export type MxResult = z.infer<typeof MxResultSchema>;

/** MxOutputSchema: the envelope `mx` prints. */
export const MxOutputSchema = envelopeSchema('mx', MxResultSchema);
