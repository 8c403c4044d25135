/** Terminal safety, pure: when to colour (NO_COLOR, FORCE_COLOR, TTY, TERM=dumb), escaping server bytes, paint. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { useColor, outputColumns, printable, paint } from '../../src/output/terminal.js';

const TTY = { isTTY: true } as NodeJS.WritableStream & { isTTY?: boolean };
const PIPE = { isTTY: false } as NodeJS.WritableStream & { isTTY?: boolean };
const UNKNOWN = {} as NodeJS.WritableStream & { isTTY?: boolean };

describe('useColor', () => {
  const cases: { name: string; stream: typeof TTY; env: NodeJS.ProcessEnv; want: boolean }[] = [
    { name: 'a terminal, nothing set', stream: TTY, env: { TERM: 'xterm-256color' }, want: true },
    { name: 'a terminal, no TERM at all', stream: TTY, env: {}, want: true },
    { name: 'a pipe', stream: PIPE, env: { TERM: 'xterm-256color' }, want: false },
    { name: 'a stream that does not say (isTTY undefined)', stream: UNKNOWN, env: {}, want: false },
    { name: 'a terminal with NO_COLOR=1', stream: TTY, env: { NO_COLOR: '1' }, want: false },
    {
      name: 'a terminal with NO_COLOR set to anything (no-color.org)',
      stream: TTY,
      env: { NO_COLOR: 'false' },
      want: false,
    },
    {
      name: 'a terminal with NO_COLOR empty (no-color.org: empty means unset)',
      stream: TTY,
      env: { NO_COLOR: '' },
      want: true,
    },
    { name: 'a terminal with TERM=dumb', stream: TTY, env: { TERM: 'dumb' }, want: false },
    { name: 'a pipe with FORCE_COLOR=1', stream: PIPE, env: { FORCE_COLOR: '1' }, want: true },
    {
      name: 'a pipe with FORCE_COLOR empty (forces, as in Node)',
      stream: PIPE,
      env: { FORCE_COLOR: '' },
      want: true,
    },
    {
      name: 'a pipe with FORCE_COLOR=0 (does not force)',
      stream: PIPE,
      env: { FORCE_COLOR: '0' },
      want: false,
    },
    {
      name: 'TERM=dumb with FORCE_COLOR=1 (forced)',
      stream: TTY,
      env: { TERM: 'dumb', FORCE_COLOR: '1' },
      want: true,
    },
    {
      name: 'NO_COLOR wins over FORCE_COLOR (documented precedence, no-color.org)',
      stream: TTY,
      env: { FORCE_COLOR: '1', NO_COLOR: '1' },
      want: false,
    },
    {
      name: 'NO_COLOR empty does not stop FORCE_COLOR',
      stream: PIPE,
      env: { FORCE_COLOR: '1', NO_COLOR: '' },
      want: true,
    },
    {
      name: 'NO_COLOR with FORCE_COLOR=0',
      stream: TTY,
      env: { FORCE_COLOR: '0', NO_COLOR: '1' },
      want: false,
    },
  ];
  for (const c of cases) test(c.name, () => assert.equal(useColor(c.stream, c.env), c.want));
});

describe('outputColumns', () => {
  const tty = (columns?: number) =>
    ({ isTTY: true, ...(columns ? { columns } : {}) }) as NodeJS.WritableStream & {
      isTTY?: boolean;
      columns?: number;
    };
  const pipe = { isTTY: false, columns: 200 } as NodeJS.WritableStream & {
    isTTY?: boolean;
    columns?: number;
  };
  const cases: { name: string; stream: typeof pipe; env: NodeJS.ProcessEnv; want: number }[] = [
    { name: 'piped, nothing set: 120', stream: pipe, env: {}, want: 120 },
    { name: 'piped with COLUMNS=80: 80', stream: pipe, env: { COLUMNS: '80' }, want: 80 },
    { name: 'a terminal of 100 columns', stream: tty(100), env: {}, want: 100 },
    { name: 'COLUMNS wins over the terminal', stream: tty(100), env: { COLUMNS: '80' }, want: 80 },
    { name: 'a terminal that does not say: 120', stream: tty(), env: {}, want: 120 },
    {
      name: 'COLUMNS not a number is ignored',
      stream: tty(90),
      env: { COLUMNS: 'wide' },
      want: 90,
    },
    { name: 'COLUMNS=0 is ignored', stream: pipe, env: { COLUMNS: '0' }, want: 120 },
    { name: 'never wider than 140', stream: tty(300), env: {}, want: 140 },
    { name: 'COLUMNS wider than 140: 140', stream: pipe, env: { COLUMNS: '200' }, want: 140 },
  ];
  for (const c of cases) test(c.name, () => assert.equal(outputColumns(c.stream, c.env), c.want));
});

describe('printable', () => {
  const cases: [string, string, string][] = [
    [
      'plain ASCII is untouched',
      '220 mx.example.com ESMTP Postfix',
      '220 mx.example.com ESMTP Postfix',
    ],
    ['ESC (CSI clear screen)', '\u001b[2J', '\\x1b[2J'],
    ['CR (overwrite the line)', 'ok\rEVIL', 'ok\\x0dEVIL'],
    ['LF', 'a\nb', 'a\\x0ab'],
    ['NUL', 'a\u0000b', 'a\\x00b'],
    ['TAB', 'a\tb', 'a\\x09b'],
    ['BEL and backspace', '\u0007\u0008', '\\x07\\x08'],
    ['DEL', 'a\u007fb', 'a\\x7fb'],
    ['C1 CSI (U+009B, a one-byte ESC[ on some terminals)', '\u009b2J', '\\x9b2J'],
    [
      'OSC 8 hyperlink',
      '\u001b]8;;http://evil\u0007x\u001b]8;;\u0007',
      '\\x1b]8;;http://evil\\x07x\\x1b]8;;\\x07',
    ],
    ['non-ASCII text is kept (SMTPUTF8 banners)', 'Grüße → 日本 ✉', 'Grüße → 日本 ✉'],
    ['a backslash is kept as is', 'C:\\mail', 'C:\\mail'],
  ];
  for (const [name, input, want] of cases) test(name, () => assert.equal(printable(input), want));

  test('no code point below U+0020 or in U+007F–U+009F survives', () => {
    const all = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join('');
    assert.doesNotMatch(printable(all), /[\u0000-\u001f\u007f-\u009f]/);
  });
});

describe('paint', () => {
  test('off: every colour is the identity', () => {
    const p = paint(false);
    for (const f of Object.values(p)) assert.equal(f('text'), 'text');
  });
  test('on: SGR open and the matching close, so colours do not bleed into the next cell', () => {
    const p = paint(true);
    assert.equal(p.bold('b'), '\u001b[1mb\u001b[22m');
    assert.equal(p.dim('d'), '\u001b[2md\u001b[22m');
    assert.equal(p.red('r'), '\u001b[31mr\u001b[39m');
    assert.equal(p.green('g'), '\u001b[32mg\u001b[39m');
    assert.equal(p.yellow('y'), '\u001b[33my\u001b[39m');
    assert.equal(p.cyan('c'), '\u001b[36mc\u001b[39m');
  });
});
