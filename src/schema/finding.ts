/**
 * Schema of a finding, the one shape every check reports a problem in (the audit's, the MX
 * walk's, the published policies'): an id, how much it matters, what is wrong and the RFC or
 * reason that makes it a problem. Kept apart so schemas that import each other's findings do not
 * import each other.
 */
import { z } from 'zod';
import { SEVERITIES } from '../vocabulary.js';

/** SeveritySchema: how much a finding matters, least first. */
export const SeveritySchema = z.enum(SEVERITIES);

/** AuditFindingSchema: a finding with the rule or reason behind it. */
export const AuditFindingSchema = z.object({
  id: z.string().describe('stable identifier, e.g. vrfy-discloses'),
  severity: SeveritySchema,
  message: z.string(),
  ref: z.string().describe('the RFC section or reason, e.g. "RFC 5321 §7.3"'),
});
export type AuditFinding = z.infer<typeof AuditFindingSchema>;
