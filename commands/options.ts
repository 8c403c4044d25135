/**
 * Shared flag builders, so every command spells its flags the same way:
 * withOutput (--format, --json, --transcript), withTimeouts (--connect-timeout,
 * --greeting-timeout, --command-timeout, --timeout), withHelo (--helo).
 */
import type { Argv } from 'yargs';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../src/session/timeouts.js';
import { parseDuration, formatDurationFlag } from '../src/time/duration.js';
import { FORMATS, type Format } from '../src/output/render.js';

/** withOutput: --format table|json|ndjson, --json, --transcript. */
export function withOutput<T>(y: Argv<T>) {
  return y
    .option('format', {
      choices: FORMATS,
      default: 'table' as Format,
      describe: 'output format',
      group: 'Output:',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'shortcut for --format json',
      group: 'Output:',
    })
    .option('transcript', {
      type: 'boolean',
      default: false,
      describe: 'print every line sent and received on stderr (and include it in JSON)',
      group: 'Output:',
    });
}

/** outputFormat: --json wins over --format. */
export function outputFormat(argv: { format: Format; json: boolean }): Format {
  return argv.json ? 'json' : argv.format;
}

/** durationFlag: a yargs coerce that reads a duration flag into milliseconds. */
export const durationFlag =
  (flag: string) =>
  (v: string | undefined): number | undefined =>
    v === undefined ? undefined : parseDuration(String(v), flag);

/**
 * WHOLE_RUN: what --timeout bounds, in each command's words (docs/architecture.md has the table).
 */
export const WHOLE_RUN = {
  target: 'the whole probe of the target',
  walk: 'the whole walk, DNS included',
  domain: 'each domain: its MX walk, its sessions and the --retry-after wait',
} as const;

/** withTimeouts: the per-phase timeouts and the whole-run one, each a duration like 500ms, 5s or 2m. */
export function withTimeouts<T>(y: Argv<T>, wholeRun: keyof typeof WHOLE_RUN = 'target') {
  const d = DEFAULT_TIMEOUTS;
  return y
    .option('connect-timeout', {
      type: 'string',
      coerce: durationFlag('--connect-timeout'),
      describe: `TCP connect (default ${formatDurationFlag(d.connectMs)})`,
      group: 'Timeouts:',
    })
    .option('greeting-timeout', {
      type: 'string',
      coerce: durationFlag('--greeting-timeout'),
      describe: `connect to 220 greeting (default ${formatDurationFlag(d.greetingMs)})`,
      group: 'Timeouts:',
    })
    .option('command-timeout', {
      type: 'string',
      coerce: durationFlag('--command-timeout'),
      describe: `each command's reply (default ${formatDurationFlag(d.commandMs)})`,
      group: 'Timeouts:',
    })
    .option('timeout', {
      type: 'string',
      coerce: durationFlag('--timeout'),
      describe: `${WHOLE_RUN[wholeRun]} (default ${formatDurationFlag(d.targetMs)})`,
      group: 'Timeouts:',
    });
}

/** timeoutsFrom: the Timeouts the user set (unset ones fall back to the defaults in the probe). */
export function timeoutsFrom(argv: Record<string, unknown>): Partial<Timeouts> {
  const t: Partial<Timeouts> = {};
  const pick = (flag: string, key: keyof Timeouts): void => {
    const v = argv[flag];
    if (typeof v === 'number') t[key] = v;
  };
  pick('connect-timeout', 'connectMs');
  pick('greeting-timeout', 'greetingMs');
  pick('command-timeout', 'commandMs');
  pick('timeout', 'targetMs');
  return t;
}

/** withHelo: --helo NAME (default: this machine's FQDN, else our address literal). The probe validates it, so --json still gets an envelope. */
export function withHelo<T>(y: Argv<T>) {
  return y.option('helo', {
    type: 'string',
    describe: "name to send with EHLO/HELO (default: this machine's FQDN, else [our address])",
  });
}

/** withWalk: the flags of commands that walk a domain's MX hosts (mx, failover). */
export function withWalk<T>(y: Argv<T>) {
  return y
    .option('resolver', {
      type: 'string',
      array: true,
      describe: 'DNS server IP[:port] (repeatable; default: /etc/resolv.conf)',
      group: 'DNS:',
    })
    .option('dns-timeout', {
      type: 'string',
      coerce: durationFlag('--dns-timeout'),
      describe: 'per DNS query try (default 2s)',
      group: 'DNS:',
    })
    .option('dns-trace', {
      type: 'boolean',
      default: false,
      describe: 'show every DNS query and answer (always in JSON)',
      group: 'DNS:',
    })
    .option('port', {
      type: 'number',
      default: 25,
      describe: 'SMTP port to probe on every MX host',
    })
    .option('parallel', { type: 'number', default: 8, describe: 'addresses probed at once' })
    .option('starttls', {
      type: 'boolean',
      default: true,
      describe: 'try STARTTLS where offered, as a sender would (--no-starttls skips it)',
    })
    .option('ca', {
      type: 'string',
      array: true,
      describe: 'extra trusted CA certificates (PEM file; repeatable)',
    });
}

/** walkOptionsFrom: the walk options the user set. */
export function walkOptionsFrom(argv: Record<string, unknown>) {
  return {
    resolvers: (argv.resolver as string[] | undefined) ?? [],
    port: argv.port as number,
    parallel: argv.parallel as number,
    starttls: argv.starttls !== false,
    caFiles: (argv.ca as string[] | undefined) ?? [],
    helo: argv.helo as string | undefined,
    timeouts: timeoutsFrom(argv),
    ...(typeof argv['dns-timeout'] === 'number' ? { dnsTimeoutMs: argv['dns-timeout'] } : {}),
  };
}
