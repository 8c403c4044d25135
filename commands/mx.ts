/** `smtp-probe mx <domain>`: walk the MX chain the way a sender does. */
import type { Argv, CommandModule } from 'yargs';
import {
  withHelo,
  withOutput,
  withTimeouts,
  withWalk,
  outputFormat,
  walkOptionsFrom,
} from './options.js';
import { runProbeCommand } from './run.js';
import type { CliContext } from './context.js';

/** mxCommand: the yargs module for `mx`. */
export function mxCommand(ctx: CliContext): CommandModule {
  return {
    command: 'mx <domain>',
    describe:
      "Walk a domain's MX hosts (RFC 5321 §5.1): every address probed, lint with RFCs, who takes the mail",
    builder: (y: Argv) =>
      withHelo(
        withTimeouts(
          withOutput(
            withWalk(
              y
                .positional('domain', {
                  type: 'string',
                  demandOption: true,
                  describe: 'mail domain (IDN allowed)',
                })
                .example(
                  '$0 mx example.com',
                  'MX hosts by preference, each address probed, lint, verdict',
                )
                .example(
                  '$0 mx blackhole.test --resolver 127.0.0.1:2553 --port 2525 --connect-timeout 2s',
                  'a walk in the lab',
                )
                .example(
                  '$0 mx example.com --json --dns-trace',
                  'everything, with every DNS query and answer',
                ),
            ),
          ),
          'walk',
        ),
      ),
    handler: async (argv) => {
      const { probeMx } = await import('../src/probes/mx.js');
      const { EXIT } = await import('../src/output/exit-codes.js');
      const domain = String(argv.domain);
      await runProbeCommand(ctx, {
        command: 'mx',
        target: domain,
        format: outputFormat(argv as never),
        transcript: false,
        probe: () => probeMx(domain, { ...walkOptionsFrom(argv), signal: ctx.signal }),
        tables: async () => {
          const { renderMx } = await import('../src/output/mx-table.js');
          return (result, rc) => renderMx(result, rc, { dnsTrace: argv['dns-trace'] === true });
        },
        exitCode: (result) => (result.verdict?.kind === 'accepted' ? EXIT.OK : EXIT.UNDELIVERABLE),
      });
    },
  };
}
