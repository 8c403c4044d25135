/**
 * The flags several commands share, each declared once (see flags.ts): output
 * (--format, --json, --transcript), timeouts, --helo, TLS trust, and the DNS
 * and walk flags of mx, failover and verify.
 */
import { FORMATS, type Format } from '../src/output/render.js';
import type { AddressProbe, MxHost } from '../src/schema/mx.js';
import { DEFAULT_TIMEOUTS, type Timeouts } from '../src/session/timeouts.js';
import type { ProbeIo } from './probe-io.js';
import {
  booleanFlag,
  choiceFlag,
  countFlag,
  durationFlag,
  listFlag,
  type Parsed,
  portFlag,
  textFlag,
} from './flags.js';

/** OUTPUT_FLAGS: how the result is printed; read first, so a later bad flag is reported in the chosen format. */
export const OUTPUT_FLAGS = {
  format: choiceFlag('format', FORMATS, 'table', 'output format', 'Output:'),
  json: booleanFlag('json', false, 'shortcut for --format json', 'Output:'),
  transcript: booleanFlag(
    'transcript',
    false,
    'print every line sent and received on stderr (and include it in JSON)',
    'Output:',
  ),
};

/** outputFormat: --json wins over --format. */
export function outputFormat(out: Parsed<typeof OUTPUT_FLAGS>): Format {
  return out.json ? 'json' : out.format;
}

/** WHOLE_RUN: what --timeout bounds, in each command's words (docs/architecture.md has the table). */
export const WHOLE_RUN = {
  target: 'the whole probe of the target',
  walk: 'the whole walk, DNS included',
  domain: 'each domain: its MX walk, its sessions and the --retry-after wait',
  address: 'each address: every check and session at it',
} as const;

/** timeoutFlags: the per-phase timeouts and the whole-run one. */
export function timeoutFlags(wholeRun: keyof typeof WHOLE_RUN) {
  const d = DEFAULT_TIMEOUTS;
  const group = 'Timeouts:';
  return {
    connectTimeout: durationFlag('connect-timeout', d.connectMs, 'TCP connect', group),
    greetingTimeout: durationFlag(
      'greeting-timeout',
      d.greetingMs,
      'connect to 220 greeting',
      group,
    ),
    commandTimeout: durationFlag('command-timeout', d.commandMs, "each command's reply", group),
    timeout: durationFlag('timeout', d.targetMs, WHOLE_RUN[wholeRun], group),
  };
}

/** timeoutsOf: the Timeouts the user set (unset ones fall back to the defaults in the probe). */
export function timeoutsOf(t: Parsed<ReturnType<typeof timeoutFlags>>): Partial<Timeouts> {
  return {
    ...(t.connectTimeout === undefined ? {} : { connectMs: t.connectTimeout }),
    ...(t.greetingTimeout === undefined ? {} : { greetingMs: t.greetingTimeout }),
    ...(t.commandTimeout === undefined ? {} : { commandMs: t.commandTimeout }),
    ...(t.timeout === undefined ? {} : { targetMs: t.timeout }),
  };
}

/** HELO_FLAG: the EHLO/HELO name; the probe checks its syntax, so --json still gets an envelope. */
export const HELO_FLAG = textFlag(
  'helo',
  "name to send with EHLO/HELO (default: this machine's FQDN, else [our address])",
);

/** CA_FLAG: extra trusted CA certificates. */
export const CA_FLAG = listFlag('ca', 'extra trusted CA certificates (PEM file; repeatable)');

/** MTA_STS_PORT_FLAG: where mta-sts.<domain> serves its policy (mx, failover, audit). */
export const MTA_STS_PORT_FLAG = portFlag(
  'mta-sts-port',
  443,
  'HTTPS port of mta-sts.<domain> for the policy fetch (a lab or test server listens elsewhere)',
);

/** starttlsFlag: STARTTLS when offered (--no-starttls stays in clear). */
export const starttlsFlag = (describe: string) => booleanFlag('starttls', true, describe);

/** dnsFlags: the resolver and its per-try timeout, for commands that resolve MX. */
export function dnsFlags() {
  return {
    resolver: listFlag(
      'resolver',
      'DNS server IP[:port], or DNS over HTTPS https://host[:port]/dns-query (repeatable, mixable; default: /etc/resolv.conf)',
      'DNS:',
    ),
    dnsTimeout: durationFlag('dns-timeout', 2_000, 'per DNS query try', 'DNS:'),
  };
}

/** walkFlags: the flags of commands that walk a domain's MX hosts (mx, failover). */
export function walkFlags() {
  return {
    ...dnsFlags(),
    dnsTrace: booleanFlag(
      'dns-trace',
      false,
      'show every DNS query and answer (always in JSON)',
      'DNS:',
    ),
    port: portFlag('port', 25, 'SMTP port to probe on every MX host'),
    parallel: countFlag(
      'parallel',
      { min: 1, max: 64, fallback: 8, what: 'a number of addresses' },
      'addresses probed at once',
    ),
    starttls: starttlsFlag(
      'try STARTTLS where offered, as a sender would (--no-starttls skips it)',
    ),
    ca: CA_FLAG,
    helo: HELO_FLAG,
    policy: booleanFlag(
      'policy',
      true,
      'MTA-STS (policy fetched over HTTPS), TLS-RPT and DANE/TLSA, and what they do to each MX (--no-policy skips)',
      'Policy:',
    ),
    mtaStsPort: MTA_STS_PORT_FLAG,
    ...timeoutFlags('walk'),
  };
}

/** walkStreams: the live side of a walk: --transcript on stderr, each address as an NDJSON line. */
export function walkStreams(io: ProbeIo) {
  return {
    signal: io.signal,
    ...(io.onTranscript ? { onTranscript: io.onTranscript } : {}),
    ...(io.emit
      ? {
          onAddress: (host: MxHost, probe: AddressProbe) =>
            io.emit?.({ type: 'address', host: host.name, preference: host.preference, ...probe }),
        }
      : {}),
  };
}

/** walkOptionsOf: the walk options the user set. */
export function walkOptionsOf(a: Parsed<ReturnType<typeof walkFlags>>) {
  return {
    resolvers: a.resolver,
    port: a.port,
    ...(a.parallel === undefined ? {} : { parallel: a.parallel }),
    starttls: a.starttls,
    caFiles: a.ca,
    ...(a.helo === undefined ? {} : { helo: a.helo }),
    timeouts: timeoutsOf(a),
    ...(a.dnsTimeout === undefined ? {} : { dnsTimeoutMs: a.dnsTimeout }),
    policy: a.policy,
    mtaStsPort: a.mtaStsPort,
  };
}
