/** `smtp-probe caps <target>`: what a server offers. */
import type { Argv, CommandModule } from 'yargs';
import { withHelo, withOutput, withTimeouts, outputFormat, timeoutsFrom } from './options.js';
import { runProbeCommand } from './run.js';
import type { CliContext } from './context.js';

/** capsCommand: the yargs module for `caps`. */
export function capsCommand(ctx: CliContext): CommandModule {
  return {
    command: 'caps <target>',
    describe:
      'What a server offers: banner, EHLO extensions, STARTTLS and its certificate, AUTH, RFC 821 verb census',
    builder: (y: Argv) =>
      withHelo(
        withTimeouts(
          withOutput(
            y
              .positional('target', {
                type: 'string',
                demandOption: true,
                describe:
                  'host, host:port, IPv4, [IPv6] or [IPv6]:port (port 25 by default, 465 with --implicit-tls)',
              })
              .option('implicit-tls', {
                type: 'boolean',
                default: false,
                describe: 'TLS from the first byte (port 465 style, RFC 8314)',
              })
              .option('starttls', {
                type: 'boolean',
                default: true,
                describe: 'upgrade with STARTTLS when offered (--no-starttls stays in clear)',
              })
              .option('tls-verify', {
                type: 'boolean',
                default: false,
                describe:
                  'fail the probe when the certificate does not match the name or chain to a trusted root',
              })
              .option('tls-name', {
                type: 'string',
                describe:
                  'name the certificate must match (and SNI), e.g. the MX name when the target is an IP',
              })
              .option('ca', {
                type: 'string',
                array: true,
                describe: 'extra trusted CA certificates (PEM file; repeatable)',
              })
              .option('census', {
                type: 'boolean',
                default: true,
                describe: 'probe which RFC 821/5321 verbs are implemented (--no-census skips it)',
              })
              .example(
                '$0 caps mx.example.com',
                'banner, extensions, STARTTLS certificate and verb census',
              )
              .example(
                '$0 caps 127.0.0.10:2525 --json',
                'the same as JSON (see `smtp-probe schema caps`)',
              )
              .example(
                '$0 caps [2001:db8::25]:587 --no-census --transcript',
                'IPv6, skip the census, show the conversation',
              )
              .example(
                '$0 caps smtp.example.com --implicit-tls --tls-verify',
                'port 465; fail if the certificate is bad',
              ),
          ),
        ),
      ),
    handler: async (argv) => {
      const { probeCaps } = await import('../src/probes/caps.js');
      const target = String(argv.target);
      await runProbeCommand(ctx, {
        command: 'caps',
        target,
        format: outputFormat(argv as never),
        transcript: argv.transcript === true,
        probe: (onTranscript) =>
          probeCaps(target, {
            helo: argv.helo as string | undefined,
            implicitTls: argv['implicit-tls'] === true,
            starttls: argv.starttls !== false,
            tlsVerify: argv['tls-verify'] === true,
            tlsName: argv['tls-name'] as string | undefined,
            census: argv.census !== false,
            caFiles: (argv.ca as string[] | undefined) ?? [],
            timeouts: timeoutsFrom(argv),
            signal: ctx.signal,
            onTranscript,
          }),
        tables: async () => (await import('../src/output/caps-table.js')).renderCaps,
      });
    },
  };
}
