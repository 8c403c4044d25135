/**
 * runCensus: sends each census verb with a harmless argument and classifies
 * the reply. Never sends DATA; RSETs after any verb that opened a
 * transaction; stops at a 421 (the server is closing) or once TURN is
 * accepted (the roles would reverse, RFC 821 §4.1.1).
 *
 * Servers hang up on clients that send commands they do not know (a default
 * Exim at the 4th), so the census counts the replies that count toward that
 * (500, 501, 503) and never lets one session collect more than DROP_LIMIT:
 * the verb that would risk it waits for a new session, opened the way the
 * first was, after QUIT (at most MAX_CENSUS_SESSIONS in all). In the last
 * session, or when no new session can be had, such a verb is reported
 * `not-asked`, with no reply.
 */
import { ProbeError } from '../errors.js';
import type { SmtpSession } from '../session/session.js';
import { madeUpLocalPart } from '../smtp/address.js';
import { command } from '../smtp/command.js';
import {
  CENSUS_VERBS,
  type CensusVerb,
  censusArgument,
  classifySupport,
  classifyVerifyPair,
  countsTowardDrop,
  MAX_CENSUS_SESSIONS,
  mayAsk,
  opensTransaction,
} from '../smtp/census.js';
import type { CensusEntry } from '../schema/caps.js';
import { foreignCode, implausible } from '../smtp/pairing.js';
import type { Reply } from '../smtp/reply.js';
import type { Stage } from '../vocabulary.js';

/** CensusSessions: how the census gets more sessions. Without `reopen` it has the first one only. */
export interface CensusSessions {
  /**
   * reopen: a new session set up like the first (same address, same TLS), or undefined when none
   * could be had (say why in the transcript). Throws only to end the run (Ctrl-C, --timeout).
   */
  reopen?: () => Promise<SmtpSession | undefined>;
  /** note: a line for the transcript. */
  note?: (text: string) => void;
}

/** CensusOutcome: the entries, the session the census ended in, and whether it can still be used (QUIT). */
export interface CensusOutcome {
  entries: CensusEntry[];
  session: SmtpSession;
  sessionUsable: boolean;
  /** Sessions used, the first included. */
  sessions: number;
  /** The entries of the session the census ended in (unpaired if its QUIT is answered wrong). */
  lastSession: CensusEntry[];
}

/**
 * runCensus: see the module comment. `onEntry` sees entries as they come, so an interrupted
 * census keeps them. A session it opened itself is closed if it fails; the first is the caller's.
 */
export async function runCensus(
  first: SmtpSession,
  onEntry: (e: CensusEntry) => void,
  more: CensusSessions = {},
): Promise<CensusOutcome> {
  const entries: CensusEntry[] = [];
  const push = (e: CensusEntry): void => {
    entries.push(e);
    onEntry(e);
  };
  let session = first;
  let sessions = 1;
  let counted = 0;
  // Where the current session's entries start: a shift found in a session unpairs them all.
  let from = 0;
  // Set once a session was ended for a new one that could not be had: nothing more is sent.
  let stranded = false;
  const ask = async (line: string, stage: Stage): Promise<Reply> => {
    const reply = await session.send(line, stage);
    const why = foreignCode(line, reply);
    if (why) throw session.unpaired(stage, why);
    if (countsTowardDrop(reply)) counted++;
    return reply;
  };
  const end = (sessionUsable: boolean): CensusOutcome => ({
    entries,
    session,
    sessionUsable,
    sessions,
    lastSession: entries.slice(from),
  });
  try {
    for (const [i, verb] of CENSUS_VERBS.entries()) {
      const line = command(verb, censusArgument(verb));
      const last = stranded || !more.reopen || sessions >= MAX_CENSUS_SESSIONS;
      if (stranded || !mayAsk(verb, counted, last)) {
        if (last) {
          push({ verb, command: line, support: 'not-asked' });
          continue;
        }
        const next = await reopen(session, more, CENSUS_VERBS.slice(i), counted);
        if (!next) {
          stranded = true;
          push({ verb, command: line, support: 'not-asked' });
          continue;
        }
        session = next;
        sessions++;
        counted = 0;
        from = entries.length;
      }
      const reply = await ask(line, 'census');
      let entry: CensusEntry = {
        verb,
        command: line,
        support: classifySupport(verb, reply),
        reply,
      };
      if ((verb === 'VRFY' || verb === 'EXPN') && reply.code === 252) {
        // A name no site has (random, in the reserved .invalid style) tells a real lookup from a blanket 252.
        const probeLine = command(verb, madeUpLocalPart());
        const probeReply = await ask(probeLine, 'census');
        entry = {
          ...entry,
          support: classifyVerifyPair(reply, probeReply),
          probe: { command: probeLine, reply: probeReply },
        };
      }
      push(entry);
      // A 421 to any command, the follow-up and the RSET included, means the server is closing (RFC 5321 §3.8).
      if (reply.code === 421 || entry.probe?.reply.code === 421) return end(false);
      if (verb === 'TURN' && reply.code >= 200 && reply.code < 300) return end(false);
      if (opensTransaction(verb) && reply.code >= 200 && reply.code < 400) {
        const rset = await ask('RSET', 'rset');
        if (rset.code === 421) return end(false);
      }
    }
    return end(!stranded);
  } catch (err) {
    if (err instanceof ProbeError && err.code === 'UNSOLICITED_REPLY') unpair(entries.slice(from));
    if (session !== first) session.close();
    throw err;
  }
}

/**
 * unpair: a session's replies stopped pairing with its verbs (a reply nobody
 * asked for, or one no server gives that verb): none of its answers is believed.
 */
export function unpair(entries: CensusEntry[]): void {
  for (const e of entries) if (e.support !== 'not-asked') e.support = 'unpaired';
}

/** reopen: QUIT the session that cannot take `left[0]`, then a new one (undefined: none came). */
async function reopen(
  session: SmtpSession,
  more: CensusSessions,
  left: readonly CensusVerb[],
  counted: number,
): Promise<SmtpSession | undefined> {
  more.note?.(
    `census: ${counted} replies in this session that a server may count toward hanging up; ` +
      `QUIT, and a new session for ${left.join(' ')}`,
  );
  const quit = await session.quit();
  const why = quit && implausible('QUIT', quit);
  if (why) throw session.unpaired('quit', why);
  const next = await more.reopen!();
  if (!next) more.note?.(`census: no new session; not asked: ${left.join(' ')}`);
  return next;
}
