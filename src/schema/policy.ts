/**
 * Schema of the published mail-transport policies a domain can announce: MTA-STS (RFC 8461: the
 * `_mta-sts` TXT record, the HTTPS policy file, and what a compliant sender does at each MX) and
 * TLS-RPT (RFC 8460: the `_smtp._tls` TXT record). Each parse returns its value, or null, beside
 * the findings that explain why.
 */
import { z } from 'zod';
import { AuditFindingSchema } from './audit.js';

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
