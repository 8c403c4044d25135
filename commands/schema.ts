/** `smtp-probe schema <command>`: the JSON Schema of a command's output. */
import type { Argv, CommandModule } from 'yargs';
import type { CliContext } from './context.js';

/** SCHEMA_COMMANDS: commands with a JSON output schema (kept here so --help needs no zod). */
export const SCHEMA_COMMANDS = ['caps', 'mx', 'failover', 'verify', 'vrfy', 'expn'] as const;

/** schemaCommand: the yargs module for `schema`. */
export function schemaCommand(ctx: CliContext): CommandModule {
  return {
    command: 'schema <command>',
    describe: "Print the JSON Schema of a command's --json output",
    builder: (y: Argv) =>
      y
        .positional('command', {
          choices: SCHEMA_COMMANDS,
          demandOption: true,
          describe: 'the command whose output to describe',
        })
        .example('$0 schema caps > caps.schema.json', 'validate scripts against it'),
    handler: async (argv) => {
      const { z } = await import('zod');
      const { OUTPUT_SCHEMAS } = await import('../src/schema/index.js');
      const schema = OUTPUT_SCHEMAS[argv.command as (typeof SCHEMA_COMMANDS)[number]];
      ctx.stdout.write(`${JSON.stringify(z.toJSONSchema(schema, { io: 'output' }), null, 2)}\n`);
    },
  };
}
