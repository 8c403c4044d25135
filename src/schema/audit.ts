/**
 * Schema of `smtp-probe audit`: one record per probed address (`type: "address"`), one per
 * target (`type: "site"`: a domain with its MX set, or a host/IP given directly) when all its
 * addresses are done, and a final `type: "summary"`. With --format ndjson each is a line the
 * moment it is final; `audit merge` reads such lines back. Findings carry a severity and the
 * RFC or reason behind them.
 */
import { z } from 'zod';
import { AUDIT_CHECKS, SEVERITIES, SUMMARY_COUNTS } from '../vocabulary.js';
import { ErrorInfoSchema, StatusSchema, envelopeSchema } from './envelope.js';
import { type AuditFinding, AuditFindingSchema, SeveritySchema } from './finding.js';
import { DaneStateWordSchema, StsFetchSchema, StsOutcomeSchema, StsStateSchema } from './policy.js';
import { ReplySchema } from './smtp.js';

export { type AuditFinding, AuditFindingSchema, SeveritySchema };

/** ExchangeSchema: one command sent and the reply it got, as evidence. */
export const ExchangeSchema = z.object({ command: z.string(), reply: ReplySchema });
export type Exchange = z.infer<typeof ExchangeSchema>;

/** AuditCapsSchema: the `caps` check: what the server offers before TLS. */
export const AuditCapsSchema = z.object({
  banner: z.string().nullable().describe('the greeting text, first line'),
  verb: z.enum(['EHLO', 'HELO']),
  extensions: z.array(z.string()).describe('EHLO keywords before TLS'),
  authBeforeTls: z.array(z.string()).describe('AUTH mechanisms offered in clear'),
  authAfterTls: z.array(z.string()).nullable().describe('null: no TLS session to ask in'),
  size: z.number().int().nullable().describe('SIZE limit in octets; 0 no limit; null not offered'),
  smtputf8: z.boolean(),
  pipelining: z.boolean(),
});
export type AuditCaps = z.infer<typeof AuditCapsSchema>;

/** AuditTlsSchema: the `tls` check: STARTTLS and the certificate it showed. */
export const AuditTlsSchema = z.object({
  outcome: z
    .enum(['ok', 'not-offered', 'refused', 'failed'])
    .describe('refused: STARTTLS got an error reply; failed: the handshake failed'),
  protocol: z.string().nullable(),
  error: z.string().nullable(),
  certificate: z
    .object({
      subject: z.string(),
      names: z.array(z.string()).describe('DNS names the leaf is valid for (SAN, else CN)'),
      issuer: z.string(),
      validTo: z.string(),
      daysLeft: z.number().int(),
      selfSigned: z.boolean(),
      trusted: z.boolean().describe('chains to the system store plus --ca'),
      trustError: z.string().nullable(),
    })
    .nullable(),
});
export type AuditTls = z.infer<typeof AuditTlsSchema>;

/** EXPOSURES: how a server answers VRFY or EXPN to a stranger. */
export const VRFY_EXPOSURES = [
  'discloses',
  'blanket-252',
  'disabled',
  'policy',
  'unknown',
] as const;

/** AuditVrfySchema: the `vrfy` check, with the control name and the evidence. */
export const AuditVrfySchema = z.object({
  exposure: z
    .enum(VRFY_EXPOSURES)
    .describe(
      'discloses: real lookups (names can be told apart); blanket-252: 252 for every name, the made-up one too; disabled: 502/500; policy: refused (5xx) by policy; unknown: no usable answer',
    ),
  control: z.string().describe('the made-up name asked to tell a blanket 252 from a lookup'),
  evidence: z.array(ExchangeSchema),
});
export type AuditVrfy = z.infer<typeof AuditVrfySchema>;

/** AuditExpnSchema: the `expn` check over --expn-lists. */
export const AuditExpnSchema = z.object({
  exposure: z
    .enum(['discloses', 'refused', 'not-implemented', 'unknown'])
    .describe('discloses: members of some list were shown'),
  lists: z.array(
    z.object({
      list: z.string(),
      command: z.string(),
      reply: ReplySchema,
      members: z.array(z.string()).describe('addresses or names disclosed'),
    }),
  ),
});
export type AuditExpn = z.infer<typeof AuditExpnSchema>;

