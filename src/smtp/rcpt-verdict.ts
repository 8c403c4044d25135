/**
 * What a reply to RCPT TO says about an address, from the reply code and the
 * RFC 3463 enhanced code — never the English text, except for greylisting,
 * which servers signal only by convention (450/451 plus 4.7.x or the words).
 */
import { hasStatus, isPolicy } from './enhanced.js';
import type { Reply } from './reply.js';
import type { Reason, VerifyVerdict } from '../schema/verify.js';

/** RcptMeaning: a verdict for the address, or an instruction for the session. */
export type RcptMeaning =
  | { kind: 'verdict'; verdict: VerifyVerdict; reason: Reason; confidence: Confidence }
  /** 452 4.5.3: too many recipients in this transaction (RFC 5321 §4.5.3.1.10): retry it in a new one. */
  | { kind: 'too-many-recipients' }
  /** 421: the server is closing the session: retry in a new one. */
  | { kind: 'closing' };

/** Confidence: how far a verdict can be trusted. */
export type Confidence = 'high' | 'medium' | 'low';

const GREYLIST_TEXT = /grey ?list|gray ?list|try again later|temporarily deferred/i;

const verdict = (v: VerifyVerdict, reason: Reason, confidence: Confidence): RcptMeaning => ({
  kind: 'verdict',
  verdict: v,
  reason,
  confidence,
});

/** isGreylisting: a temporary refusal that retrying from the same client, sender and recipient will clear. */
export function isGreylisting(reply: Reply): boolean {
  if (reply.code !== 450 && reply.code !== 451) return false;
  return hasStatus(reply, 7) || GREYLIST_TEXT.test(reply.lines.join(' '));
}

/** classifyRcpt: see the module comment. */
export function classifyRcpt(reply: Reply): RcptMeaning {
  const { code } = reply;
  if (code === 421) return { kind: 'closing' };
  if (code === 452 && hasStatus(reply, 5, 3)) return { kind: 'too-many-recipients' };
  if (code === 250) return verdict('deliverable', 'accepted', 'high');
  if (code === 251) return verdict('deliverable', 'will-forward', 'high');
  if (code === 252) return verdict('risky', 'cannot-verify', 'low');
  if (code >= 400 && code < 500) {
    if (isGreylisting(reply)) return verdict('unknown', 'greylisted', 'low');
    if (hasStatus(reply, 2, 2)) return verdict('risky', 'mailbox-full', 'medium');
    return verdict('unknown', 'temporary', 'low');
  }
  if (code >= 500) return classifyPermanent(reply);
  return verdict('unknown', 'rejected', 'low');
}

function classifyPermanent(reply: Reply): RcptMeaning {
  // The server refuses us, which says nothing about the mailbox.
  if (isPolicy(reply)) return verdict('unknown', 'policy', 'low');
  if (hasStatus(reply, 1, 1)) return verdict('undeliverable', 'bad-mailbox', 'high');
  if (hasStatus(reply, 1, 2)) return verdict('undeliverable', 'bad-domain', 'high');
  if (hasStatus(reply, 2, 1)) return verdict('undeliverable', 'mailbox-disabled', 'high');
  if (hasStatus(reply, 2, 2)) return verdict('risky', 'mailbox-full', 'medium');
  if (hasStatus(reply, 1)) return verdict('undeliverable', 'bad-mailbox', 'medium');
  // RFC 5321 §4.2.2 550/553 without an enhanced code: "mailbox unavailable / name not allowed", most often no such user.
  if (reply.code === 550 || reply.code === 551 || reply.code === 553) {
    return verdict('undeliverable', 'rejected', 'medium');
  }
  return verdict('unknown', 'rejected', 'low');
}
