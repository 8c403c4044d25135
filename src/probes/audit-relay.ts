/**
 * The `relay` check of an audit: does the address take mail for an outside recipient? Each
 * variant (src/smtp/relay.ts) is one group — MAIL, RCPT, RSET — and nothing more: DATA is never
 * sent, so no message can be relayed whatever the server answers. RSET ends the transaction
 * (RFC 5321 §4.1.1.5) so the next variant starts clean.
 */
import type { AuditRelay, RelayTrial } from '../schema/audit.js';
import { command } from '../smtp/command.js';
import {
  assertRelaySpec,
  type RelayContext,
  type RelayTrialSpec,
  relayTrial,
  relayTrials,
  relayVerdict,
  trialOutcome,
} from '../smtp/relay.js';
import type { Exchanger } from './audit-exchange.js';
import { endsTheRun } from './audit-errors.js';

/** RelayOptions: the trials to run (default: every variant of relayTrials) and what is known of the site's catch-all. */
export interface RelayOptions {
  trials?: readonly RelayTrialSpec[];
  /** true: a catch-all; false: unknown local parts refused; null (default): not known. See trialOutcome. */
  siteAcceptsAnyLocalPart?: boolean | null;
}

/** MAX_HANG_UPS: sessions lost during the check before the rest of the variants are given up. */
export const MAX_HANG_UPS = 3;

/**
 * runRelay: the relay check. Bad input throws INVALID_INPUT before anything is sent. A server
 * that hangs up midway (Exim drops a session after 3 syntax errors, and the address-literal and
 * quoted variants earn 501s) costs the variant it cut: the rest go on in a new session, until
 * MAX_HANG_UPS; then the check ends with the trials so far and their verdict (`unknown` when
 * none decided). Ctrl-C and the deadline (ABORTED, TARGET_TIMEOUT) are rethrown.
 */
export async function runRelay(
  x: Exchanger,
  ctx: RelayContext,
  options: RelayOptions = {},
): Promise<AuditRelay> {
  const specs = options.trials ?? relayTrials(ctx);
  for (const spec of specs) assertRelaySpec(spec);
  const catchAll = options.siteAcceptsAnyLocalPart ?? null;
  const trials: RelayTrial[] = [];
  let hangUps = 0;
  for (const spec of specs) {
    let trial: RelayTrial | undefined;
    try {
      trial = await runTrial(x, spec);
    } catch (err) {
      if (endsTheRun(err)) throw err;
      if (++hangUps >= MAX_HANG_UPS) break;
      continue;
    }
    if (!trial) break;
    trials.push(trial);
    // One accepted outside recipient proves an open relay; more trials would only hammer it.
    if (trialOutcome(trial, catchAll) === 'relayed') break;
  }
  return relayVerdict(trials, catchAll);
}

const RSET = command('RSET');

async function runTrial(x: Exchanger, spec: RelayTrialSpec): Promise<RelayTrial | undefined> {
  // MAIL and RCPT may both be refused; RSET is not expected to be.
  const [mail, rcpt] = await x.exchange(
    [
      { line: spec.mailFrom, stage: 'mail' },
      { line: spec.rcptTo, stage: 'rcpt' },
      { line: RSET, stage: 'rset' },
    ],
    2,
  );
  // An Exchanger answers every command or throws; a short answer ends the check like a hang-up.
  if (!mail || !rcpt) return undefined;
  // A pipelined RCPT after a refused MAIL gets 503: relayTrial records it as null.
  return relayTrial(spec, mail, rcpt);
}
