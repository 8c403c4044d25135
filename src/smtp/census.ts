/**
 * The verb census, pure: which RFC 821/5321 verbs a server implements,
 * classified from the reply code alone (never its English text).
 */
import { CENSUS_VERBS, type CensusVerb, type Support } from '../vocabulary.js';
import { isPolicy } from './enhanced.js';
import type { Reply } from './reply.js';

export { CENSUS_VERBS, type CensusVerb, type Support };

/** censusArgument: the harmless argument each verb is sent with. */
export function censusArgument(verb: CensusVerb): string | undefined {
  switch (verb) {
    case 'VRFY':
    case 'EXPN':
      // RFC 5321 §4.5.1: every site must accept mail for postmaster, so it is the least revealing name to ask about.
      return 'postmaster';
    case 'ETRN':
      // RFC 1985: a domain the server cannot hold mail for; .invalid (RFC 2606) can never be a real one.
      return 'smtp-probe.invalid';
    case 'SEND':
    case 'SOML':
    case 'SAML':
      // Null reverse path: opens a transaction that is RSET at once and never reaches DATA.
      return 'FROM:<>';
    default:
      return undefined;
  }
}

/**
 * DROP_LIMIT: how many replies that count toward a hang-up (countsTowardDrop) one census session
 * may collect. Servers drop clients that send what they do not know: Exim, by default, at the 4th
 * unrecognised command (smtp_max_unknown_commands = 3: "500 Too many unrecognized commands") and
 * at the 4th syntax or protocol error (smtp_max_synprot_errors = 3, the unrecognised commands
 * among them); qpsmtpd's count_unrecognized_commands plugin at the 3rd with its older default
 * (3; 4 today). Two is the most that survives both.
 */
export const DROP_LIMIT = 2;

/**
 * MAX_CENSUS_SESSIONS: how many sessions one census may use, each ended with QUIT before the next
 * opens. Postfix 3.7 answers "500 5.5.2 Error: command not recognized" to HELP, EXPN, VERB, SEND,
 * SOML, SAML and TURN — seven, so four sessions of two — and keeps no count of them that would
 * hang up (smtpd_hard_error_limit, 20 errors, is far off); four lets it finish the whole census.
 * Exim by default needs three (VERB, SEND, SOML, SAML, TURN and a 501, see countsTowardDrop).
 */
export const MAX_CENSUS_SESSIONS = 4;

/**
 * countsTowardDrop: whether a reply is one a server counts toward hanging up: 500 (the command
 * is not recognised, RFC 5321 §4.2.4), 501 (syntax error in its arguments) and 503 (bad sequence)
 * — what Exim counts as syntax and protocol errors. Exim does not count every 501 (not the one to
 * VRFY of a name without a domain), but the code cannot tell which, so each one counts. Not 502:
 * §4.2.4 keeps it for a command that is recognised but not implemented (as Postfix answers VRFY
 * with disable_vrfy_command); nor 504, a parameter not implemented. Never the English text.
 */
export function countsTowardDrop(reply: Reply): boolean {
  return reply.code === 500 || reply.code === 501 || reply.code === 503;
}

/**
 * mayAsk: whether the census may still send `verb` in a session that has collected `counted`
 * replies that count toward a hang-up, so that no session collects more than DROP_LIMIT; when it
 * may not, the verb waits for the next session, or, in the census's last one (`lastSession`), is
 * not asked. The census sends CENSUS_VERBS in order: first what today's servers recognise — NOOP
 * (and RSET and VRFY) are in every server's minimum (RFC 5321 §4.5.1), HELP and EXPN in RFC 5321
 * (§4.1.1.7–8), ETRN in RFC 1985 — then what they most likely do not: VERB (Sendmail's, in no
 * RFC), SEND, SOML and SAML (RFC 821 §4.1.1, dropped by RFC 5321 Appendix F.6); then RSET; and
 * TURN last, because a 250 to it reverses the roles (RFC 821 §4.1.1) and the session ends there.
 * TURN matters (a server that accepts it hands its queued mail to anyone, RFC 5321 Appendix F.1),
 * so in the last session the likely-unrecognised four may only take a slot TURN does not need:
 * they are sent while two are left, every other verb while one is. They never crowd out RSET or
 * TURN. Each verb adds at most one counted reply (a VRFY/EXPN follow-up comes only after a 252,
 * an RSET only after a 2xx/3xx), so checking before each verb is enough.
 */
export function mayAsk(verb: CensusVerb, counted: number, lastSession: boolean): boolean {
  const keepForTurn = lastSession && LIKELY_UNRECOGNISED.has(verb) ? 1 : 0;
  return counted + keepForTurn < DROP_LIMIT;
}

const LIKELY_UNRECOGNISED: ReadonlySet<CensusVerb> = new Set(['VERB', 'SEND', 'SOML', 'SAML']);

/** opensTransaction: verbs whose success starts a mail transaction, so RSET must follow. */
export function opensTransaction(verb: CensusVerb): boolean {
  return verb === 'SEND' || verb === 'SOML' || verb === 'SAML';
}

/**
 * classifySupport: a verb's support from its reply. 500/502/504 mean the verb
 * (or its parameter) is not implemented; 501/503 mean it was understood;
 * 530 and X.7.X enhanced codes are policy; 550/551/553 to VRFY or EXPN of
 * postmaster are policy too (postmaster must exist, RFC 5321 §4.5.1).
 * A 252 to VRFY/EXPN is ambiguous on its own: see classifyVerifyPair.
 */
export function classifySupport(verb: CensusVerb, reply: Reply): Support {
  const { code } = reply;
  // 421 is the server closing the channel (RFC 5321 §3.8), whatever its enhanced code says: it tells nothing about the verb.
  if (code === 421) return 'unknown';
  if (code === 500 || code === 502 || code === 504) return 'not-implemented';
  if (isPolicy(reply)) return 'disabled';
  if (verb === 'ETRN' && (code === 458 || code === 459)) return 'implemented';
  if (code >= 400 && code < 500) return 'unknown';
  if ((verb === 'VRFY' || verb === 'EXPN') && (code === 550 || code === 551 || code === 553))
    return 'disabled';
  if (code === 501 || code === 503) return 'implemented';
  if (code >= 500) return 'disabled';
  return 'implemented';
}

/**
 * classifyVerifyPair: VRFY/EXPN support when postmaster got 252. A server that
 * also answers 252 to a name that cannot exist answers 252 to everything:
 * that is VRFY disabled by policy. One that rejects the made-up name really
 * looks users up (Postfix does exactly this).
 */
export function classifyVerifyPair(postmaster: Reply, bogus: Reply): Support {
  if (postmaster.code !== 252) throw new Error('classifyVerifyPair needs a 252 to postmaster');
  if (bogus.code === 252) return 'disabled';
  if (bogus.code === 550 || bogus.code === 551 || bogus.code === 553) return 'implemented';
  return 'unknown';
}
