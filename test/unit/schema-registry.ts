/** `smtp-probe schema <command>` offers exactly the commands that have an output schema, and each converts to JSON Schema. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { OUTPUT_SCHEMAS } from '../../src/schema/index.js';
import { SCHEMA_COMMANDS } from '../../commands/schema.js';

test('SCHEMA_COMMANDS and OUTPUT_SCHEMAS list the same commands', () => {
  assert.deepEqual([...SCHEMA_COMMANDS].sort(), Object.keys(OUTPUT_SCHEMAS).sort());
});

test('every output schema becomes a JSON Schema with the envelope fields', () => {
  for (const [name, schema] of Object.entries(OUTPUT_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { io: 'output' }) as {
      properties?: Record<string, unknown>;
    };
    for (const field of ['schemaVersion', 'command', 'status', 'result', 'error'])
      assert.ok(json.properties?.[field], `${name} lacks ${field}`);
  }
});
