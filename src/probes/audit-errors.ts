/** endsTheRun: which errors inside one audit check end more than that check. */
import { ProbeError } from '../errors.js';

/**
 * endsTheRun: true for Ctrl-C and the address's deadline (the whole probe stops) and for
 * anything that is not a ProbeError (a bug, never hidden). A server that hangs up or stops
 * answering ends only the check it happened in: the next check asks in a new session.
 */
export function endsTheRun(err: unknown): boolean {
  return !(err instanceof ProbeError) || err.code === 'ABORTED' || err.code === 'TARGET_TIMEOUT';
}
