/**
 * The RFC 3463 enhanced status code of a reply as numbers, parsed in this one
 * place, and the rules read from it. A reply keeps the code as its text
 * ("5.1.1") because that is what the wire and the JSON carry.
 */
import type { Reply } from './reply.js';

/** EnhancedStatus: class.subject.detail (RFC 3463 §2). */
export interface EnhancedStatus {
  klass: 2 | 4 | 5;
  subject: number;
  detail: number;
}

/** enhancedStatus: the reply's enhanced code as numbers; undefined when it has none. */
export function enhancedStatus(reply: Reply): EnhancedStatus | undefined {
  if (reply.enhanced === undefined) return undefined;
  const [klass, subject, detail] = reply.enhanced.split('.').map(Number);
  return { klass: klass as 2 | 4 | 5, subject: subject!, detail: detail! };
}

/** hasStatus: whether the enhanced code is X.subject.detail (any class; any detail when omitted). */
export function hasStatus(reply: Reply, subject: number, detail?: number): boolean {
  const status = enhancedStatus(reply);
  return (
    status !== undefined &&
    status.subject === subject &&
    (detail === undefined || status.detail === detail)
  );
}

/**
 * isPolicy: a refusal by security or policy — 530 (RFC 4954 §6: authentication
 * required) or any X.7.X (RFC 3463 §3.8) — which says nothing about the name
 * or mailbox asked: the server is refusing *us*.
 */
export function isPolicy(reply: Reply): boolean {
  return reply.code === 530 || hasStatus(reply, 7);
}
