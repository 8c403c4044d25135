/** `smtp-probe caps <target>`: what a server offers. */
import type { CommandModule } from 'yargs';
import type { CliContext } from './context.js';
import { booleanFlag, positional, targetShown, textFlag } from './flags.js';
import { CA_FLAG, HELO_FLAG, starttlsFlag, timeoutFlags, timeoutsOf } from './options.js';
import { probeCommand } from './run.js';

/** CAPS_FLAGS: everything `caps` takes, each flag once. */
export const CAPS_FLAGS = {
  target: positional(
    'target',
    'host, host:port, IPv4, [IPv6] or [IPv6]:port (port 25 by default, 465 with --implicit-tls)',
    { command: 'caps', what: 'a target', example: 'mx.example.com' },
  ),
  implicitTls: booleanFlag(
    'implicit-tls',
    false,
    'TLS from the first byte (port 465 style, RFC 8314)',
  ),
  starttls: starttlsFlag('upgrade with STARTTLS when offered (--no-starttls stays in clear)'),
  tlsVerify: booleanFlag(
    'tls-verify',
    false,
    'fail the probe when the certificate does not match the name or chain to a trusted root',
  ),
  tlsName: textFlag(
    'tls-name',
    'name the certificate must match (and SNI), e.g. the MX name when the target is an IP',
  ),
  ca: CA_FLAG,
  census: booleanFlag(
    'census',
    true,
    'probe which RFC 821/5321 verbs are implemented (--no-census skips it)',
  ),
  helo: HELO_FLAG,
  ...timeoutFlags('target'),
};

/** capsCommand: the yargs module for `caps`. */
export function capsCommand(ctx: CliContext): CommandModule {
  return probeCommand(ctx, {
    command: 'caps',
    yargsCommand: 'caps <target>',
    usage: 'caps <target> [options]',
    describe:
      'What a server offers: banner, EHLO extensions, STARTTLS and its certificate, AUTH, RFC 821 verb census',
    flags: CAPS_FLAGS,
    examples: [
      ['$0 caps mx.example.com', 'banner, extensions, STARTTLS certificate and verb census'],
      ['$0 caps 127.0.0.10:2525 --json', 'the same as JSON (see `smtp-probe schema caps`)'],
      [
        '$0 caps [2001:db8::25]:587 --no-census --transcript',
        'IPv6, skip the census, show the conversation',
      ],
      [
        '$0 caps smtp.example.com --implicit-tls --tls-verify',
        'port 465; fail if the certificate is bad',
      ],
    ],
    target: (argv) => targetShown(argv.target, argv['implicit-tls'] === true ? 465 : 25),
    probe: async (a, io) => {
      const { probeCaps } = await import('../src/probes/caps.js');
      return probeCaps(a.target, {
        ...(a.helo === undefined ? {} : { helo: a.helo }),
        implicitTls: a.implicitTls,
        starttls: a.starttls,
        tlsVerify: a.tlsVerify,
        ...(a.tlsName === undefined ? {} : { tlsName: a.tlsName }),
        census: a.census,
        caFiles: a.ca,
        timeouts: timeoutsOf(a),
        signal: io.signal,
        ...(io.onTranscript ? { onTranscript: io.onTranscript } : {}),
      });
    },
    tables: async () => (await import('../src/output/caps-table.js')).renderCaps,
  });
}
