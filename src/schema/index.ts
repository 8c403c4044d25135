/** OUTPUT_SCHEMAS: every command's output schema by command name, for `smtp-probe schema <command>`. */
import { CapsOutputSchema } from './caps.js';
import { MxOutputSchema } from './mx.js';
import { FailoverOutputSchema } from './failover.js';
import { VerifyOutputSchema } from './verify.js';
import { VrfyOutputSchema, ExpnOutputSchema } from './lookup.js';
import { DemoOutputSchema, NDJSON_LINE_SCHEMAS } from './lines.js';
import { AuditOutputSchema } from './audit.js';
import { SendOutputSchema } from './send.js';

export { NDJSON_LINE_SCHEMAS };

export const OUTPUT_SCHEMAS = {
  caps: CapsOutputSchema,
  mx: MxOutputSchema,
  failover: FailoverOutputSchema,
  verify: VerifyOutputSchema,
  vrfy: VrfyOutputSchema,
  expn: ExpnOutputSchema,
  demo: DemoOutputSchema,
  audit: AuditOutputSchema,
  send: SendOutputSchema,
} as const;
export type SchemaCommand = keyof typeof OUTPUT_SCHEMAS;
