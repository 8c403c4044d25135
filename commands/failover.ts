/** `smtp-probe failover <domain>`: what a sending MTA lives through when MX hosts fail. */
import type { Argv, CommandModule } from 'yargs';
import {
  withHelo,
  withOutput,
  withTimeouts,
  withWalk,
  outputFormat,
  walkOptionsFrom,
  durationFlag,
} from './options.js';
import { runProbeCommand } from './run.js';
import type { CliContext } from './context.js';
import { PROFILE_NAMES } from '../src/mx/profiles.js';

/** failoverCommand: the yargs module for `failover`. */
export function failoverCommand(ctx: CliContext): CommandModule {
  return {
    command: 'failover <domain>',
    describe:
      "Replay a sender's delivery attempts over the measured MX hosts: timeline, where mail lands, how late",
    builder: (y: Argv) =>
      withHelo(
        withTimeouts(
          withOutput(
            withWalk(
              y
                .positional('domain', {
                  type: 'string',
                  demandOption: true,
                  describe: 'mail domain (IDN allowed)',
                })
                .option('profile', {
                  choices: PROFILE_NAMES,
                  default: 'postfix',
                  describe: 'sending MTA to imitate',
                  group: 'Sender:',
                })
                .option('assume-down', {
                  type: 'string',
                  array: true,
                  describe:
                    'treat HOST or ADDRESS as down: HOST[=refused|blackhole] (repeatable; default blackhole)',
                  group: 'Sender:',
                })
                .option('max-delay', {
                  type: 'string',
                  coerce: durationFlag('--max-delay'),
                  describe: 'delivered later than this exits 7 (default 1m)',
                  group: 'Sender:',
                })
                .option('sender-connect-timeout', {
                  type: 'string',
                  coerce: durationFlag('--sender-connect-timeout'),
                  describe: "override the profile's connect timeout",
                  group: 'Sender:',
                })
                .option('sender-greeting-timeout', {
                  type: 'string',
                  coerce: durationFlag('--sender-greeting-timeout'),
                  describe: "override the profile's greeting timeout",
                  group: 'Sender:',
                })
                .option('address-limit', {
                  type: 'number',
                  describe: 'override addresses tried per attempt',
                  group: 'Sender:',
                })
                .option('session-limit', {
                  type: 'number',
                  describe: 'override sessions per attempt',
                  group: 'Sender:',
                })
                .example('$0 failover example.com', 'the timeline a Postfix sender follows today')
                .example(
                  '$0 failover example.com --assume-down mx1.example.com --profile sendmail',
                  'rehearse losing the primary',
                )
                .example(
                  '$0 failover blackhole.test --resolver 127.0.0.1:2553 --port 2525 --connect-timeout 2s',
                  'in the lab',
                ),
            ),
          ),
          'walk',
        ),
      ),
    handler: async (argv) => {
      const { probeFailover } = await import('../src/probes/failover.js');
      const { EXIT } = await import('../src/output/exit-codes.js');
      const domain = String(argv.domain);
      const num = (k: string): number | undefined =>
        typeof argv[k] === 'number' ? (argv[k] as number) : undefined;
      await runProbeCommand(ctx, {
        command: 'failover',
        target: domain,
        format: outputFormat(argv as never),
        transcript: false,
        probe: () =>
          probeFailover(domain, {
            ...walkOptionsFrom(argv),
            signal: ctx.signal,
            profile: argv.profile as string,
            assumeDown: (argv['assume-down'] as string[] | undefined) ?? [],
            ...(num('max-delay') !== undefined ? { maxDelayMs: num('max-delay') } : {}),
            overrides: {
              connectTimeoutMs: num('sender-connect-timeout'),
              greetingTimeoutMs: num('sender-greeting-timeout'),
              maxAddresses: num('address-limit'),
              maxSessions: num('session-limit'),
            },
          }),
        tables: async () => {
          const { renderFailover } = await import('../src/output/failover-table.js');
          return (result, rc) => renderFailover(result, rc, argv['dns-trace'] === true);
        },
        exitCode: (result) =>
          (({ delivered: EXIT.OK, delayed: EXIT.DELAYED }) as Record<string, number>)[
            result.delivery.kind
          ] ?? EXIT.UNDELIVERABLE,
      });
    },
  };
}
