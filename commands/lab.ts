/** `smtp-probe lab`: the simulated mail network, in the foreground until Ctrl-C. */
import type { Argv, CommandModule } from 'yargs';
import { withOutput, outputFormat } from './options.js';
import { renderContext, type CliContext } from './context.js';

/** labCommand: the yargs module for `lab`. */
export function labCommand(ctx: CliContext): CommandModule {
  return {
    command: 'lab',
    describe: 'Run the simulated mail network on loopback (no root, no network) until Ctrl-C',
    builder: (y: Argv) =>
      withOutput(y)
        .option('port', {
          type: 'number',
          default: 2525,
          describe: 'SMTP port every lab host listens on (0: one free port for all)',
        })
        .option('dns-port', {
          type: 'number',
          describe: 'DNS port (UDP and TCP) on 127.0.0.1 (default 2553; a free one with --port 0)',
        })
        .option('host', {
          type: 'string',
          array: true,
          describe:
            'start only these personalities, host names or scenario domains (repeatable; default all)',
        })
        .option('blackhole', {
          choices: ['auto', 'nftables', 'full-accept-queue'],
          default: 'auto',
          describe: 'how to make the address whose connects time out',
        })
        .example('$0 lab', 'start every host on port 2525, then probe them from another terminal')
        .example('$0 lab --port 0 --json', 'free ports, host list as JSON (for scripts)'),
    handler: async (argv) => {
      const { startLab, LAB_SCENARIOS } = await import('../src/lab/index.js');
      const { renderLab } = await import('../src/output/lab-table.js');
      const wanted = argv.host as string[] | undefined;
      const lab = await startLab({
        port: argv.port as number,
        blackhole: argv.blackhole as 'auto',
        ...(wanted ? { hosts: wanted } : {}),
        ...(typeof argv['dns-port'] === 'number' ? { dnsPort: argv['dns-port'] } : {}),
      });
      const rc = renderContext(ctx, outputFormat(argv as never));
      if (rc.format === 'table') {
        ctx.stdout.write(renderLab(lab, LAB_SCENARIOS, rc));
      } else {
        const doc = {
          port: lab.port,
          dns: lab.dns,
          blackhole: lab.blackhole,
          hosts: lab.hosts,
          caCertFile: lab.caCertFile,
          scenarios: LAB_SCENARIOS.map((s) => ({ domain: s.domain, description: s.description })),
        };
        ctx.stdout.write(
          `${rc.format === 'json' ? JSON.stringify(doc, null, 2) : JSON.stringify(doc)}\n`,
        );
      }
      await new Promise<void>((resolve) => {
        if (ctx.signal.aborted) return resolve();
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await lab.close();
      if (rc.format === 'table') ctx.stderr.write('lab stopped\n');
    },
  };
}
