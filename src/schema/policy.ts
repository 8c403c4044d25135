/**
 * Schema of the published mail-transport policies a domain can announce: MTA-STS (RFC 8461: the
 * `_mta-sts` TXT record, the HTTPS policy file, and what a compliant sender does at each MX) and
 * TLS-RPT (RFC 8460: the `_smtp._tls` TXT record). Each parse returns its value, or null, beside
 * the findings that explain why.
 */
import { z } from 'zod';
import { AuditFindingSchema } from './finding.js';

/** PolicyFindingSchema: a problem with a published policy, with the RFC section that makes it one. */
export const PolicyFindingSchema = AuditFindingSchema;
export type PolicyFinding = z.infer<typeof PolicyFindingSchema>;

/** StsRecordSchema: the one valid `v=STSv1; id=…` record of `_mta-sts.<domain>` (RFC 8461 §3.1). */
export const StsRecordSchema = z.object({
  version: z.literal('STSv1'),
  id: z.string().describe('1–32 letters and digits; a new id tells senders to fetch the policy'),
  extensions: z.record(z.string(), z.string()).describe('other key=value fields, in the record'),
  text: z.string().describe("the record's strings, concatenated"),
});
export type StsRecord = z.infer<typeof StsRecordSchema>;

/** StsRecordResultSchema: the record, or null (senders then assume no policy) and why. */
export const StsRecordResultSchema = z.object({
  record: StsRecordSchema.nullable(),
  findings: z.array(PolicyFindingSchema),
});
export type StsRecordResult = z.infer<typeof StsRecordResultSchema>;

/** StsModeSchema: what a sender does when an MX fails validation (RFC 8461 §5). */
export const StsModeSchema = z.enum(['enforce', 'testing', 'none']);
export type StsMode = z.infer<typeof StsModeSchema>;

/** StsPolicySchema: the policy file `https://mta-sts.<domain>/.well-known/mta-sts.txt`, parsed. */
export const StsPolicySchema = z.object({
  version: z.literal('STSv1'),
  mode: StsModeSchema,
  mx: z.array(z.string()).describe('MX patterns as written ("mx.example.com", "*.example.net")'),
  // 31557600 s, one year: the ceiling of RFC 8461 §3.2 (STS_MAX_AGE_S in src/mx/mta-sts.ts; kept
  // apart so that src/mx/ imports this file for types only, never zod at run time).
  maxAge: z.number().int().min(0).max(31_557_600).describe('seconds a sender may cache it'),
});
export type StsPolicy = z.infer<typeof StsPolicySchema>;

/** StsPolicyResultSchema: the policy, or null when it is invalid, and the findings either way. */
export const StsPolicyResultSchema = z.object({
  policy: StsPolicySchema.nullable(),
  findings: z.array(PolicyFindingSchema),
});
export type StsPolicyResult = z.infer<typeof StsPolicyResultSchema>;

/** StsOutcomeSchema: what a compliant sender does with one MX. */
export const StsOutcomeSchema = z.enum(['deliver', 'skip', 'report', 'not-applied', 'unknown']);
export type StsOutcome = z.infer<typeof StsOutcomeSchema>;

/** StsVerdictSchema: would an MTA-STS-compliant sender deliver to this MX, and the rule why. */
export const StsVerdictSchema = z.object({
  mx: z.string(),
  mode: StsModeSchema,
  outcome: StsOutcomeSchema.describe(
    'deliver: passes; skip: enforce and it fails, the sender tries another MX; report: testing and it fails, delivered and reported; not-applied: mode none; unknown: covered, but no TLS result to judge',
  ),
  pattern: z.string().nullable().describe('the policy pattern that covers the MX; null for none'),
  reason: z.string(),
  ref: z.string().describe('e.g. "RFC 8461 §4.1"'),
});
export type StsVerdict = z.infer<typeof StsVerdictSchema>;

/** TlsRptRecordSchema: the one valid `v=TLSRPTv1; rua=…` record of `_smtp._tls.<domain>` (RFC 8460 §3). */
export const TlsRptRecordSchema = z.object({
  version: z.literal('TLSRPTv1'),
  rua: z.array(z.string()).describe('the usable report URIs (mailto: and https:), in order'),
  extensions: z.record(z.string(), z.string()),
  text: z.string().describe("the record's strings, concatenated"),
});
export type TlsRptRecord = z.infer<typeof TlsRptRecordSchema>;

/** TlsRptResultSchema: the record, or null (senders then send no reports), and the findings. */
export const TlsRptResultSchema = z.object({
  record: TlsRptRecordSchema.nullable(),
  findings: z.array(PolicyFindingSchema),
});
export type TlsRptResult = z.infer<typeof TlsRptResultSchema>;

