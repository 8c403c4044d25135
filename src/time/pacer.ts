/**
 * Pacer: spaces events at most `perSecond` a second across everyone who asks — `audit --rate`'s
 * new connections. Each caller gets the next free slot and sleeps until it, so a burst of
 * workers is spread out instead of released together.
 */
import type { Deadline } from './deadline.js';

/** Pacer: see the module comment; a rate of 0 or less means no limit. */
export class Pacer {
  private next = Number.NEGATIVE_INFINITY;

  constructor(private readonly perSecond: number) {}

  /** slot: resolves at this caller's turn; ends early with the deadline's error. */
  async slot(deadline: Deadline): Promise<void> {
    if (this.perSecond <= 0) return;
    const now = deadline.clock.now();
    const at = Math.max(now, this.next);
    this.next = at + 1000 / this.perSecond;
    if (at > now) await deadline.sleep(at - now, 'connect');
  }
}
