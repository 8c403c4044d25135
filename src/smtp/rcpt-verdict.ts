/**
 * What a reply to RCPT TO says about an address, from the reply code and the
 * RFC 3463 enhanced code — never the English text, except for greylisting,
 * which servers signal only by convention (450/451 plus 4.7.x or the words).
 */
import type { Reply } from './reply.js';
import type { Reason, VerifyVerdict } from '../schema/verify.js';

/** RcptMeaning: a verdict for the address, or an instruction for the session. */
export type RcptMeaning =
  | {
      kind: 'verdict';
      verdict: VerifyVerdict;
      reason: Reason;
      confidence: 'high' | 'medium' | 'low';
      blocksHost?: boolean;
    }
  /** 452 4.5.3: too many recipients in this transaction (RFC 5321 §4.5.3.1.10): retry it in a new one. */
  | { kind: 'too-many-recipients' }
  /** 421: the server is closing the session: retry in a new one. */
  | { kind: 'closing' };

const GREYLIST_TEXT = /grey ?list|gray ?list|try again later|temporarily deferred/i;

/** isGreylisting: a temporary refusal that retrying from the same client, sender and recipient will clear. */
export function isGreylisting(reply: Reply): boolean {
  if (reply.code !== 450 && reply.code !== 451) return false;
  return reply.enhanced?.startsWith('4.7.') === true || GREYLIST_TEXT.test(reply.lines.join(' '));
}

/** classifyRcpt: see the module comment. */
export function classifyRcpt(reply: Reply): RcptMeaning {
  const { code } = reply;
  const [, subject, detail] = (reply.enhanced ?? '').split('.').map(Number);
  if (code === 421) return { kind: 'closing' };
  if (code === 452 && subject === 5 && detail === 3) return { kind: 'too-many-recipients' };
  if (code === 250)
    return { kind: 'verdict', verdict: 'deliverable', reason: 'accepted', confidence: 'high' };
  if (code === 251)
    return { kind: 'verdict', verdict: 'deliverable', reason: 'will-forward', confidence: 'high' };
  if (code === 252)
    return { kind: 'verdict', verdict: 'risky', reason: 'cannot-verify', confidence: 'low' };
  if (code >= 400 && code < 500) {
    if (isGreylisting(reply))
      return { kind: 'verdict', verdict: 'unknown', reason: 'greylisted', confidence: 'low' };
    if (subject === 2 && detail === 2)
      return { kind: 'verdict', verdict: 'risky', reason: 'mailbox-full', confidence: 'medium' };
    return { kind: 'verdict', verdict: 'unknown', reason: 'temporary', confidence: 'low' };
  }
  if (code >= 500) return classifyPermanent(code, subject, detail);
  return { kind: 'verdict', verdict: 'unknown', reason: 'rejected', confidence: 'low' };
}

function classifyPermanent(
  code: number,
  subject: number | undefined,
  detail: number | undefined,
): RcptMeaning {
  // X.7.X: security or policy (RFC 3463 §3.8): the server refuses us, which says nothing about the mailbox.
  if (subject === 7)
    return {
      kind: 'verdict',
      verdict: 'unknown',
      reason: 'policy',
      confidence: 'low',
      blocksHost: detail === 1 && code === 554,
    };
  if (subject === 1 && detail === 1)
    return { kind: 'verdict', verdict: 'undeliverable', reason: 'bad-mailbox', confidence: 'high' };
  if (subject === 1 && detail === 2)
    return { kind: 'verdict', verdict: 'undeliverable', reason: 'bad-domain', confidence: 'high' };
  if (subject === 2 && detail === 1)
    return {
      kind: 'verdict',
      verdict: 'undeliverable',
      reason: 'mailbox-disabled',
      confidence: 'high',
    };
  if (subject === 2 && detail === 2)
    return { kind: 'verdict', verdict: 'risky', reason: 'mailbox-full', confidence: 'medium' };
  if (subject === 1)
    return {
      kind: 'verdict',
      verdict: 'undeliverable',
      reason: 'bad-mailbox',
      confidence: 'medium',
    };
  // RFC 5321 §4.2.2 550/553 without an enhanced code: "mailbox unavailable / name not allowed", most often no such user.
  if (code === 550 || code === 551 || code === 553)
    return { kind: 'verdict', verdict: 'undeliverable', reason: 'rejected', confidence: 'medium' };
  return { kind: 'verdict', verdict: 'unknown', reason: 'rejected', confidence: 'low' };
}
