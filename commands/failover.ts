/** `smtp-probe failover <domain>`: what a sending MTA lives through when MX hosts fail. */
import type { CommandModule } from 'yargs';
import { PROFILE_NAMES } from '../src/mx/profiles.js';
import { EXIT } from '../src/output/exit-codes.js';
import type { CliContext } from './context.js';
import { booleanFlag, choiceFlag, countFlag, durationFlag, listFlag, positional } from './flags.js';
import { walkFlags, walkOptionsOf, walkStreams } from './options.js';
import { probeCommand } from './run.js';

const SENDER = 'Sender:';

/** FAILOVER_FLAGS: everything `failover` takes, each flag once. */
export const FAILOVER_FLAGS = {
  domain: positional('domain', 'mail domain (IDN allowed)', {
    command: 'failover',
    what: 'a domain',
    example: 'example.com',
  }),
  ...walkFlags(),
  profile: choiceFlag('profile', PROFILE_NAMES, 'postfix', 'sending MTA to imitate', SENDER),
  assumeDown: listFlag(
    'assume-down',
    'treat HOST or ADDRESS as down: HOST[=refused|blackhole] (repeatable; default blackhole)',
    SENDER,
  ),
  mtaSts: booleanFlag(
    'mta-sts',
    false,
    "enforce the domain's MTA-STS policy as a compliant sender does: in enforce mode, MX hosts the policy does not cover or whose STARTTLS certificate fails are skipped (RFC 8461 §5)",
    SENDER,
  ),
  maxDelay: durationFlag('max-delay', 60_000, 'delivered later than this exits 7', SENDER),
  senderConnectTimeout: durationFlag(
    'sender-connect-timeout',
    undefined,
    "override the profile's connect timeout",
    SENDER,
  ),
  senderGreetingTimeout: durationFlag(
    'sender-greeting-timeout',
    undefined,
    "override the profile's greeting timeout",
    SENDER,
  ),
  addressLimit: countFlag(
    'address-limit',
    { min: 1, max: 100, what: 'a number of addresses' },
    'override addresses tried per attempt',
    SENDER,
  ),
  sessionLimit: countFlag(
    'session-limit',
    { min: 1, max: 100, what: 'a number of sessions' },
    'override sessions per attempt',
    SENDER,
  ),
};

/** failoverCommand: the yargs module for `failover`. */
export function failoverCommand(ctx: CliContext): CommandModule {
  return probeCommand(ctx, {
    command: 'failover',
    yargsCommand: 'failover <domain>',
    usage: 'failover <domain> [options]',
    describe:
      "Replay a sender's delivery attempts over the measured MX hosts: timeline, where mail lands, how late",
    flags: FAILOVER_FLAGS,
    examples: [
      ['$0 failover example.com', 'the timeline a Postfix sender follows today'],
      [
        '$0 failover example.com --assume-down mx1.example.com --profile sendmail',
        'rehearse losing the primary',
      ],
      [
        '$0 failover blackhole.test --resolver 127.0.0.1:2553 --port 2525 --connect-timeout 2s',
        'in the lab',
      ],
      ['$0 failover example.com --mta-sts', 'what a sender enforcing MTA-STS does'],
    ],
    target: (argv) => String(argv.domain ?? ''),
    probe: async (a, io) => {
      const { probeFailover } = await import('../src/probes/failover.js');
      return probeFailover(a.domain, {
        ...walkOptionsOf(a),
        ...walkStreams(io),
        profile: a.profile,
        assumeDown: a.assumeDown,
        mtaSts: a.mtaSts,
        ...(a.maxDelay === undefined ? {} : { maxDelayMs: a.maxDelay }),
        overrides: {
          connectTimeoutMs: a.senderConnectTimeout,
          greetingTimeoutMs: a.senderGreetingTimeout,
          maxAddresses: a.addressLimit,
          maxSessions: a.sessionLimit,
        },
      });
    },
    tables: async (a) => {
      const { renderFailover } = await import('../src/output/failover-table.js');
      return (result, rc) => renderFailover(result, rc, a.dnsTrace);
    },
    exitCode: (result) =>
      result.delivery.kind === 'delivered'
        ? EXIT.OK
        : result.delivery.kind === 'delayed'
          ? EXIT.DELAYED
          : EXIT.UNDELIVERABLE,
  });
}
