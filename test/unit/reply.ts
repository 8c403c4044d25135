/** Reply parsing (RFC 5321 §4.2, RFC 3463): parseReplyLine, ReplyAssembler and the helpers around them. */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_REPLY_LINES,
  MAX_REPLY_OCTETS,
  ReplyAssembler,
  ReplySyntaxError,
  formatReply,
  parseEnhanced,
  parseReplyLine,
  replyClass,
  replyText,
  type Reply,
} from '../../src/smtp/reply.js';
import { ReplySchema } from '../../src/schema/smtp.js';

/** assemble: feed lines, return every reply completed (the last one must end the input). */
function assemble(lines: string[]): Reply[] {
  const a = new ReplyAssembler();
  const out: Reply[] = [];
  for (const l of lines) {
    const r = a.push(l);
    if (r) out.push(r);
  }
  assert.equal(a.inProgress, false, 'input ended inside a reply');
  return out;
}

describe('parseReplyLine', () => {
  const good: { line: string; code: number; last: boolean; text: string }[] = [
    {
      line: '220 mx.example.com ESMTP Postfix (Debian/GNU)',
      code: 220,
      last: true,
      text: 'mx.example.com ESMTP Postfix (Debian/GNU)',
    },
    { line: '250-PIPELINING', code: 250, last: false, text: 'PIPELINING' },
    { line: '250', code: 250, last: true, text: '' },
    { line: '354 ', code: 354, last: true, text: '' },
    { line: '550-', code: 550, last: false, text: '' },
    {
      line: '421 4.3.2 Service shutting down',
      code: 421,
      last: true,
      text: '4.3.2 Service shutting down',
    },
  ];
  for (const c of good) {
    test(`accepts ${JSON.stringify(c.line)}`, () => {
      assert.deepEqual(parseReplyLine(c.line), { code: c.code, last: c.last, text: c.text });
    });
  }

  const bad: { line: string; kind: ReplySyntaxError['kind'] }[] = [
    { line: '', kind: 'short-line' },
    { line: '25', kind: 'short-line' },
    { line: 'abc', kind: 'bad-code' },
    { line: 'abc def', kind: 'bad-code' },
    { line: '600 too high', kind: 'bad-code' },
    { line: '199 too low', kind: 'bad-code' },
    { line: '260 second digit above 5', kind: 'bad-code' },
    { line: 'HTTP/1.1 400 Bad Request', kind: 'bad-code' },
    { line: ' 250 leading space', kind: 'bad-code' },
    { line: '250x', kind: 'bad-separator' },
    { line: '2500 four digits', kind: 'bad-separator' },
    { line: '250\tPIPELINING', kind: 'bad-separator' },
  ];
  for (const c of bad) {
    test(`refuses ${JSON.stringify(c.line)} as ${c.kind}, quoting the line`, () => {
      assert.throws(
        () => parseReplyLine(c.line),
        (err: unknown) => {
          assert.ok(err instanceof ReplySyntaxError);
          assert.equal(err.kind, c.kind);
          assert.equal(err.line, c.line);
          assert.ok(err.message.includes(`"${c.line}"`), err.message);
          return true;
        },
      );
    });
  }
});

describe('ReplyAssembler: complete replies', () => {
  const cases: { name: string; lines: string[]; want: Reply }[] = [
    {
      name: 'single line with an enhanced code',
      lines: ['250 2.1.0 Ok'],
      want: { code: 250, enhanced: '2.1.0', lines: ['2.1.0 Ok'] },
    },
    {
      name: 'Gmail-style multi-line 550 with the enhanced code on every line',
      lines: [
        '550-5.1.1 The email account that you tried to reach does not exist. Please try',
        "550-5.1.1 double-checking the recipient's email address for typos or",
        '550 5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser',
      ],
      want: {
        code: 550,
        enhanced: '5.1.1',
        lines: [
          '5.1.1 The email account that you tried to reach does not exist. Please try',
          "5.1.1 double-checking the recipient's email address for typos or",
          '5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser',
        ],
      },
    },
    {
      name: 'missing enhanced code',
      lines: ['554 Transaction failed'],
      want: { code: 554, lines: ['Transaction failed'] },
    },
    {
      name: 'enhanced code whose class disagrees with the reply code is not taken',
      lines: ['250 5.1.1 looks like a failure but is a success'],
      want: { code: 250, lines: ['5.1.1 looks like a failure but is a success'] },
    },
    {
      name: 'enhanced code with a 4xx reply',
      lines: ['450 4.7.1 <a@example.org>: Recipient address rejected: greylisted'],
      want: {
        code: 450,
        enhanced: '4.7.1',
        lines: ['4.7.1 <a@example.org>: Recipient address rejected: greylisted'],
      },
    },
    {
      name: 'enhanced code with leading zeros is normalised',
      lines: ['550 5.01.001 odd but valid'],
      want: { code: 550, enhanced: '5.1.1', lines: ['5.01.001 odd but valid'] },
    },
    {
      name: 'enhanced-looking text glued to a word is not a code',
      lines: ['250 2.0.0Ok'],
      want: { code: 250, lines: ['2.0.0Ok'] },
    },
    {
      name: 'code-only line',
      lines: ['250'],
      want: { code: 250, lines: [''] },
    },
    {
      name: 'Postfix EHLO list',
      lines: ['250-mx.example.com', '250-PIPELINING', '250-SIZE 10240000', '250 CHUNKING'],
      want: { code: 250, lines: ['mx.example.com', 'PIPELINING', 'SIZE 10240000', 'CHUNKING'] },
    },
    {
      name: 'continuation without a code inside a multi-line reply is kept as text',
      lines: [
        '250-mx.example.com greets you',
        'a wrapped line the server forgot to prefix',
        '250 SMTPUTF8',
      ],
      want: {
        code: 250,
        lines: [
          'mx.example.com greets you',
          'a wrapped line the server forgot to prefix',
          'SMTPUTF8',
        ],
      },
    },
    {
      name: 'code-only last line of a multi-line reply',
      lines: ['220-mx.example.com ESMTP', '220'],
      want: { code: 220, lines: ['mx.example.com ESMTP', ''] },
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const replies = assemble(c.lines);
      assert.deepEqual(replies, [c.want]);
      ReplySchema.parse(replies[0]);
    });
  }

  test('consecutive replies come out one at a time, in order', () => {
    const replies = assemble(['250-first', '250 done', '221 2.0.0 Bye']);
    assert.deepEqual(
      replies.map((r) => r.code),
      [250, 221],
    );
    assert.deepEqual(replies[0]!.lines, ['first', 'done']);
  });

  test('a reply is returned only on its last line', () => {
    const a = new ReplyAssembler();
    assert.equal(a.push('250-one'), undefined);
    assert.equal(a.inProgress, true);
    assert.equal(a.push('250-two'), undefined);
    assert.deepEqual(a.push('250 three'), { code: 250, lines: ['one', 'two', 'three'] });
    assert.equal(a.inProgress, false);
  });
});

