/** `smtp-probe mx <domain>`: walk the MX chain the way a sender does. */
import type { CommandModule } from 'yargs';
import { EXIT } from '../src/output/exit-codes.js';
import type { CliContext } from './context.js';
import { booleanFlag, positional } from './flags.js';
import { walkFlags, walkOptionsOf, walkStreams } from './options.js';
import { probeCommand } from './run.js';

/** MX_FLAGS: everything `mx` takes, each flag once. */
export const MX_FLAGS = {
  domain: positional('domain', 'mail domain (IDN allowed)', {
    command: 'mx',
    what: 'a domain',
    example: 'example.com',
  }),
  ...walkFlags(),
  consistency: booleanFlag(
    'consistency',
    false,
    'compare the MX hosts: recipient validation (one made-up RCPT each, never DATA), STARTTLS and certificate names, SIZE, VRFY/EXPN, AUTH',
  ),
};

/** mxCommand: the yargs module for `mx`. */
export function mxCommand(ctx: CliContext): CommandModule {
  return probeCommand(ctx, {
    command: 'mx',
    yargsCommand: 'mx <domain>',
    usage: 'mx <domain> [options]',
    describe:
      "Walk a domain's MX hosts (RFC 5321 §5.1): every address probed, lint with RFCs, who takes the mail",
    flags: MX_FLAGS,
    examples: [
      ['$0 mx example.com', 'MX hosts by preference, each address probed, lint, verdict'],
      [
        '$0 mx blackhole.test --resolver 127.0.0.1:2553 --port 2525 --connect-timeout 2s',
        'a walk in the lab',
      ],
      ['$0 mx example.com --json --dns-trace', 'everything, with every DNS query and answer'],
      ['$0 mx example.com --consistency', 'do the MX hosts agree? (backscatter, STARTTLS, names)'],
    ],
    target: (argv) => String(argv.domain ?? ''),
    probe: async (a, io) => {
      const { probeMx } = await import('../src/probes/mx.js');
      return probeMx(a.domain, {
        ...walkOptionsOf(a),
        ...walkStreams(io),
        consistency: a.consistency,
      });
    },
    tables: async (a) => {
      const { renderMx } = await import('../src/output/mx-table.js');
      return (result, rc) => renderMx(result, rc, { dnsTrace: a.dnsTrace });
    },
    exitCode: (result) => (result.verdict?.kind === 'accepted' ? EXIT.OK : EXIT.UNDELIVERABLE),
  });
}
