/** Schemas of what TLS inspection reports: the negotiated session and the certificate chain. */
import { z } from 'zod';
import { ReplySchema } from './smtp.js';

/** CertificateInfoSchema: one certificate as a person reads it. */
export const CertificateInfoSchema = z.object({
  subject: z.string(),
  subjectAltNames: z.array(z.string()),
  issuer: z.string(),
  serialNumber: z.string(),
  validFrom: z.string().describe('ISO 8601'),
  validTo: z.string().describe('ISO 8601'),
  daysLeft: z.number().int().describe('days until validTo; negative once expired'),
  selfSigned: z.boolean(),
  fingerprintSha256: z.string(),
  publicKey: z.string().describe('key type and size, e.g. "RSA 2048" or "EC prime256v1"'),
});
export type CertificateInfo = z.infer<typeof CertificateInfoSchema>;

/** TlsInfoSchema: protocol, cipher, chain (leaf first) and the two verdicts. */
export const TlsInfoSchema = z.object({
  protocol: z.string(),
  cipher: z.string(),
  chain: z.array(CertificateInfoSchema),
  nameMatch: z
    .object({ name: z.string(), ok: z.boolean(), error: z.string().optional() })
    .describe('whether the leaf is valid for the name probed (RFC 6125)'),
  trusted: z
    .object({ ok: z.boolean(), store: z.string(), error: z.string().optional() })
    .describe('whether the chain verifies against the trust store'),
});
export type TlsInfo = z.infer<typeof TlsInfoSchema>;

/** TlsReportSchema: STARTTLS or implicit TLS: whether it worked and what it showed. */
export const TlsReportSchema = z.object({
  mode: z.enum(['starttls', 'implicit']),
  outcome: z
    .enum(['ok', 'refused', 'failed', 'rejected'])
    .describe('rejected: the handshake worked but --tls-verify refused the certificate'),
  reply: ReplySchema.optional().describe('the reply to STARTTLS'),
  info: TlsInfoSchema.optional(),
  error: z.string().optional(),
});
export type TlsReport = z.infer<typeof TlsReportSchema>;
