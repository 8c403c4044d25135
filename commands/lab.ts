/** `smtp-probe lab`: the simulated mail network, in the foreground until Ctrl-C. */
import type { CommandModule } from 'yargs';
import { renderContext, type CliContext } from './context.js';
import { choiceFlag, declare, listFlag, parseFlags, portFlag } from './flags.js';
import { OUTPUT_FLAGS, outputFormat } from './options.js';

/** LAB_FLAGS: what `lab` takes (no --transcript: the lab is the server side). */
export const LAB_FLAGS = {
  port: portFlag(
    'port',
    2525,
    'SMTP port every lab host listens on (0: one free port for all)',
    true,
  ),
  dnsPort: portFlag(
    'dns-port',
    undefined,
    'DNS port (UDP and TCP) on 127.0.0.1 (default 2553; a free one with --port 0)',
    true,
  ),
  host: listFlag(
    'host',
    'start only these personalities, host names or scenario domains (repeatable; default all)',
  ),
  blackhole: choiceFlag(
    'blackhole',
    ['auto', 'nftables', 'full-accept-queue'] as const,
    'auto',
    'how to make the address whose connects time out',
  ),
  format: OUTPUT_FLAGS.format,
  json: OUTPUT_FLAGS.json,
};

/** labCommand: the yargs module for `lab`. */
export function labCommand(ctx: CliContext): CommandModule {
  return {
    command: 'lab',
    describe: 'Run the simulated mail network on loopback (no root, no network) until Ctrl-C',
    builder: (y) =>
      declare(y, LAB_FLAGS)
        .example('$0 lab', 'start every host on port 2525, then probe them from another terminal')
        .example('$0 lab --port 0 --json', 'free ports, host list as JSON (for scripts)'),
    handler: async (argv) => {
      const a = parseFlags(LAB_FLAGS, argv);
      const { startLab, LAB_SCENARIOS } = await import('../src/lab/index.js');
      const lab = await startLab({
        port: a.port,
        blackhole: a.blackhole,
        ...(a.host.length ? { hosts: a.host } : {}),
        ...(a.dnsPort === undefined ? {} : { dnsPort: a.dnsPort }),
      });
      const rc = renderContext(ctx, outputFormat({ ...a, transcript: false }));
      if (rc.format === 'table') {
        const { renderLab } = await import('../src/output/lab-table.js');
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
