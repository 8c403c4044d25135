/**
 * runCensus: sends each census verb with a harmless argument and classifies
 * the reply. Never sends DATA; RSETs after any verb that opened a
 * transaction; stops at a 421 (the server is closing) or once TURN is
 * accepted (the roles would reverse, RFC 821 §4.1.1).
 */
import type { SmtpSession } from '../session/session.js';
import { madeUpLocalPart } from '../smtp/address.js';
import { command } from '../smtp/command.js';
import {
  CENSUS_VERBS,
  censusArgument,
  classifySupport,
  classifyVerifyPair,
  opensTransaction,
} from '../smtp/census.js';
import type { CensusEntry } from '../schema/caps.js';

/** CensusOutcome: the entries, and whether the session can still be used (QUIT) afterwards. */
export interface CensusOutcome {
  entries: CensusEntry[];
  sessionUsable: boolean;
}

/** runCensus: see the module comment. `onEntry` sees entries as they come, so an interrupted census keeps them. */
export async function runCensus(
  session: SmtpSession,
  onEntry: (e: CensusEntry) => void,
): Promise<CensusOutcome> {
  const entries: CensusEntry[] = [];
  const push = (e: CensusEntry): void => {
    entries.push(e);
    onEntry(e);
  };
  for (const verb of CENSUS_VERBS) {
    const line = command(verb, censusArgument(verb));
    const reply = await session.send(line, 'census');
    let entry: CensusEntry = { verb, command: line, support: classifySupport(verb, reply), reply };
    if ((verb === 'VRFY' || verb === 'EXPN') && reply.code === 252) {
      // A name no site has (random, in the reserved .invalid style) tells a real lookup from a blanket 252.
      const probeLine = command(verb, madeUpLocalPart());
      const probeReply = await session.send(probeLine, 'census');
      entry = {
        ...entry,
        support: classifyVerifyPair(reply, probeReply),
        probe: { command: probeLine, reply: probeReply },
      };
    }
    push(entry);
    // A 421 to any command, the follow-up and the RSET included, means the server is closing (RFC 5321 §3.8).
    if (reply.code === 421 || entry.probe?.reply.code === 421)
      return { entries, sessionUsable: false };
    if (verb === 'TURN' && reply.code >= 200 && reply.code < 300)
      return { entries, sessionUsable: false };
    if (opensTransaction(verb) && reply.code >= 200 && reply.code < 400) {
      const rset = await session.send('RSET', 'rset');
      if (rset.code === 421) return { entries, sessionUsable: false };
    }
  }
  return { entries, sessionUsable: true };
}
