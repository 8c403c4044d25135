/**
 * VirtualClock: a Clock whose time moves only when nothing else can happen.
 * Timers wait in a queue; once the program has gone quiet — QUIET_TURNS turns
 * of the event loop with no new activity (a chunk through the in-memory
 * network, a timer set or fired) — time jumps to the earliest timer and fires
 * it. A 30 s timeout costs no wall time, and the order of events is the order
 * their virtual times dictate, so tests assert behaviour, never timings.
 */
import type { Clock } from '../../src/time/clock.js';

/** QUIET_TURNS: event-loop turns without activity before time may jump (TLS over a JS stream takes a few). */
const QUIET_TURNS = 12;

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** VirtualClock: see the module comment. */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private activity = 0;
  private pumping = false;
  private readonly timers: Timer[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    this.touch();
    this.pump();
    return () => {
      timer.cancelled = true;
    };
  }

  /** sleep: a promise that resolves after `ms` of virtual time (for test servers that answer late). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(ms, resolve));
  }

  /** touch: something happened that may lead to more work before time moves on. */
  touch(): void {
    this.activity++;
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.run();
  }

  private async run(): Promise<void> {
    for (;;) {
      const live = this.timers.filter((t) => !t.cancelled);
      this.timers.splice(0, this.timers.length, ...live);
      if (live.length === 0) {
        this.pumping = false;
        return;
      }
      await this.quiet();
      const next = this.timers
        .filter((t) => !t.cancelled)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) continue;
      this.timers.splice(this.timers.indexOf(next), 1);
      this.t = Math.max(this.t, next.at);
      this.touch();
      next.fn();
    }
  }

  private async quiet(): Promise<void> {
    let seen = this.activity;
    for (let turns = 0; turns < QUIET_TURNS; turns++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.activity !== seen) {
        seen = this.activity;
        turns = -1;
      }
    }
  }
}
