/**
 * What each output carries beyond the one envelope: the lines of an NDJSON
 * stream (an address of `verify` or of an MX walk as soon as it is final,
 * then the envelope as the last line; a step of the demo, then the demo's
 * envelope) and the demo's one JSON document. `smtp-probe schema <command> --format ndjson` prints a line's.
 */
import { z } from 'zod';
import { CapsOutputSchema } from './caps.js';
import { envelopeSchema } from './envelope.js';
import { FailoverOutputSchema } from './failover.js';
import { ExpnOutputSchema, VrfyOutputSchema } from './lookup.js';
import { AddressProbeSchema, MxOutputSchema } from './mx.js';
import { AddressVerdictSchema, VerifyOutputSchema } from './verify.js';
import { AuditAddressLineSchema, AuditOutputSchema, AuditSiteLineSchema } from './audit.js';
import { SendOutputSchema } from './send.js';

/** VerifyAddressLineSchema: one address's verdict, printed as soon as it is final. */
export const VerifyAddressLineSchema = AddressVerdictSchema.extend({
  type: z.literal('address'),
});

/** MxAddressLineSchema: one probed address of an MX walk, printed as soon as its probe ends. */
export const MxAddressLineSchema = AddressProbeSchema.extend({
  type: z.literal('address'),
  host: z.string().describe('the MX host this address belongs to'),
  preference: z.number().int(),
});

/** DemoStepSchema: one step of the demo tour with the envelope of the command it ran. */
export const DemoStepSchema = z.object({
  type: z.literal('step'),
  step: z.number().int().min(1),
  title: z.string(),
  envelope: z.union([
    CapsOutputSchema,
    MxOutputSchema,
    FailoverOutputSchema,
    AuditOutputSchema,
    SendOutputSchema,
  ]),
});

/** DemoResultSchema: the lab the tour ran against and every step. */
export const DemoResultSchema = z.object({
  lab: z.object({ hosts: z.number().int(), dns: z.string().describe('the lab DNS server') }),
  steps: z.array(DemoStepSchema),
});

/** DemoOutputSchema: the demo as one JSON document, in the envelope every command uses (target "lab"). */
export const DemoOutputSchema = envelopeSchema('demo', DemoResultSchema);

/** NDJSON_LINE_SCHEMAS: what one line of `--format ndjson` is, per command (the envelope is the last line). */
export const NDJSON_LINE_SCHEMAS = {
  caps: CapsOutputSchema,
  vrfy: VrfyOutputSchema,
  expn: ExpnOutputSchema,
  mx: z.union([MxAddressLineSchema, MxOutputSchema]),
  failover: z.union([MxAddressLineSchema, FailoverOutputSchema]),
  verify: z.union([VerifyAddressLineSchema, VerifyOutputSchema]),
  demo: z.union([DemoStepSchema, DemoOutputSchema]),
  audit: z.union([AuditAddressLineSchema, AuditSiteLineSchema, AuditOutputSchema]),
  send: SendOutputSchema,
} as const;