/** RelayTrialSchema: one open-relay variant: MAIL and RCPT (never DATA), then RSET. */
export const RelayTrialSchema = z.object({
  variant: z.string().describe('e.g. outside-to-outside, percent-hack, source-route'),
  mailFrom: z.string(),
  rcptTo: z.string(),
  mail: ReplySchema,
  rcpt: ReplySchema.nullable().describe('null when MAIL was refused'),
  accepted: z.boolean().describe('the server took the outside recipient (2xx to RCPT)'),
});
export type RelayTrial = z.infer<typeof RelayTrialSchema>;

/** AuditRelaySchema: the `relay` check. */
export const AuditRelaySchema = z.object({
  verdict: z
    .enum(['open', 'closed', 'unknown'])
    .describe('unknown: no variant got an answer that decides (all MAIL refused, or cut short)'),
  decidedBy: RelayTrialSchema.nullable().describe('the first accepted variant, else null'),
  trials: z.array(RelayTrialSchema),
});
export type AuditRelay = z.infer<typeof AuditRelaySchema>;

/** RecipientProbeSchema: one RCPT of a made-up local part at a domain this address serves (mx-consistency). */
export const RecipientProbeSchema = z.object({
  domain: z.string(),
  rcptTo: z.string(),
  reply: ReplySchema,
  accepts: z.boolean().describe('2xx: the host takes mail for a mailbox that cannot exist'),
});
export type RecipientProbe = z.infer<typeof RecipientProbeSchema>;

/** AuditAddressSchema: one probed address (IP and port), probed once however many sites use it. */
export const AuditAddressSchema = z.object({
  key: z.string().describe('address:port ([IPv6]:port); unique in a run'),
  address: z.string(),
  port: z.number().int(),
  names: z.array(z.string()).describe('the MX or host names that led here'),
  status: StatusSchema.describe('how the connection went, in the envelope status words'),
  error: ErrorInfoSchema.nullable(),
  ms: z.number(),
  sessions: z.number().int().describe('SMTP sessions opened to this address'),
  caps: AuditCapsSchema.nullable(),
  tls: AuditTlsSchema.nullable(),
  vrfy: AuditVrfySchema.nullable(),
  expn: AuditExpnSchema.nullable(),
  relay: AuditRelaySchema.nullable(),
  recipients: z.array(RecipientProbeSchema).describe('mx-consistency: made-up recipients asked'),
  findings: z.array(AuditFindingSchema),
});
export type AuditAddress = z.infer<typeof AuditAddressSchema>;

/** SiteHostSchema: one host of a site, with the keys of its probed addresses. */
export const SiteHostSchema = z.object({
  name: z.string(),
  preference: z.number().int().nullable().describe('null for a target given as host or IP'),
  addresses: z.array(z.string()).describe('keys of AuditAddress records'),
});

/**
 * AuditPolicySchema: the `mta-sts` and `dane` checks of a domain, compact: the state of its
 * MTA-STS policy and how its fetch went, what a compliant sender does at each MX, whether it
 * publishes TLS-RPT, and each MX host's DANE state (the words of `mx`'s policy section). The
 * findings behind them are among the site's, each naming what it concerns.
 */
export const AuditPolicySchema = z.object({
  mtaSts: StsStateSchema.nullable().describe(
    'the MTA-STS state, as `mx` reports it; null: the mta-sts check did not run',
  ),
  stsFetch: StsFetchSchema.shape.outcome
    .nullable()
    .describe('how the policy fetch ended; null: nothing fetched (no valid _mta-sts record)'),
  stsVerdicts: z
    .array(z.object({ mx: z.string(), outcome: StsOutcomeSchema }))
    .describe('what a compliant sender does at each MX host, when a policy applies'),
  tlsRpt: z
    .boolean()
    .nullable()
    .describe(
      'a valid _smtp._tls TLS-RPT record is published; null: the mta-sts check did not run',
    ),
  dane: z
    .array(
      z.object({
        mx: z.string(),
        state: DaneStateWordSchema.nullable().describe(
          'null: usable TLSA records, but the chain the host presented is not at hand (its address was read back from --resume)',
        ),
      }),
    )
    .nullable()
    .describe(
      'each MX host with addresses, TLSA matched against its STARTTLS chain; null: the dane check did not run',
    ),
});
export type AuditPolicy = z.infer<typeof AuditPolicySchema>;

