/**
 * The failover probe: walk the domain's MX hosts (measured), then replay what
 * a sending MTA of the chosen profile lives through — with --assume-down
 * rehearsing failures nobody has to cause.
 */
import { assertSafe, invalidInput } from '../errors.js';
import { resolveProfile, type ProfileOverrides } from '../mx/profiles.js';
import { buildTimeline, type AssumeDown } from '../mx/timeline.js';
import type { FailoverResult } from '../schema/failover.js';
import { probeMx, type MxOptions } from './mx.js';
import type { ProbeOutcome } from './outcome.js';

/** FailoverOptions: the walk's options plus the sender to imitate. */
export interface FailoverOptions extends MxOptions {
  profile?: string;
  overrides?: ProfileOverrides;
  assumeDown?: string[];
  /** Delivered later than this counts as delayed (exit 7). */
  maxDelayMs?: number;
  /** The sender enforces the domain's MTA-STS policy (needs the policy: not with policy false). */
  mtaSts?: boolean;
}

/** DEFAULT_MAX_DELAY_MS: one minute — a blackholed primary already costs every sender more than that except Postfix. */
export const DEFAULT_MAX_DELAY_MS = 60_000;

/** parseAssumeDown: "HOST|ADDR[=refused|blackhole]" (blackhole, the costlier failure, by default). */
export function parseAssumeDown(text: string): AssumeDown {
  assertSafe('--assume-down', text);
  const m = /^([^=\s]+)(?:=(refused|blackhole))?$/.exec(text.trim());
  if (!m)
    throw invalidInput(
      `--assume-down "${text}": write HOST or ADDRESS, optionally =refused or =blackhole`,
    );
  return { target: m[1]!, mode: (m[2] as AssumeDown['mode'] | undefined) ?? 'blackhole' };
}

/** probeFailover: see the module comment. */
export async function probeFailover(
  domain: string,
  options: FailoverOptions = {},
): Promise<ProbeOutcome<FailoverResult>> {
  const profile = resolveProfile(options.profile ?? 'postfix', options.overrides);
  const assume = (options.assumeDown ?? []).map(parseAssumeDown);
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  if (options.mtaSts && options.policy === false)
    throw invalidInput('--mta-sts applies the MTA-STS policy, which --no-policy skips; drop one');
  const walk = await probeMx(domain, options);
  const timeline = buildTimeline(walk.result, profile, assume, maxDelayMs, options.mtaSts);
  return { ...walk, result: { walk: walk.result, profile, ...timeline } };
}
