/** `smtp-probe lab`: the simulated mail network, in the foreground until Ctrl-C. */
import type { Argv, CommandModule } from 'yargs';
import { withOutput, outputFormat } from './options.js';
import { renderContext, type CliContext } from './context.js';

/** labCommand: the yargs module for `lab`. */
export function labCommand(ctx: CliContext): CommandModule {
  return {
    command: 'lab',
    describe: 'Run the simulated mail network on loopback (no root, no network) until Ctrl-C',
    builder: (y: Argv) => withOutput(y)
      .option('port', { type: 'number', default: 2525, describe: 'port every lab host listens on (0: a free port per host)' })
      .option('host', { type: 'string', array: true, describe: 'start only these personalities (repeatable; default all)' })
      .example('$0 lab', 'start every host on port 2525, then probe them from another terminal')
      .example('$0 lab --port 0 --json', 'free ports, host list as JSON (for scripts)'),
    handler: async (argv) => {
      const { startLab, PERSONALITIES } = await import('../src/lab/index.js');
      const { renderLab } = await import('../src/output/lab-table.js');
      const wanted = argv.host as string[] | undefined;
      const unknown = wanted?.filter((h) => !PERSONALITIES.some((p) => p.name === h)) ?? [];
      if (unknown.length > 0) {
        const { invalidInput } = await import('../src/errors.js');
        throw invalidInput(`unknown lab host ${unknown.join(', ')}; choose from ${PERSONALITIES.map((p) => p.name).join(', ')}`);
      }
      const lab = await startLab({ port: argv.port as number, ...(wanted ? { hosts: wanted } : {}) });
      const rc = renderContext(ctx, outputFormat(argv as never));
      if (rc.format === 'table') {
        ctx.stdout.write(renderLab(lab.hosts, rc));
        ctx.stdout.write(`\nTrusted CA for the TLS hosts: ${lab.caCertFile}\nTry: smtp-probe caps ${lab.hosts[0] ? `${lab.hosts[0].address}:${lab.hosts[0].port}` : '127.0.0.10:2525'} --ca ${lab.caCertFile}\nCtrl-C stops the lab.\n`);
      } else {
        const doc = { hosts: lab.hosts, caCertFile: lab.caCertFile };
        ctx.stdout.write(`${rc.format === 'json' ? JSON.stringify(doc, null, 2) : JSON.stringify(doc)}\n`);
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
