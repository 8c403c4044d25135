/**
 * The JSON Schema `smtp-probe schema <command>` prints. The one runtime door from the CLI to the
 * full zod: scripts/bundle.mjs builds this module (with src/schema and zod's classic API) apart
 * from the executable, so every other command's start-up compiles only what zod/mini's flag
 * parsing uses.
 */
import { z } from 'zod';
import { NDJSON_LINE_SCHEMAS, OUTPUT_SCHEMAS, type SchemaCommand } from './index.js';

/** jsonSchema: the output schema of `command` (or of one of its --format ndjson lines). */
export function jsonSchema(command: SchemaCommand, format: 'json' | 'ndjson'): unknown {
  const schema = format === 'ndjson' ? NDJSON_LINE_SCHEMAS[command] : OUTPUT_SCHEMAS[command];
  return z.toJSONSchema(schema, { io: 'output' });
}