/** AuditSiteSchema: one target as given: its hosts, its own findings and the worst of its addresses'. */
export const AuditSiteSchema = z.object({
  target: z.string().describe('the target as given (normalised)'),
  kind: z.enum(['domain', 'host']),
  status: z
    .enum(['ok', 'no-mail', 'no-such-domain', 'dns-error', 'unreachable', 'invalid'])
    .describe(
      'no-mail: null MX; unreachable: no address of any host answered; invalid: a --file line that is no target (see error)',
    ),
  source: z.enum(['mx', 'implicit', 'null-mx', 'none', 'direct']),
  hosts: z.array(SiteHostSchema),
  error: z.string().nullable(),
  exposure: z
    .object({
      vrfy: z.enum(VRFY_EXPOSURES).nullable(),
      expn: AuditExpnSchema.shape.exposure.nullable(),
      relay: AuditRelaySchema.shape.verdict.nullable(),
      starttls: AuditTlsSchema.shape.outcome.nullable(),
    })
    .describe('the worst its addresses show per check; null: not checked or no address answered'),
  findings: z
    .array(AuditFindingSchema.extend({ address: z.string().nullable() }))
    .describe(
      "its own findings (mx-consistency, DNS, mta-sts, dane) and its addresses', worst first",
    ),
  worst: SeveritySchema.nullable(),
  policy: AuditPolicySchema.nullable()
    .default(null)
    .describe(
      'the mta-sts and dane checks; null for a host target, a domain without MX hosts to judge, or when neither ran',
    ),
});
export type AuditSite = z.infer<typeof AuditSiteSchema>;

export { SUMMARY_COUNTS };

/** AuditSummarySchema: the whole run (or the merge of shards) in counts and its worst findings. */
export const AuditSummarySchema = z.object({
  sites: z.number().int(),
  addresses: z.number().int(),
  checks: z.array(z.enum(AUDIT_CHECKS)),
  counts: z.object(
    Object.fromEntries(SUMMARY_COUNTS.map((k) => [k, z.number().int()])) as Record<
      (typeof SUMMARY_COUNTS)[number],
      z.ZodNumber
    >,
  ),
  bySeverity: z.object(
    Object.fromEntries(SEVERITIES.map((s) => [s, z.number().int()])) as Record<
      (typeof SEVERITIES)[number],
      z.ZodNumber
    >,
  ),
  worst: z
    .array(AuditFindingSchema.extend({ site: z.string(), address: z.string().nullable() }))
    .describe('the most severe findings, worst first (at most 20)'),
});
export type AuditSummary = z.infer<typeof AuditSummarySchema>;

/** The NDJSON lines before the envelope: each address, each site. */
export const AuditAddressLineSchema = AuditAddressSchema.extend({ type: z.literal('address') });
export const AuditSiteLineSchema = AuditSiteSchema.extend({ type: z.literal('site') });
export type AuditAddressLine = z.infer<typeof AuditAddressLineSchema>;
export type AuditSiteLine = z.infer<typeof AuditSiteLineSchema>;

/**
 * AuditResultSchema: the summary; with --format json (and the table's data) every site and
 * address too. The NDJSON envelope carries the summary only: its sites and addresses were the
 * lines before it.
 */
export const AuditResultSchema = z.object({
  summary: AuditSummarySchema,
  sites: z.array(AuditSiteSchema).optional().describe('with --format json'),
  addresses: z.array(AuditAddressSchema).optional().describe('with --format json'),
});
export type AuditResult = z.infer<typeof AuditResultSchema>;

/** AuditOutputSchema: the envelope `audit` (and `audit merge`) prints; under ndjson the last line. */
export const AuditOutputSchema = envelopeSchema('audit', AuditResultSchema);
export type AuditOutput = z.infer<typeof AuditOutputSchema>;
