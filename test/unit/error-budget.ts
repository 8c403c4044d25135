/** ErrorBudget, pure: room per batch, the one test past the limit, punishment from reply gaps, 421 after rejections. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_ERRORS,
  ESCALATED_MAX_ERRORS,
  ErrorBudget,
  isPunished,
  PROBE_PAST,
  PUNISH_ODDS,
  PUNISHMENT_MS,
  punishOdds,
  stakes,
  THROTTLE_GAP_MS,
} from '../../src/probes/error-budget.js';

const reply = (code: number, enhanced?: string) =>
  enhanced ? { code, enhanced, lines: [`${enhanced} x`] } : { code, lines: ['x'] };

describe('ErrorBudget: room', () => {
  const cases: [string, ErrorBudget, number, number][] = [
    [
      'adaptive, fresh session: the limit plus the test',
      new ErrorBudget(),
      0,
      DEFAULT_MAX_ERRORS + PROBE_PAST,
    ],
    ['adaptive, 5 errors so far', new ErrorBudget(), 5, DEFAULT_MAX_ERRORS + PROBE_PAST - 5],
    ['fixed by the user', new ErrorBudget(4, false), 0, 4],
    ['fixed, at the limit: a fresh session', new ErrorBudget(4, false), 4, 0],
    ['fixed, past the limit', new ErrorBudget(4, false), 6, -2],
  ];
  for (const [name, budget, errors, room] of cases) {
    test(name, () => assert.equal(budget.room(errors), room));
  }
});

describe('ErrorBudget: after the test batch', () => {
  const cases: [string, number, boolean, string, number][] = [
    [
      'the test reached limit + 2 without punishment: raised',
      11,
      true,
      'raised',
      ESCALATED_MAX_ERRORS,
    ],
    ['it stopped short of limit + 2 (fewer unknowns): still untested', 10, true, 'untested', 9],
    ['not a test batch: nothing changes', 11, false, 'untested', 9],
  ];
  for (const [name, errors, probing, escalation, limit] of cases) {
    test(name, () => {
      const b = new ErrorBudget();
      b.afterBatch(errors, probing);
      assert.deepEqual([b.escalation, b.limit], [escalation, limit]);
      assert.equal(b.notes.length, escalation === 'raised' ? 1 : 0);
    });
  }
  test('a budget the user fixed is never raised', () => {
    const b = new ErrorBudget(4, false);
    b.afterBatch(100, true);
    assert.deepEqual([b.escalation, b.limit], ['fixed', 4]);
  });
});

describe('ErrorBudget: punishment', () => {
  const pace = 20;
  const cases: [string, number[], boolean][] = [
    ['replies at the pace', [20, 1, 1, 1], false],
    ['one gap just inside the margin', [20, 1, pace + THROTTLE_GAP_MS, 1], false],
    ['one gap past it (Postfix sleeps 1 s)', [20, 1, 1020, 1], true],
    ['a whole held-back batch late (Postfix holds pipelined replies)', [1030, 0, 0, 0], true],
  ];
  for (const [name, gapsMs, punished] of cases) {
    test(name, () => {
      const b = new ErrorBudget();
      const judged = b.judge({ errorsBefore: 0, errors: 11, gapsMs, baselineMs: pace });
      assert.equal(judged, punished);
      assert.equal(b.throttled, punished);
      assert.equal(b.escalation, punished ? 'fixed' : 'untested');
      assert.equal(b.limit, punished ? Math.min(DEFAULT_MAX_ERRORS, 11 - 1) : DEFAULT_MAX_ERRORS);
    });
  }
  test('no baseline yet (Infinity): nothing counts as late', () => {
    assert.equal(isPunished(10_000, Number.POSITIVE_INFINITY), false);
  });
  test('punished early (5 errors): the limit drops under what brought it on', () => {
    const b = new ErrorBudget();
    assert.equal(b.judge({ errorsBefore: 2, errors: 3, gapsMs: [900], baselineMs: 10 }), true);
    assert.equal(b.limit, 4);
    assert.deepEqual(b.notes, [
      'replies slowed with 5 rejected recipients in the session: sessions now stop at 4',
    ]);
  });
  test('a second session hitting the same wall adds no note; a lower wall does', () => {
    const b = new ErrorBudget();
    b.judge({ errorsBefore: 0, errors: 5, gapsMs: [900], baselineMs: 10 });
    b.judge({ errorsBefore: 0, errors: 5, gapsMs: [900], baselineMs: 10 });
    assert.equal(b.notes.length, 1);
    b.judge({ errorsBefore: 0, errors: 3, gapsMs: [900], baselineMs: 10 });
    assert.deepEqual([b.limit, b.notes.length], [2, 2]);
  });
  test('never below one rejection per session, or nothing would progress', () => {
    const b = new ErrorBudget();
    b.judge({ errorsBefore: 0, errors: 1, gapsMs: [900], baselineMs: 10 });
    assert.equal(b.limit, 1);
  });
});

describe('ErrorBudget: 421', () => {
  const cases: [string, ReturnType<typeof reply>, number, number, boolean][] = [
    ['421 4.7.0 after 8 rejections: an error limit, stay at 7', reply(421, '4.7.0'), 8, 7, true],
    ['421 4.7.0 before any rejection: not about errors', reply(421, '4.7.0'), 0, 9, false],
    ['421 4.3.2 (shutting down): not about errors', reply(421, '4.3.2'), 8, 9, false],
    ['421 without an enhanced code: not about errors', reply(421), 8, 9, false],
  ];
  for (const [name, r, errors, limit, throttled] of cases) {
    test(name, () => {
      const b = new ErrorBudget();
      b.onClosing(r, errors);
      assert.deepEqual([b.limit, b.throttled], [limit, throttled]);
    });
  }
  test('a raised budget comes down again when the server drops us after rejections', () => {
    const b = new ErrorBudget();
    b.afterBatch(11, true);
    b.onClosing(reply(421, '4.7.0'), 40);
    assert.deepEqual([b.limit, b.escalation], [39, 'fixed']);
  });
});

describe('punishOdds: what the banner says the server is', () => {
  const cases: [string, number][] = [
    ['mx.example.com ESMTP Postfix', 20],
    ['mail.example.org ESMTP Postfix (Debian/GNU)', 20],
    ['mx.example.net ESMTP Exim 4.96 Mon, 30 Nov 2026 12:00:00 +0000', 1 / 9],
    ['mx.google.com ESMTP a1b2c3 - gsmtp', PUNISH_ODDS],
    ['', PUNISH_ODDS],
  ];
  for (const [banner, odds] of cases)
    test(banner || '(no text)', () => assert.equal(punishOdds(banner), odds));
  test('a Postfix is not bet on even for 500 addresses at 20 ms; an Exim is, for 200', () => {
    const postfix = new ErrorBudget();
    postfix.decide(500, 5 * 20, 1, punishOdds('ESMTP Postfix'));
    assert.equal(postfix.escalation, 'declined');
    const exim = new ErrorBudget();
    exim.decide(200, 5 * 20, 1, punishOdds('ESMTP Exim 4.96'));
    assert.equal(exim.escalation, 'untested');
  });
});

describe('ErrorBudget: the bet of testing past the limit (decide)', () => {
  // A session's cost as given (the round trips of sessionRoundTrips at a measured round trip):
  // the 200 and 500 addresses; 60 ms RTT; loopback; two sessions side by side.
  const cases: [string, number, number, number, boolean, number][] = [
    ['200 addresses at 20 ms RTT: 22 sessions × 80 ms < 2 s at risk', 200, 80, 1, false, 22],
    ['500 addresses at 20 ms RTT: 55 sessions × 80 ms > 2 s', 500, 80, 1, true, 55],
    ['200 addresses at 60 ms RTT: 22 sessions × 240 ms > 2 s', 200, 240, 1, true, 22],
    [
      'loopback, 1,000 addresses: 111 sessions of 3 ms are not worth a second',
      1_000,
      3,
      1,
      false,
      111,
    ],
    ['loopback, 10,000 addresses: 1,111 sessions of 3 ms are', 10_000, 3, 1, true, 1111],
    ['500 at 20 ms over 2 connections: half the gain in wall time', 500, 80, 2, true, 55],
    ['300 at 20 ms over 2 connections: 33 × 80 / 2 = 1.3 s, declined', 300, 80, 2, false, 33],
    ['no more than the limit left: nothing to save', 9, 10_000, 1, false, 0],
  ];
  for (const [name, remaining, sessionMs, connections, made, saved] of cases) {
    test(name, () => {
      const s = stakes(remaining, DEFAULT_MAX_ERRORS, sessionMs, connections);
      assert.equal(s.sessionsSaved, saved);
      assert.equal(s.riskMs, PUNISH_ODDS * PUNISHMENT_MS);
      const b = new ErrorBudget();
      b.decide(remaining, sessionMs, connections);
      assert.equal(b.escalation, made ? 'untested' : 'declined');
      assert.equal(b.probing, made);
      assert.equal(b.room(0), DEFAULT_MAX_ERRORS + (made ? PROBE_PAST : 0));
      // A decline is explained when there was something to save.
      assert.equal(b.notes.length, made || saved === 0 ? 0 : 1);
    });
  }
  test('decided once: a later session with other numbers does not reopen the bet', () => {
    const b = new ErrorBudget();
    b.decide(20, 80);
    b.decide(10_000, 1_000);
    assert.equal(b.escalation, 'declined');
  });
  test('a limit the user set is never bet on', () => {
    const b = new ErrorBudget(9, false);
    b.decide(10_000, 1_000);
    assert.deepEqual([b.escalation, b.notes], ['fixed', []]);
  });
  test('declined says why, in numbers', () => {
    const b = new ErrorBudget();
    b.decide(200, 80);
    assert.match(
      b.notes[0]!,
      /save at most 22 sessions \(1760 ms\), less than a slowdown risks \(2000 ms\)/,
    );
  });
});
