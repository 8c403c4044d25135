/** verdictOf: one address's verdict from what its host said, pure. */
import type { AddressVerdict } from '../schema/verify.js';
import type { Mailbox } from '../smtp/address.js';
import type { HostOutcome } from './host-run.js';

/** verdictOf: the RCPT meaning as a verdict; a catch-all domain's "yes" is only risky; a lost address is unknown, saying why. */
export function verdictOf(box: Mailbox, o: HostOutcome): AddressVerdict {
  const base = { input: box.input, address: box.address, domain: box.domain };
  const r = o.results.get(box);
  if (!r || r.meaning.kind === 'lost') {
    const lost = r?.meaning.kind === 'lost' ? r.meaning : undefined;
    return {
      ...base,
      // Interrupted before it was asked: never presented as a real verdict.
      verdict: lost?.reason === 'interrupted' ? 'not-asked' : 'unknown',
      reason: lost?.reason ?? 'session-lost',
      confidence: 'low',
      evidence: r?.evidence ?? [],
      ...(lost ? { note: lost.why } : {}),
    };
  }
  if (r.meaning.kind !== 'verdict') {
    return {
      ...base,
      verdict: 'unknown',
      reason: 'temporary',
      confidence: 'low',
      evidence: r.evidence,
    };
  }
  const { verdict, reason, confidence } = r.meaning;
  // A domain that accepts made-up names accepts everything: its "yes" means nothing (RFC 5321 §3.5.1 allows it).
  if (verdict === 'deliverable' && o.catchAll === 'yes') {
    return {
      ...base,
      verdict: 'risky',
      reason: 'catch-all',
      confidence: 'low',
      evidence: r.evidence,
    };
  }
  return { ...base, verdict, reason, confidence, evidence: r.evidence };
}
