/**
 * What an audit remembers of the addresses it finished, for the sites of later windows: the
 * records most recently used (a hosting provider's addresses come back window after window),
 * each with the digest of the chain it presented (for the dane check; never in the record), and
 * which keys were reported.
 */
import type { ChainDigest } from '../net/dane-chain.js';
import type { AuditAddress } from '../schema/audit.js';

/** RECORDS_REMEMBERED: finished address records kept for the sites of later windows (a provider's hosts). */
export const RECORDS_REMEMBERED = 2048;

/** Kept: a remembered record, and the digest of the chain it presented (for DANE; a few hundred bytes). */
export interface Kept {
  record: AuditAddress;
  chain?: ChainDigest;
}

/**
 * Records: the finished address records later windows may need, the most recently used kept
 * (a hosting provider's addresses come back window after window), and which keys were reported.
 * An address forgotten and met again is probed again, but counted and reported once.
 */
export class Records {
  private readonly kept = new Map<string, Kept>();
  private readonly reported = new Set<string>();

  constructor(private readonly resumed?: ReadonlyMap<string, AuditAddress>) {}

  /** recall: the record of `key` and, when this run probed it, the digest of its chain. */
  recall(key: string): Kept | undefined {
    const resumed = this.resumed?.get(key);
    if (resumed) return { record: resumed };
    const k = this.kept.get(key);
    if (k) this.remember(k.record, k.chain);
    return k;
  }

  /** first: keep `r` (and its chain digest); true the first time its key is seen in the run. */
  first(r: AuditAddress, chain?: ChainDigest): boolean {
    this.remember(r, chain);
    if (this.reported.has(r.key)) return false;
    this.reported.add(r.key);
    return true;
  }

  private remember(r: AuditAddress, chain: ChainDigest | undefined): void {
    this.kept.delete(r.key);
    this.kept.set(r.key, { record: verdictsOnly(r), ...(chain ? { chain } : {}) });
    if (this.kept.size > RECORDS_REMEMBERED) {
      this.kept.delete(this.kept.keys().next().value as string);
    }
  }
}

/**
 * verdictsOnly: what a later site needs of an address already reported — its verdicts and
 * findings, not the evidence (replies, relay trials), which its own line already carried.
 */
function verdictsOnly(r: AuditAddress): AuditAddress {
  if (r.vrfy?.evidence.length === 0 && r.relay?.trials.length === 0) return r;
  return {
    ...r,
    vrfy: r.vrfy && { ...r.vrfy, evidence: [] },
    expn: r.expn && { ...r.expn, lists: [] },
    relay: r.relay && { ...r.relay, trials: [] },
  };
}
