/** `smtp-probe verify <address>...`: RCPT-based verification, the way mail really checks — never DATA. */
import type { Argv, CommandModule } from 'yargs';
import {
  withHelo,
  withOutput,
  withTimeouts,
  outputFormat,
  timeoutsFrom,
  durationFlag,
} from './options.js';
import { runProbeCommand } from './run.js';
import { readArgumentList } from './input-list.js';
import type { CliContext } from './context.js';
import { invalidInput } from '../src/errors.js';

/** parseMethods: "rcpt", "vrfy,rcpt" or "vrfy", in the order to try them. */
function parseMethods(text: string): ('vrfy' | 'rcpt')[] {
  const methods = text.split(',').map((m) => m.trim().toLowerCase());
  if (
    methods.length === 0 ||
    methods.some((m) => m !== 'vrfy' && m !== 'rcpt') ||
    new Set(methods).size !== methods.length
  ) {
    throw invalidInput(`--method "${text}": use rcpt, vrfy,rcpt or vrfy`);
  }
  return methods as ('vrfy' | 'rcpt')[];
}

/** verifyCommand: the yargs module for `verify`. */
export function verifyCommand(ctx: CliContext): CommandModule {
  return {
    command: 'verify [addresses..]',
    describe:
      'Verify addresses with RCPT TO at the MX a sender would use (pipelined, catch-all, greylisting; never DATA)',
    builder: (y: Argv) =>
      withHelo(
        withTimeouts(
          withOutput(
            y
              .positional('addresses', {
                type: 'string',
                array: true,
                describe: 'addresses to verify (or --file)',
              })
              .option('file', {
                type: 'string',
                requiresArg: true,
                describe: 'read addresses from a file, one per line (- for stdin; # comments)',
              })
              .option('from', {
                type: 'string',
                describe:
                  'MAIL FROM address (default postmaster@<this host\'s FQDN>, else <>; "" for <>)',
              })
              .option('method', {
                type: 'string',
                default: 'rcpt',
                describe:
                  'rcpt, vrfy,rcpt (VRFY first where the server answers it clearly) or vrfy',
              })
              .option('pipelining', {
                type: 'boolean',
                default: true,
                describe:
                  'pipeline RCPTs when the server offers PIPELINING (--no-pipelining: one at a time)',
              })
              .option('max-errors', {
                type: 'number',
                describe:
                  "rejected recipients per session before a fresh one (default 9, under Postfix's limit of 10, raised for servers that do not slow down; setting it fixes it)",
              })
              .option('connections', {
                type: 'number',
                default: 1,
                describe: 'sessions per MX host at once (polite default 1; at most 8)',
              })
              .option('catch-all', {
                type: 'boolean',
                default: true,
                describe: 'test each domain once with a random local part',
              })
              .option('retry-after', {
                type: 'string',
                coerce: durationFlag('--retry-after'),
                describe: 'retry greylisted addresses once after this long (e.g. 5m)',
              })
              .option('resolver', {
                type: 'string',
                array: true,
                describe: 'DNS server IP[:port] (repeatable; default /etc/resolv.conf)',
              })
              .option('port', {
                type: 'number',
                default: 25,
                describe: 'SMTP port on the MX hosts',
              })
              .option('starttls', {
                type: 'boolean',
                default: true,
                describe: 'STARTTLS when offered, as a real sender does',
              })
              .option('ca', {
                type: 'string',
                array: true,
                describe: 'extra trusted CA certificates (PEM)',
              })
              .example(
                '$0 verify alice@example.com bob@example.com',
                'deliverable / undeliverable / risky / unknown, with the replies',
              )
              .example(
                '$0 verify --file list.txt --json',
                'many addresses; JSON with evidence per address',
              )
              .example(
                '$0 verify user@greylist.test --resolver 127.0.0.1:2553 --port 2525 --retry-after 3s',
                'in the lab',
              ),
          ),
          'domain',
        ),
      ),
    handler: async (argv) => {
      const { probeVerify } = await import('../src/probes/verify.js');
      const addresses = await readArgumentList(
        (argv.addresses as string[] | undefined) ?? [],
        argv.file as string | undefined,
        ctx.stdin ?? process.stdin,
      );
      await runProbeCommand(ctx, {
        command: 'verify',
        target: addresses.length === 1 ? addresses[0]! : `${addresses.length} addresses`,
        format: outputFormat(argv as never),
        transcript: false,
        probe: () =>
          probeVerify(addresses, {
            resolvers: (argv.resolver as string[] | undefined) ?? [],
            port: argv.port as number,
            ...(argv.from !== undefined ? { from: String(argv.from) } : {}),
            helo: argv.helo as string | undefined,
            methods: parseMethods(String(argv.method)),
            connections: argv.connections as number,
            starttls: argv.starttls !== false,
            pipelining: argv.pipelining !== false,
            ...(typeof argv['max-errors'] === 'number' ? { maxErrors: argv['max-errors'] } : {}),
            catchAll: argv['catch-all'] !== false,
            caFiles: (argv.ca as string[] | undefined) ?? [],
            timeouts: timeoutsFrom(argv),
            ...(typeof argv['retry-after'] === 'number'
              ? { retryAfterMs: argv['retry-after'] }
              : {}),
            signal: ctx.signal,
          }),
        tables: async () => (await import('../src/output/verify-table.js')).renderVerify,
      });
    },
  };
}
