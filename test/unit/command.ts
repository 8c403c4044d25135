/** Command safety: no control byte ever reaches a command line (CR/LF are command injection). */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { assertSafe } from '../../src/errors.js';
import {
  command,
  ehlo,
  expn,
  helo,
  isAuthCommand,
  mailFrom,
  rcptTo,
  vrfy,
} from '../../src/smtp/command.js';
import { ProbeError } from '../../src/errors.js';

const isInputError = (err: unknown): boolean =>
  err instanceof ProbeError &&
  err.code === 'INVALID_INPUT' &&
  err.stage === 'input' &&
  err.status === 'invalid-input';

const CONTROLS: { name: string; ch: string; shown: RegExp }[] = [
  { name: 'CR', ch: '\r', shown: /CR at offset/ },
  { name: 'LF', ch: '\n', shown: /LF at offset/ },
  { name: 'CRLF', ch: '\r\n', shown: /CR at offset/ },
  { name: 'NUL', ch: '\u0000', shown: /NUL at offset/ },
  { name: 'TAB', ch: '\t', shown: /TAB at offset/ },
  { name: 'ESC', ch: '\u001b', shown: /0x1b/ },
  { name: 'DEL', ch: '\u007f', shown: /DEL at offset/ },
  { name: 'C1 NEL', ch: '\u0085', shown: /0x85/ },
  { name: 'C1 CSI', ch: '\u009b', shown: /0x9b/ },
];

describe('assertSafe', () => {
  for (const c of CONTROLS) {
    test(`refuses ${c.name}, naming it and its offset`, () => {
      const value = `a@b${c.ch}RCPT TO:<victim@example.com>`;
      assert.throws(
        () => assertSafe('address', value),
        (err: unknown) => {
          assert.ok(isInputError(err), String(err));
          assert.match((err as Error).message, c.shown);
          assert.match((err as Error).message, /offset 3/);
          assert.match((err as Error).message, /^address /);
          return true;
        },
      );
    });
  }

  const fine = [
    'postmaster',
    'user@example.com',
    'Grüße@bücher.example',
    '<>',
    '"quoted local"@example.com',
    '\u00a0no-break space',
    '',
  ];
  for (const v of fine) {
    test(`accepts ${JSON.stringify(v)}`, () => assert.doesNotThrow(() => assertSafe('x', v)));
  }
});

describe('command builders', () => {
  test('format one line per verb', () => {
    assert.equal(ehlo('client.example.org'), 'EHLO client.example.org');
    assert.equal(helo('[192.0.2.1]'), 'HELO [192.0.2.1]');
    assert.equal(mailFrom(''), 'MAIL FROM:<>');
    assert.equal(
      mailFrom('a@example.org', 'SIZE=1000 BODY=8BITMIME'),
      'MAIL FROM:<a@example.org> SIZE=1000 BODY=8BITMIME',
    );
    assert.equal(rcptTo('b@example.org'), 'RCPT TO:<b@example.org>');
    assert.equal(vrfy('postmaster'), 'VRFY postmaster');
    assert.equal(expn('staff'), 'EXPN staff');
    assert.equal(command('NOOP'), 'NOOP');
    assert.equal(command('NOOP', ''), 'NOOP');
  });

  const builders: [string, (v: string) => string][] = [
    ['ehlo', ehlo],
    ['helo', helo],
    ['mailFrom', (v) => mailFrom(v)],
    ['mailFrom params', (v) => mailFrom('a@b', v)],
    ['rcptTo', rcptTo],
    ['vrfy', vrfy],
    ['expn', expn],
    ['command verb', (v) => command(v)],
    ['command arg', (v) => command('NOOP', v)],
  ];
  for (const [name, build] of builders) {
    for (const c of CONTROLS) {
      test(`${name} refuses ${c.name}`, () =>
        assert.throws(() => build(`x${c.ch}DATA`), isInputError));
    }
  }
});

describe('isAuthCommand', () => {
  const table: [string, boolean][] = [
    ['AUTH PLAIN AGFsaWNlAHNlY3JldA==', true],
    ['auth login', true],
    ['AUTH', false],
    ['AUTHX PLAIN', false],
    ['MAIL FROM:<auth@example.org> AUTH=<>', false],
  ];
  for (const [line, want] of table)
    test(`${line} → ${want}`, () => assert.equal(isAuthCommand(line), want));
});
