/**
 * `smtp-probe demo`: the README's first command. Starts the lab in-process
 * on free ports, probes its hosts with caps, walks an MX set and replays a
 * failover, prints what it found, exits. Needs no network and no root.
 */
import type { CommandModule } from 'yargs';
import { formatTranscriptEntry } from '../src/output/transcript.js';
import { renderContext, stderrPaint, type CliContext } from './context.js';
import { declare, parseFlags } from './flags.js';
import { OUTPUT_FLAGS, outputFormat } from './options.js';

/** demoCommand: the yargs module for `demo`. */
export function demoCommand(ctx: CliContext): CommandModule {
  return {
    command: 'demo',
    describe:
      'A tour: start the simulated mail network, probe it with caps, mx and failover, print the results, exit',
    builder: (y) =>
      declare(y, OUTPUT_FLAGS)
        .example('$0 demo', 'the full tour in tables')
        .example('$0 demo --json', 'the tour as one JSON document (see `smtp-probe schema demo`)')
        .example(
          '$0 demo --format ndjson --transcript',
          'one line per step; every session on stderr',
        ),
    handler: async (argv) => {
      const out = parseFlags(OUTPUT_FLAGS, argv);
      const { runDemo } = await import('../src/demo/tour.js');
      const rc = renderContext(ctx, outputFormat(out));
      const p = stderrPaint(ctx);
      ctx.exitCode = await runDemo(rc, {
        signal: ctx.signal,
        ...(out.transcript
          ? {
              onTranscript: (e, label) =>
                ctx.stderr.write(`${formatTranscriptEntry(e, p, label)}\n`),
            }
          : {}),
      });
    },
  };
}
