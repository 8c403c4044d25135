/** LineSplitter: bytes to lines, CRLF or bare LF, bounded memory. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter, LineTooLongError, MAX_LINE_OCTETS } from '../../src/smtp/lines.js';

/** split: push every chunk, collect all lines. */
function split(chunks: (string | Buffer)[], s = new LineSplitter()): string[] {
  return chunks.flatMap((c) => s.push(typeof c === 'string' ? Buffer.from(c, 'utf8') : c));
}

describe('LineSplitter', () => {
  const cases: { name: string; chunks: (string | Buffer)[]; want: string[] }[] = [
    { name: 'CRLF lines in one chunk', chunks: ['220 a\r\n250 b\r\n'], want: ['220 a', '250 b'] },
    { name: 'bare LF line endings', chunks: ['220 a\n250 b\n'], want: ['220 a', '250 b'] },
    {
      name: 'mixed CRLF and LF',
      chunks: ['250-a\r\n250-b\n250 c\r\n'],
      want: ['250-a', '250-b', '250 c'],
    },
    { name: 'chunk boundary between CR and LF', chunks: ['250 ok\r', '\n'], want: ['250 ok'] },
    { name: 'chunk boundary before CRLF', chunks: ['250 ok', '\r\n'], want: ['250 ok'] },
    { name: 'one byte at a time', chunks: [...'250-x\r\n250 y\r\n'], want: ['250-x', '250 y'] },
    {
      name: 'a line split over three chunks',
      chunks: ['25', '0 mx.exa', 'mple.com\r\n'],
      want: ['250 mx.example.com'],
    },
    { name: 'empty line', chunks: ['\r\n'], want: [''] },
    { name: 'a CR in the middle of a line is kept', chunks: ['250 a\rb\r\n'], want: ['250 a\rb'] },
    { name: 'only one trailing CR is dropped', chunks: ['250 x\r\r\n'], want: ['250 x\r'] },
    {
      name: 'a UTF-8 character split across chunks',
      chunks: [
        Buffer.from('250 gr'),
        Buffer.from('ü', 'utf8').subarray(0, 1),
        Buffer.concat([Buffer.from('ü', 'utf8').subarray(1), Buffer.from('ß\r\n')]),
      ],
      want: ['250 grüß'],
    },
  ];
  for (const c of cases) {
    test(c.name, () => assert.deepEqual(split(c.chunks), c.want));
  }

  test('an unfinished line is held, not returned', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push(Buffer.from('250 partial')), []);
    assert.equal(s.pending, '250 partial'.length);
    assert.deepEqual(s.push(Buffer.from('\r\n')), ['250 partial']);
    assert.equal(s.pending, 0);
  });

  test(`a line of MAX_LINE_OCTETS (${MAX_LINE_OCTETS}) octets with its CR passes`, () => {
    const line = 'x'.repeat(MAX_LINE_OCTETS - 1);
    assert.deepEqual(split([`${line}\r\n`]), [line]);
  });

  test('an overlong line throws, even when fed in small chunks, and quotes its start', () => {
    const s = new LineSplitter();
    const chunk = Buffer.from('A'.repeat(1000));
    assert.throws(
      () => {
        for (let i = 0; i <= MAX_LINE_OCTETS / 1000 + 1; i++) s.push(chunk);
      },
      (err: unknown) =>
        err instanceof LineTooLongError &&
        err.preview.startsWith('AAAA') &&
        err.message.includes(String(MAX_LINE_OCTETS)),
    );
  });

  test('an overlong line in one chunk throws', () => {
    assert.throws(
      () => new LineSplitter().push(Buffer.alloc(MAX_LINE_OCTETS + 1, 0x41)),
      LineTooLongError,
    );
  });

  test('memory held never exceeds MAX_LINE_OCTETS', () => {
    const s = new LineSplitter();
    let max = 0;
    try {
      for (let i = 0; i < 100; i++) {
        s.push(Buffer.alloc(777, 0x42));
        max = Math.max(max, s.pending);
      }
    } catch {
      // expected once the cap is reached
    }
    assert.ok(max > 0 && max <= MAX_LINE_OCTETS, `held ${max}`);
  });

  test('after an overlong line the splitter is reset and usable', () => {
    const s = new LineSplitter();
    assert.throws(() => s.push(Buffer.alloc(MAX_LINE_OCTETS + 10, 0x41)), LineTooLongError);
    assert.equal(s.pending, 0);
    assert.deepEqual(s.push(Buffer.from('250 fine\r\n')), ['250 fine']);
  });

  test('reset drops an unfinished line', () => {
    const s = new LineSplitter();
    s.push(Buffer.from('250 injected before TLS'));
    s.reset();
    assert.equal(s.pending, 0);
    assert.deepEqual(s.push(Buffer.from('220 after\r\n')), ['220 after']);
  });
});
