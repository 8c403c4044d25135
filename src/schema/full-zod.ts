/**
 * The one runtime door from the CLI to the full zod: the JSON Schema `smtp-probe schema <command>`
 * prints, and the check of each line `audit --resume` and `audit merge` read back.
 * scripts/bundle.mjs builds this module (with src/schema and zod's classic API) apart from the
 * executable, so every other command's start-up compiles only what zod/mini's flag parsing uses.
 */
import { z } from 'zod';
import {
  type AuditAddress,
  AuditAddressLineSchema,
  type AuditSite,
  AuditSiteLineSchema,
} from './audit.js';
import { NDJSON_LINE_SCHEMAS, OUTPUT_SCHEMAS, type SchemaCommand } from './index.js';

/** jsonSchema: the output schema of `command` (or of one of its --format ndjson lines). */
export function jsonSchema(command: SchemaCommand, format: 'json' | 'ndjson'): unknown {
  const schema = format === 'ndjson' ? NDJSON_LINE_SCHEMAS[command] : OUTPUT_SCHEMAS[command];
  return z.toJSONSchema(schema, { io: 'output' });
}

/** AuditRecord: an audit NDJSON address or site line, checked, without its `type`. */
export type AuditRecord =
  | { type: 'address'; record: AuditAddress }
  | { type: 'site'; record: AuditSite };

/** parseAuditRecord: an address or site line as its record; null when it is neither or does not match the schema. */
export function parseAuditRecord(value: unknown): AuditRecord | null {
  const type = (value as { type?: unknown } | null)?.type;
  if (type === 'address') {
    const parsed = AuditAddressLineSchema.safeParse(value);
    if (!parsed.success) return null;
    const { type: _, ...record } = parsed.data;
    return { type, record };
  }
  if (type === 'site') {
    const parsed = AuditSiteLineSchema.safeParse(value);
    if (!parsed.success) return null;
    const { type: _, ...record } = parsed.data;
    return { type, record };
  }
  return null;
}