/**
 * StsFetchSchema: one fetch of the policy file (RFC 8461 §3.3): where, how it ended, and what came
 * back. Every failure has its own outcome word, so a script can tell a missing host from a bad
 * certificate from a 404.
 */
export const StsFetchSchema = z.object({
  url: z.string(),
  outcome: z
    .enum([
      'ok',
      'dns',
      'connect',
      'tls',
      'timeout',
      'http-status',
      'redirect',
      'too-large',
      'bad-type',
    ])
    .describe(
      'ok: a 200 text/plain body within the size limit; dns: mta-sts.<domain> has no address; connect: refused or unreachable; tls: handshake or certificate failure; timeout; http-status: not 200; redirect: a 3xx, never followed (RFC 8461 §3.3); too-large: over 64 KiB; bad-type: not text/plain',
    ),
  status: z.number().int().optional().describe('the HTTP status, when a response came'),
  contentType: z.string().optional(),
  location: z.string().optional().describe('the Location of a redirect that was not followed'),
  bytes: z.number().int().optional().describe('body octets read'),
  address: z.string().optional().describe('the address connected to'),
  ms: z.number(),
  error: z.string().optional(),
});
export type StsFetch = z.infer<typeof StsFetchSchema>;

/**
 * StsStateSchema: the domain's MTA-STS state as a sender sees it. no-record: no valid TXT record
 * (none, several, or malformed; senders assume no policy); fetch-failed and invalid-policy: a
 * record but no usable policy (a sender with none cached delivers without MTA-STS); enforce,
 * testing, none: the policy's mode.
 */
export const StsStateSchema = z.enum([
  'no-record',
  'fetch-failed',
  'invalid-policy',
  'enforce',
  'testing',
  'none',
]);
export type StsState = z.infer<typeof StsStateSchema>;

/** MtaStsReportSchema: the whole MTA-STS picture of a domain. */
export const MtaStsReportSchema = z.object({
  state: StsStateSchema,
  txt: StsRecordResultSchema.extend({
    lookup: z.string().describe('status of the _mta-sts TXT lookup (ok, nodata, nxdomain, …)'),
  }),
  fetch: StsFetchSchema.nullable().describe('null when there is no record to act on'),
  policy: StsPolicySchema.nullable(),
  policyFindings: z.array(PolicyFindingSchema),
  verdicts: z.array(StsVerdictSchema).describe('one per MX host, when a policy applies'),
});
export type MtaStsReport = z.infer<typeof MtaStsReportSchema>;

/** DaneStateWordSchema: one MX host's DANE state (RFC 7672); the words of DANE_STATES in src/net/dane.ts. */
export const DaneStateWordSchema = z.enum([
  'dane-valid',
  'dane-mismatch',
  'dane-no-tls',
  'no-tlsa',
  'no-usable-tlsa',
  'tlsa-without-dnssec',
  'tlsa-lookup-failed',
]);

/** DaneHostSchema: one MX host's TLSA records and what they mean. */
export const DaneHostSchema = z.object({
  mx: z.string(),
  owner: z.string().describe('the TLSA owner name asked, e.g. _25._tcp.mx.example.com'),
  lookup: z.string().describe('status of the TLSA lookup'),
  authenticated: z.boolean().describe('the AD bit of the answer, as the resolver set it'),
  records: z.array(z.string()).describe('each TLSA record, "usage selector matching data"'),
  state: DaneStateWordSchema,
  finding: z.string(),
  matched: z
    .object({ record: z.number().int(), depth: z.number().int() })
    .optional()
    .describe('which record matched the certificate at which depth (0: the leaf)'),
  reasons: z.array(z.string()).describe('why records did not match or were unusable'),
  address: z.string().nullable().describe('the address whose certificate chain was matched'),
});
export type DaneHost = z.infer<typeof DaneHostSchema>;

/** PolicyReportSchema: the transport-security policies a domain publishes, and what they do to its MX hosts. */
export const PolicyReportSchema = z.object({
  mtaSts: MtaStsReportSchema,
  tlsRpt: TlsRptResultSchema.extend({ lookup: z.string() }),
  dane: z.array(DaneHostSchema).describe('one per MX host'),
  adNote: z.string().describe('what the AD bit is worth (RFC 7672 §2.1.1)'),
  findings: z
    .array(PolicyFindingSchema.extend({ subject: z.string() }))
    .describe('every policy finding, worst first, with the name it concerns'),
});
export type PolicyReport = z.infer<typeof PolicyReportSchema>;
