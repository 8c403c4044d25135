/**
 * `smtp-probe demo`: the README's first command. Starts the lab in-process
 * on free ports, probes its hosts with `caps`, prints what it found, exits.
 * Needs no network and no root.
 */
import type { Argv, CommandModule } from 'yargs';
import { withOutput, outputFormat } from './options.js';
import { renderContext, type CliContext } from './context.js';

/** demoCommand: the yargs module for `demo`. */
export function demoCommand(ctx: CliContext): CommandModule {
  return {
    command: 'demo',
    describe:
      'A tour: start the simulated mail network, probe it with caps, mx and failover, print the results, exit',
    builder: (y: Argv) =>
      withOutput(y)
        .example('$0 demo', 'the full tour in tables')
        .example('$0 demo --format ndjson', 'one caps result per line'),
    handler: async (argv) => {
      const { runDemo } = await import('../src/demo/tour.js');
      const rc = renderContext(ctx, outputFormat(argv as never));
      ctx.exitCode = await runDemo(rc, ctx.signal);
    },
  };
}
