/** `smtp-probe lab`: the simulated mail network, in the foreground until Ctrl-C. */
import type { CommandModule } from 'yargs';
import { invalidInput } from '../src/errors.js';
import { renderContext, type CliContext } from './context.js';
import {
  booleanFlag,
  choiceFlag,
  countFlag,
  declare,
  listFlag,
  parseFlags,
  portFlag,
} from './flags.js';
import { OUTPUT_FLAGS, outputFormat } from './options.js';

/** LAB_MAX_SITES: src/lab's MAX_SITES, repeated so that --help and flag checks do not load the lab (a test keeps them equal). */
export const LAB_MAX_SITES = 20_000;

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
  httpsPort: portFlag(
    'https-port',
    undefined,
    'HTTPS port on 127.0.0.49 for the MTA-STS policies and DNS over HTTPS (default 2443; a free one with --port 0)',
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
  sites: countFlag(
    'sites',
    { min: 0, max: LAB_MAX_SITES, fallback: 0, what: 'a number of sites' },
    'also run N audit sites: domains s1.sites.test … sN.sites.test, their MX hosts on 127.1.0.0/16 and up',
  ),
  listSites: booleanFlag(
    'list-sites',
    false,
    'print the --sites domains, one per line, and exit without starting anything',
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
        .example('$0 lab --port 0 --json', 'free ports, host list as JSON (for scripts)')
        .example('$0 lab --sites 2000', 'add 2,000 audit sites to the lab')
        .example(
          '$0 lab --sites 2000 --list-sites > domains.txt',
          'their domain names, for an audit',
        ),
    handler: async (argv) => {
      const a = parseFlags(LAB_FLAGS, argv);
      const sites = a.sites ?? 0;
      if (a.listSites) {
        if (sites === 0)
          throw invalidInput('--list-sites needs --sites N (1-20000): the sites to list');
        const { siteDomains } = await import('../src/lab/sites.js');
        ctx.stdout.write(`${siteDomains(sites).join('\n')}\n`);
        return;
      }
      const { startLab, LAB_SCENARIOS } = await import('../src/lab/index.js');
      const lab = await startLab({
        port: a.port,
        blackhole: a.blackhole,
        sites,
        ...(a.host.length ? { hosts: a.host } : {}),
        ...(a.dnsPort === undefined ? {} : { dnsPort: a.dnsPort }),
        ...(a.httpsPort === undefined ? {} : { httpsPort: a.httpsPort }),
      });
      const rc = renderContext(ctx, outputFormat({ ...a, transcript: false }));
      if (rc.format === 'table') {
        const { renderLab } = await import('../src/output/lab-table.js');
        ctx.stdout.write(renderLab(lab, LAB_SCENARIOS, rc));
        if (sites > 0) ctx.stdout.write(sitesNote(lab));
      } else {
        const doc = {
          port: lab.port,
          dns: lab.dns,
          https: lab.https,
          dohUrl: lab.dohUrl,
          blackhole: lab.blackhole,
          hosts: lab.hosts,
          caCertFile: lab.caCertFile,
          scenarios: LAB_SCENARIOS.map((s) => ({ domain: s.domain, description: s.description })),
          // Counts only: `--list-sites` (or siteDomains) names the domains.
          sites: {
            count: lab.sites.count,
            domains: lab.sites.domains.length,
            hosts: lab.sites.hosts.length,
          },
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

/** sitesNote: the table view's lines on the audit sites: how many run, where, and how to list them. */
function sitesNote(lab: {
  port: number;
  sites: { count: number; hosts: readonly { listening: boolean }[] };
}): string {
  const n = lab.sites.count;
  const hosts = lab.sites.hosts.length;
  const listening = lab.sites.hosts.filter((h) => h.listening).length;
  return [
    '',
    `Audit sites: ${n} domain${n === 1 ? '' : 's'} (s1.sites.test … s${n}.sites.test) in the lab's DNS,`,
    `  served by ${hosts} more hosts on 127.1.0.0/16 and up (${listening} listening) on port ${lab.port};`,
    '  the mix of personalities is in docs/lab.md',
    `List them: smtp-probe lab --sites ${n} --list-sites`,
    '',
  ].join('\n');
}
