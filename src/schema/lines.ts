/**
 * What each output carries beyond the one envelope: the lines of an NDJSON
 * stream (an address of `verify` or of an MX walk as soon as it is final,
 * then the envelope as the last line; a step of the demo) and the demo's one
 * JSON document. `smtp-probe schema <command> --format ndjson` prints a line's.
 */
import { z } from 'zod';
import { SCHEMA_VERSION } from '../vocabulary.js';
import { CapsOutputSchema } from './caps.js';
import { FailoverOutputSchema } from './failover.js';
import { ExpnOutputSchema, VrfyOutputSchema } from './lookup.js';
import { AddressProbeSchema, MxOutputSchema } from './mx.js';
import { AddressVerdictSchema, VerifyOutputSchema } from './verify.js';

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
  envelope: z.union([CapsOutputSchema, MxOutputSchema, FailoverOutputSchema]),
});

/** DemoOutputSchema: the demo as one JSON document. */
export const DemoOutputSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  command: z.literal('demo'),
  lab: z.object({ hosts: z.number().int(), dns: z.string() }),
  steps: z.array(DemoStepSchema),
});

/** NDJSON_LINE_SCHEMAS: what one line of `--format ndjson` is, per command (the envelope is the last line). */
export const NDJSON_LINE_SCHEMAS = {
  caps: CapsOutputSchema,
  vrfy: VrfyOutputSchema,
  expn: ExpnOutputSchema,
  mx: z.union([MxAddressLineSchema, MxOutputSchema]),
  failover: z.union([MxAddressLineSchema, FailoverOutputSchema]),
  verify: z.union([VerifyAddressLineSchema, VerifyOutputSchema]),
  demo: DemoStepSchema,
} as const;
