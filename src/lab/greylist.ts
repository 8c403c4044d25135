/**
 * GreylistStore: the memory of a greylisting lab host, as postgrey keeps it:
 * when each (client IP, sender, recipient) triplet was first seen. One store
 * per host, shared by its connections, so a retry in a new session is
 * recognized. Pure: the clock is injected.
 */

/** MAX_TRIPLETS: triplets a store remembers; beyond it the oldest are forgotten (that sender then waits again, as after a postgrey database cleanup). */
export const MAX_TRIPLETS = 10_000;

/** Triplet: what greylisting keys on. Addresses compare case-insensitively. */
export interface Triplet {
  /** client: the client's IP address (postgrey's default keys on the /24; the lab keeps the whole address). */
  client: string;
  /** sender: the MAIL FROM path without brackets ("" for the null sender). */
  sender: string;
  /** recipient: the RCPT TO path without brackets. */
  recipient: string;
}

/** GreylistStore: see the module comment. */
export class GreylistStore {
  private readonly firstSeen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * check: 'pass' when the triplet was first seen at least `delayMs` ago,
   * else 'defer' (remembering it on first sight). An early retry does not
   * restart the clock, as in postgrey.
   */
  check(t: Triplet, delayMs: number): 'pass' | 'defer' {
    const key = [t.client, t.sender, t.recipient].map((s) => s.toLowerCase()).join('\0');
    const now = this.now();
    const seen = this.firstSeen.get(key);
    if (seen === undefined) {
      // A Map iterates in insertion order, so the first keys are the oldest.
      if (this.firstSeen.size >= MAX_TRIPLETS)
        this.firstSeen.delete(this.firstSeen.keys().next().value!);
      this.firstSeen.set(key, now);
      return 'defer';
    }
    return now - seen >= delayMs ? 'pass' : 'defer';
  }

  /** size: how many triplets are remembered. */
  get size(): number {
    return this.firstSeen.size;
  }
}
