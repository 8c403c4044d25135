/**
 * lookupCommand: the yargs module `vrfy` and `expn` share — the same flags,
 * one probe, one renderer; only the verb and the words differ. Exit 0 whenever
 * the probe ran: "no such user" or "disabled" are data, not failures.
 */
import type { Argv, CommandModule } from 'yargs';
import { withHelo, withOutput, withTimeouts, outputFormat, timeoutsFrom } from './options.js';
import { runProbeCommand } from './run.js';
import { readArgumentList } from './input-list.js';
import type { CliContext } from './context.js';

/** LookupSpec: what differs between `vrfy` and `expn`. */
export interface LookupSpec {
  verb: 'VRFY' | 'EXPN';
  /** The positional's name: `names` or `lists`. */
  positional: string;
  describe: string;
  positionalDescribe: string;
  examples: [string, string][];
}

/** lookupCommand: see the module comment. */
export function lookupCommand(ctx: CliContext, spec: LookupSpec): CommandModule {
  const command = spec.verb.toLowerCase() as 'vrfy' | 'expn';
  return {
    command: `${command} <target> [${spec.positional}..]`,
    describe: spec.describe,
    builder: (y: Argv) => {
      const built = withHelo(
        withTimeouts(
          withOutput(
            y
              .positional('target', {
                type: 'string',
                demandOption: true,
                describe: 'host, host:port, IPv4, [IPv6] or [IPv6]:port (port 25 by default)',
              })
              .positional(spec.positional, {
                type: 'string',
                array: true,
                describe: spec.positionalDescribe,
              })
              // requiresArg: without it yargs reads `--file -` as an empty --file and a positional "-".
              .option('file', {
                type: 'string',
                requiresArg: true,
                describe:
                  'read more from a file, one per line (- for stdin; blank lines and # comments skipped)',
              })
              .option('both-forms', {
                type: 'boolean',
                default: false,
                describe: 'ask each argument as user and as user@domain',
              })
              .option('domain', {
                type: 'string',
                requiresArg: true,
                describe:
                  'the domain for the user@domain form (implies --both-forms; default: the host name in the banner)',
              })
              .option('starttls', {
                type: 'boolean',
                default: true,
                describe:
                  'STARTTLS when offered, so a policy that differs after TLS is seen (--no-starttls stays in clear)',
              })
              .option('ca', {
                type: 'string',
                array: true,
                describe: 'extra trusted CA certificates (PEM file; repeatable)',
              })
              .option('control', {
                type: 'boolean',
                default: true,
                describe: `when every answer is 252, ${spec.verb} one made-up name to tell a blanket 252 from a real lookup`,
              }),
          ),
        ),
      );
      return spec.examples.reduce((acc, [cmd, what]) => acc.example(cmd, what), built);
    },
    handler: async (argv) => {
      const { probeLookup } = await import('../src/probes/lookup.js');
      const target = String(argv.target);
      const given = (argv[spec.positional] as string[] | undefined)?.map(String) ?? [];
      await runProbeCommand(ctx, {
        command,
        target,
        format: outputFormat(argv as never),
        transcript: argv.transcript === true,
        probe: async (onTranscript) =>
          probeLookup(
            spec.verb,
            target,
            await readArgumentList(
              given,
              argv.file as string | undefined,
              ctx.stdin ?? process.stdin,
            ),
            {
              helo: argv.helo as string | undefined,
              starttls: argv.starttls !== false,
              caFiles: (argv.ca as string[] | undefined) ?? [],
              bothForms: argv['both-forms'] === true || argv.domain !== undefined,
              ...(argv.domain !== undefined ? { domain: String(argv.domain) } : {}),
              control: argv.control !== false,
              timeouts: timeoutsFrom(argv),
              signal: ctx.signal,
              onTranscript,
            },
          ),
        tables: async () => (await import('../src/output/lookup-table.js')).renderLookup,
      });
    },
  };
}
