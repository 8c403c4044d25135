/** `smtp-probe schema <command>`: the JSON Schema of a command's output (or of one NDJSON line). */
import type { CommandModule } from 'yargs';
import type { CliContext } from './context.js';
import { choiceFlag, declare, parseFlags, positional } from './flags.js';

/** SCHEMA_COMMANDS: commands with a JSON output schema (kept here so --help needs no zod). */
export const SCHEMA_COMMANDS = [
  'caps',
  'mx',
  'failover',
  'verify',
  'vrfy',
  'expn',
  'demo',
  'audit',
  'send',
] as const;

const SCHEMA_FLAGS = {
  command: positional(
    'command',
    `the command whose output to describe (${SCHEMA_COMMANDS.join(', ')})`,
    {
      command: 'schema',
      what: 'a command name',
      example: 'caps',
    },
  ),
  format: choiceFlag(
    'format',
    ['json', 'ndjson'] as const,
    'json',
    'the output to describe: the --json document, or one line of --format ndjson',
  ),
};

/** schemaCommand: the yargs module for `schema`. */
export function schemaCommand(ctx: CliContext): CommandModule {
  return {
    command: 'schema <command>',
    describe: "Print the JSON Schema of a command's --json output (or of one --format ndjson line)",
    builder: (y) =>
      declare(y, SCHEMA_FLAGS)
        .example('$0 schema caps > caps.schema.json', 'validate scripts against it')
        .example('$0 schema verify --format ndjson', 'what each line of a verify stream is'),
    handler: async (argv) => {
      const a = parseFlags(SCHEMA_FLAGS, argv);
      const command = SCHEMA_COMMANDS.find((c) => c === a.command);
      if (!command) {
        const { invalidInput } = await import('../src/errors.js');
        throw invalidInput(`schema: "${a.command}" is not one of ${SCHEMA_COMMANDS.join(', ')}`);
      }
      // Built apart from the executable (scripts/bundle.mjs): the full zod stays out of its chunks.
      const { jsonSchema } = await import('../src/schema/full-zod.js');
      ctx.stdout.write(`${JSON.stringify(jsonSchema(command, a.format), null, 2)}\n`);
    },
  };
}
