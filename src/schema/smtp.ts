/**
 * Schemas of the SMTP values every result carries: replies and EHLO
 * capabilities. Defined once here; the TypeScript types are inferred.
 */
import { z } from 'zod';

/** ReplySchema: `{ code, enhanced?, lines }` (RFC 5321 §4.2, RFC 3463). */
export const ReplySchema = z.object({
  code: z.number().int().min(200).max(559).describe('three-digit reply code'),
  enhanced: z
    .string()
    .regex(/^[245]\.\d{1,3}\.\d{1,3}$/)
    .optional()
    .describe('RFC 3463 enhanced status code'),
  lines: z.array(z.string()).min(1).describe('reply text lines, without the code'),
});
export type Reply = z.infer<typeof ReplySchema>;

/** ExtensionSchema: one EHLO line as keyword and parameters. */
export const ExtensionSchema = z.object({ keyword: z.string(), params: z.array(z.string()) });
export type Extension = z.infer<typeof ExtensionSchema>;

/** CapabilitiesSchema: the structured EHLO reply. */
export const CapabilitiesSchema = z.object({
  hostname: z.string().describe('the name on the first EHLO line'),
  size: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('SIZE limit in octets (RFC 1870); 0 = no fixed limit; absent = not offered'),
  sizeInvalid: z
    .string()
    .optional()
    .describe(
      'the SIZE parameter as sent when it is not a plain decimal number (RFC 1870 §4: digits only) or too large to hold exactly; size is then 0, no limit given',
    ),
  auth: z.array(z.string()).optional().describe('AUTH mechanisms (RFC 4954); absent = not offered'),
  pipelining: z.boolean(),
  eightBitMime: z.boolean(),
  smtpUtf8: z.boolean(),
  chunking: z.boolean(),
  binaryMime: z.boolean(),
  dsn: z.boolean(),
  enhancedStatusCodes: z.boolean(),
  starttls: z.boolean(),
  requireTls: z.boolean(),
  vrfy: z.boolean(),
  etrn: z.boolean(),
  extensions: z.array(ExtensionSchema).describe('every EHLO line in order'),
  other: z.array(ExtensionSchema).describe('lines no field above describes'),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

/** CapabilityChangeSchema: keywords gained and lost across STARTTLS. */
export const CapabilityChangeSchema = z.object({
  added: z.array(z.string()),
  removed: z.array(z.string()),
});
export type CapabilityChange = z.infer<typeof CapabilityChangeSchema>;