describe('ReplyAssembler: malformed and oversized replies', () => {
  /** pushAll: feed lines until one throws; returns the error. */
  function failure(a: ReplyAssembler, lines: Iterable<string>): ReplySyntaxError {
    try {
      for (const l of lines) a.push(l);
    } catch (err) {
      assert.ok(err instanceof ReplySyntaxError, String(err));
      return err;
    }
    assert.fail('no error was thrown');
  }

  test('mismatched codes in a multi-line reply', () => {
    const a = new ReplyAssembler();
    const err = failure(a, ['250-mx.example.com', '251 different code']);
    assert.equal(err.kind, 'code-mismatch');
    assert.match(err.message, /250.*251/);
    assert.equal(a.inProgress, false, 'the partial reply is dropped');
  });

  test('a bad line outside a multi-line reply is a syntax error', () => {
    assert.equal(failure(new ReplyAssembler(), ['no code at all']).kind, 'bad-code');
  });

  test(`more than MAX_REPLY_LINES (${MAX_REPLY_LINES}) lines`, () => {
    const a = new ReplyAssembler();
    const lines = Array.from({ length: MAX_REPLY_LINES + 10 }, () => '250-x');
    const err = failure(a, lines);
    assert.equal(err.kind, 'too-many-lines');
    assert.equal(a.inProgress, false);
  });

  test(`exactly MAX_REPLY_LINES lines is still a reply`, () => {
    const lines = [...Array.from({ length: MAX_REPLY_LINES - 1 }, () => '250-x'), '250 end'];
    const [reply] = assemble(lines);
    assert.equal(reply!.lines.length, MAX_REPLY_LINES);
  });

  test(`more than MAX_REPLY_OCTETS (${MAX_REPLY_OCTETS}) octets, in few long lines`, () => {
    const a = new ReplyAssembler();
    const long = `250-${'y'.repeat(4000)}`;
    const err = failure(
      a,
      Array.from({ length: Math.ceil(MAX_REPLY_OCTETS / 4000) + 2 }, () => long),
    );
    assert.equal(err.kind, 'too-large');
    assert.ok(err.message.length < 200, 'the quoted line is shortened');
    assert.equal(a.inProgress, false);
  });

  test('after an error the assembler starts clean', () => {
    const a = new ReplyAssembler();
    failure(a, ['250-a', '354 b']);
    assert.deepEqual(a.push('221 bye'), { code: 221, lines: ['bye'] });
  });

  test('the octet budget is per reply, not per connection', () => {
    const a = new ReplyAssembler();
    const line = `250 ${'z'.repeat(1000)}`;
    for (let i = 0; i < Math.ceil(MAX_REPLY_OCTETS / 1000) * 2; i++) assert.ok(a.push(line));
  });
});

describe('reply helpers', () => {
  test("parseEnhanced only takes a code of the reply's class", () => {
    const table: [number, string, string | undefined][] = [
      [250, '2.0.0 Ok', '2.0.0'],
      [451, '4.3.0 Try later', '4.3.0'],
      [550, '5.7.1 Relaying denied', '5.7.1'],
      [550, '4.7.1 class disagrees', undefined],
      [354, '3.0.0 there is no class 3', undefined],
      [250, 'Ok', undefined],
      [250, '2.0 too short', undefined],
      [250, '2.0.1000 too long', undefined],
      [250, '2.0.0', '2.0.0'],
    ];
    for (const [code, text, want] of table)
      assert.equal(parseEnhanced(code, text), want, `${code} ${text}`);
  });

  test('replyText strips enhanced codes and joins lines', () => {
    const reply = assemble(['550-5.1.1 no such', '550 5.1.1 user'])[0]!;
    assert.equal(replyText(reply), 'no such / user');
    assert.equal(replyText({ code: 250, lines: ['a', 'b'] }), 'a / b');
  });

  test('formatReply gives back the lines as they were on the wire', () => {
    const wire = ['250-mx.example.com', '250-8BITMIME', '250 DSN'];
    assert.deepEqual(formatReply(assemble(wire)[0]!), wire);
  });

  test('replyClass is the first digit', () => {
    const table: [number, number][] = [
      [220, 2],
      [354, 3],
      [421, 4],
      [554, 5],
    ];
    for (const [code, cls] of table) assert.equal(replyClass({ code, lines: [''] }), cls);
  });
});
