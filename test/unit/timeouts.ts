/** Durations: parsing user flags and formatting for people. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TIMEOUTS } from '../../src/session/timeouts.js';
import { formatDuration, parseDuration } from '../../src/time/duration.js';
import { ProbeError } from '../../src/errors.js';

describe('parseDuration', () => {
  const good: [string, number][] = [
    ['500ms', 500],
    ['5s', 5000],
    ['2m', 120_000],
    ['1.5s', 1500],
    ['10', 10_000],
    ['0.25', 250],
    [' 5 s ', 5000],
    ['0.5ms', 1],
    ['1ms', 1],
    ['86400s', 86_400_000],
    ['1440m', 86_400_000],
    ['0.001', 1],
  ];
  for (const [text, ms] of good)
    test(`${JSON.stringify(text)} → ${ms} ms`, () => assert.equal(parseDuration(text), ms));

  const bad: [string, RegExp][] = [
    ['', /not a duration/],
    ['abc', /not a duration/],
    ['5h', /not a duration/],
    ['-1s', /not a duration/],
    ['1e3', /not a duration/],
    ['5 seconds', /not a duration/],
    ['.5s', /not a duration/],
    ['5s5', /not a duration/],
    ['0', /more than 0/],
    ['0ms', /more than 0/],
    ['0.4ms', /more than 0/],
    ['86401s', /at most 24h/],
    ['1441m', /at most 24h/],
  ];
  for (const [text, why] of bad) {
    test(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseDuration(text, '--command-timeout'),
        (err: unknown) => {
          assert.ok(err instanceof ProbeError);
          assert.equal(err.code, 'INVALID_INPUT');
          assert.equal(err.stage, 'input');
          assert.match(err.message, why);
          assert.match(err.message, /^--command-timeout /, 'names the flag');
          return true;
        },
      );
    });
  }
});

describe('formatDuration', () => {
  const table: [number, string][] = [
    [0, '0.0 ms'],
    [0.42, '0.4 ms'],
    [9.94, '9.9 ms'],
    [9.96, '10 ms'],
    [12.3, '12 ms'],
    [999.4, '999 ms'],
    [999.6, '1.00 s'],
    [1000, '1.00 s'],
    [1250, '1.25 s'],
    [59_994, '59.99 s'],
    [59_996, '1m00s'],
    [60_000, '1m00s'],
    [125_000, '2m05s'],
    [3_600_000, '1h00m'],
    [5_400_000, '1h30m'],
    [86_400_000, '1d'],
    [4 * 86_400_000 + 6 * 3_600_000, '4d6h'],
  ];
  for (const [ms, text] of table)
    test(`${ms} → ${text}`, () => assert.equal(formatDuration(ms), text));
});

describe('DEFAULT_TIMEOUTS', () => {
  test('every phase has a positive default, and the whole target outlasts each phase', () => {
    const { targetMs, ...phases } = DEFAULT_TIMEOUTS;
    for (const [phase, ms] of Object.entries(phases)) {
      assert.ok(ms > 0, phase);
      assert.ok(targetMs > ms, `targetMs must exceed ${phase}`);
    }
  });
});
