/** OUTPUT_SCHEMAS: every command's output schema by command name, for `smtp-probe schema <command>`. */
import { CapsOutputSchema } from './caps.js';

export const OUTPUT_SCHEMAS = {
  caps: CapsOutputSchema,
} as const;
export type SchemaCommand = keyof typeof OUTPUT_SCHEMAS;
