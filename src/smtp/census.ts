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
