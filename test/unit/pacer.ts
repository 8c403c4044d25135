/**
 * Pacer (`audit --rate`): callers get evenly spaced slots however they arrive, a rate of 0 waits
 * for nothing, and Ctrl-C ends a wait at once — on a virtual clock, never a sleep.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeError } from '../../src/errors.js';
import { Deadline } from '../../src/time/deadline.js';
import { Pacer } from '../../src/time/pacer.js';
import { VirtualClock } from '../support/virtual-clock.js';

test('a burst of 5 callers at 10 a second starts at 0, 100, 200, 300 and 400 ms', async () => {
  const clock = new VirtualClock();
  const deadline = new Deadline({ clock });
  const pacer = new Pacer(10);
  const starts: number[] = [];
  await Promise.all(
    Array.from({ length: 5 }, async () => {
      await pacer.slot(deadline);
      starts.push(clock.now());
    }),
  );
  assert.deepEqual(
    starts.sort((a, b) => a - b),
    [0, 100, 200, 300, 400],
  );
  deadline.dispose();
});

test('a caller after a quiet spell starts at once; the next one keeps the spacing', async () => {
  const clock = new VirtualClock();
  const deadline = new Deadline({ clock });
  const pacer = new Pacer(4);
  await pacer.slot(deadline);
  await deadline.sleep(1_000);
  const quiet = clock.now();
  await pacer.slot(deadline);
  assert.equal(clock.now(), quiet);
  await pacer.slot(deadline);
  assert.equal(clock.now(), quiet + 250);
  deadline.dispose();
});

test('rate 0: no limit, no wait', async () => {
  const clock = new VirtualClock();
  const deadline = new Deadline({ clock });
  const pacer = new Pacer(0);
  for (let i = 0; i < 100; i++) await pacer.slot(deadline);
  assert.equal(clock.now(), 0);
  deadline.dispose();
});

test('Ctrl-C ends a wait for a slot with the cancellation error', async () => {
  const clock = new VirtualClock();
  const user = new AbortController();
  const deadline = new Deadline({ clock, signal: user.signal });
  const pacer = new Pacer(1);
  await pacer.slot(deadline);
  const waiting = pacer.slot(deadline);
  user.abort();
  await assert.rejects(
    waiting,
    (err: unknown) => err instanceof ProbeError && err.code === 'ABORTED',
  );
  assert.ok(clock.now() < 1_000, 'it did not wait for its slot');
  deadline.dispose();
});
