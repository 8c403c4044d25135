/** `smtp-probe verify <address>...`: RCPT-based verification, the way mail really checks — never DATA. */
import type { CommandModule } from 'yargs';
import { invalidInput } from '../src/errors.js';
import { parseTarget } from '../src/net/target.js';
import type { CliContext } from './context.js';
import {
  booleanFlag,
  countFlag,
  customFlag,
  durationFlag,
  portFlag,
  positionalList,
  textFlag,
} from './flags.js';
import { readArgumentList } from './input-list.js';
import { CA_FLAG, dnsFlags, HELO_FLAG, starttlsFlag, timeoutFlags, timeoutsOf } from './options.js';
import { probeCommand } from './run.js';

/** parseMethods: "rcpt", "vrfy,rcpt" or "vrfy", in the order to try them. */
function parseMethods(raw: unknown): ('vrfy' | 'rcpt')[] {
  const text = raw === undefined ? 'rcpt' : String(raw);
  const methods = text.split(',').map((m) => m.trim().toLowerCase());
  if (
    methods.length === 0 ||
    methods.some((m) => m !== 'vrfy' && m !== 'rcpt') ||
    new Set(methods).size !== methods.length
  ) {
    throw invalidInput(`--method "${text}" is not one of rcpt, vrfy,rcpt or vrfy`);
  }
  return methods as ('vrfy' | 'rcpt')[];
}

/** VERIFY_FLAGS: everything `verify` takes, each flag once. */
export const VERIFY_FLAGS = {
  addresses: positionalList('addresses', 'addresses to verify (or --file)'),
  file: textFlag(
    'file',
    'read addresses from a file, one per line (- for stdin; # comments); a bad line gets the verdict invalid',
    { requiresArg: true },
  ),
  from: textFlag(
    'from',
    'MAIL FROM address (default postmaster@<this host\'s FQDN>, else <>; "" for <>)',
  ),
  method: customFlag(
    'method',
    {
      type: 'string',
      describe:
        'rcpt, vrfy,rcpt (VRFY first where the server answers it clearly) or vrfy (default rcpt)',
    },
    parseMethods,
  ),
  server: customFlag(
    'server',
    {
      type: 'string',
      array: true,
      describe:
        'verify at HOST[:PORT] instead of the MX (repeatable, tried in order): a backup MX, a server DNS does not point at yet',
    },
    (raw) =>
      (raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).map(String)).map((s) => {
        try {
          // Port 0 here means "none given": --port fills it in.
          return parseTarget(s, 0);
        } catch (err) {
          throw invalidInput(
            `--server "${s}": ${(err as Error).message.replace(/^target "[^"]*": /, '')}`,
          );
        }
      }),
  ),
  pipelining: booleanFlag(
    'pipelining',
    true,
    'pipeline RCPTs when the server offers PIPELINING (--no-pipelining: one at a time)',
  ),
  maxErrors: countFlag(
    'max-errors',
    { min: 1, max: 1000, what: 'a number of rejections' },
    "rejected recipients per session before a fresh one (default 9, under Postfix's limit of 10, raised for servers that do not slow down; setting it fixes it)",
  ),
  connections: countFlag(
    'connections',
    { min: 1, max: 8, fallback: 1, what: 'a number of sessions' },
    'sessions per MX host at once (polite default 1)',
  ),
  catchAll: booleanFlag('catch-all', true, 'test each domain once with a random local part'),
  retryAfter: durationFlag(
    'retry-after',
    undefined,
    'retry greylisted addresses once after this long (e.g. 5m)',
  ),
  ...dnsFlags(),
  port: portFlag('port', 25, 'SMTP port on the MX hosts (and on --server without a port)'),
  starttls: starttlsFlag('STARTTLS when offered, as a real sender does'),
  ca: CA_FLAG,
  helo: HELO_FLAG,
  ...timeoutFlags('domain'),
};

/** verifyCommand: the yargs module for `verify`. */
export function verifyCommand(ctx: CliContext): CommandModule {
  return probeCommand(ctx, {
    command: 'verify',
    yargsCommand: 'verify [addresses..]',
    usage: 'verify <address..> [options]',
    describe:
      'Verify addresses with RCPT TO at the MX a sender would use (pipelined, catch-all, greylisting; never DATA)',
    flags: VERIFY_FLAGS,
    examples: [
      [
        '$0 verify alice@example.com bob@example.com',
        'deliverable / undeliverable / risky / unknown, with the replies',
      ],
      ['$0 verify --file list.txt --json', 'many addresses; JSON with evidence per address'],
      ['$0 verify alice@example.com --server backup-mx.example.com', 'ask a backup MX directly'],
      [
        '$0 verify user@greylist.test --resolver 127.0.0.1:2553 --port 2525 --retry-after 3s',
        'in the lab',
      ],
    ],
    target: (argv) => {
      const given = (argv.addresses as string[] | undefined) ?? [];
      if (argv.file !== undefined) return `--file ${String(argv.file)}`;
      return given.length === 1 ? String(given[0]) : `${given.length} addresses`;
    },
    probe: async (a, io) => {
      const { probeVerify } = await import('../src/probes/verify.js');
      const inputs = await readArgumentList(a.addresses, a.file, ctx.stdin ?? process.stdin);
      return probeVerify(inputs, {
        resolvers: a.resolver,
        port: a.port,
        // A --server without a port takes --port.
        servers: a.server.map((t) => ({ host: t.host, port: t.port === 0 ? a.port : t.port })),
        ...(a.from === undefined ? {} : { from: a.from }),
        ...(a.helo === undefined ? {} : { helo: a.helo }),
        methods: a.method,
        ...(a.connections === undefined ? {} : { connections: a.connections }),
        starttls: a.starttls,
        pipelining: a.pipelining,
        ...(a.maxErrors === undefined ? {} : { maxErrors: a.maxErrors }),
        catchAll: a.catchAll,
        caFiles: a.ca,
        timeouts: timeoutsOf(a),
        ...(a.dnsTimeout === undefined ? {} : { dnsTimeoutMs: a.dnsTimeout }),
        ...(a.retryAfter === undefined ? {} : { retryAfterMs: a.retryAfter }),
        signal: io.signal,
        ...(io.onTranscript ? { onTranscript: io.onTranscript } : {}),
        ...(io.emit ? { onVerdict: (v) => io.emit?.({ type: 'address', ...v }) } : {}),
      });
    },
    tables: async () => (await import('../src/output/verify-table.js')).renderVerify,
  });
}
