/** The transcript records both directions and never keeps an AUTH secret. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Transcript, type TranscriptEntry } from '../../src/session/transcript.js';

type Move = ['C' | 'S', string];

/** play: client (C) and server (S) lines through a transcript; returns what it recorded. */
function play(moves: Move[]): TranscriptEntry[] {
  const t = new Transcript();
  for (const [who, line] of moves) who === 'C' ? t.sent(line) : t.received(line);
  return t.entries;
}

const SECRETS = ['AGFsaWNlAHMzY3JldA==', 'YWxpY2U=', 'czNjcmV0', 'dXNlciBmMDBiYXI='];

describe('Transcript AUTH redaction', () => {
  const cases: { name: string; moves: Move[]; sent: string[] }[] = [
    {
      name: 'AUTH PLAIN with an initial response',
      moves: [
        ['C', 'AUTH PLAIN AGFsaWNlAHMzY3JldA=='],
        ['S', '235 2.7.0 Authentication successful'],
        ['C', 'QUIT'],
      ],
      sent: ['AUTH PLAIN <redacted>', 'QUIT'],
    },
    {
      name: 'AUTH LOGIN challenge/response',
      moves: [
        ['C', 'AUTH LOGIN'],
        ['S', '334 VXNlcm5hbWU6'],
        ['C', 'YWxpY2U='],
        ['S', '334 UGFzc3dvcmQ6'],
        ['C', 'czNjcmV0'],
        ['S', '235 2.7.0 Authentication successful'],
        ['C', 'MAIL FROM:<alice@example.org>'],
      ],
      sent: ['AUTH LOGIN', '<redacted>', '<redacted>', 'MAIL FROM:<alice@example.org>'],
    },
    {
      name: 'AUTH PLAIN without initial response, then a failure ends the exchange',
      moves: [
        ['C', 'auth plain'],
        ['S', '334 '],
        ['C', 'AGFsaWNlAHMzY3JldA=='],
        ['S', '535 5.7.8 Error: authentication failed'],
        ['C', 'QUIT'],
      ],
      sent: ['auth plain', '<redacted>', 'QUIT'],
    },
    {
      name: 'CRAM-MD5',
      moves: [
        ['C', 'AUTH CRAM-MD5'],
        ['S', '334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+'],
        ['C', 'dXNlciBmMDBiYXI='],
        ['S', '235 ok'],
        ['C', 'NOOP'],
      ],
      sent: ['AUTH CRAM-MD5', '<redacted>', 'NOOP'],
    },
    {
      name: 'a client cancelling with "*" is redacted too, and the 501 ends it',
      moves: [
        ['C', 'AUTH LOGIN'],
        ['S', '334 VXNlcm5hbWU6'],
        ['C', '*'],
        ['S', '501 5.7.0 Authentication aborted'],
        ['C', 'RSET'],
      ],
      sent: ['AUTH LOGIN', '<redacted>', 'RSET'],
    },
    {
      name: 'lines before any AUTH are kept',
      moves: [
        ['C', 'EHLO client.example.org'],
        ['S', '250-mx'],
        ['S', '250 AUTH PLAIN'],
        ['C', 'MAIL FROM:<auth@example.org> AUTH=<>'],
      ],
      sent: ['EHLO client.example.org', 'MAIL FROM:<auth@example.org> AUTH=<>'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const entries = play(c.moves);
      assert.deepEqual(
        entries.filter((e) => e.dir === 'send').map((e) => e.line),
        c.sent,
      );
      const all = JSON.stringify(entries);
      for (const secret of SECRETS) assert.ok(!all.includes(secret), `secret ${secret} leaked`);
    });
  }

  test('server lines are recorded as received, in order, with rising times', () => {
    const entries = play([
      ['C', 'AUTH LOGIN'],
      ['S', '334 VXNlcm5hbWU6'],
      ['C', 'YWxpY2U='],
      ['S', '535 no'],
    ]);
    assert.deepEqual(
      entries.map((e) => e.dir),
      ['send', 'recv', 'send', 'recv'],
    );
    assert.deepEqual(
      entries.filter((e) => e.dir === 'recv').map((e) => e.line),
      ['334 VXNlcm5hbWU6', '535 no'],
    );
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i]!.atMs >= entries[i - 1]!.atMs);
  });
});

describe('Transcript', () => {
  test('streams each entry to onEntry as it is added', () => {
    const seen: TranscriptEntry[] = [];
    const t = new Transcript((e) => seen.push(e));
    t.note('connected');
    t.sent('EHLO x');
    t.received('250 mx');
    assert.deepEqual(
      seen.map((e) => [e.dir, e.line]),
      [
        ['note', 'connected'],
        ['send', 'EHLO x'],
        ['recv', '250 mx'],
      ],
    );
    assert.deepEqual(seen, t.entries);
  });
});

describe('Transcript.hide', () => {
  test('a hidden secret echoed by the server, or in a note, is recorded as <redacted>', () => {
    const t = new Transcript();
    t.hide('s3cret', 'czNjcmV0', '');
    t.received('535 5.7.8 bad password s3cret (czNjcmV0)');
    t.note('server said s3cret');
    t.sent('NOOP');
    assert.deepEqual(
      t.entries.map((e) => e.line),
      ['535 5.7.8 bad password <redacted> (<redacted>)', 'server said <redacted>', 'NOOP'],
    );
    assert.equal(t.scrub('x s3cret y'), 'x <redacted> y');
  });
});
