/**
 * Misbehaviours of framing and timing: replies broken in their bytes (line
 * ends, NUL, bytes that are not UTF-8, terminal escapes, bad codes and
 * separators, lines of 1 MiB, floods, lines that are not replies) or in their
 * timing (silence, drip-feeding, a late answer).
 */
import { GREETING, MX_NAME } from './hostile-plain-mta.js';
import { atWork, on } from './hostile-moves.js';
import type { Misbehaviour } from './hostile-server.js';

const MiB = 1024 * 1024;
/** FLOOD_OCTETS: what flood-then-close and endless-continuation send at most if the client never hangs up. */
export const FLOOD_OCTETS = 16 * MiB;

/** swap: an encoder replacing every `from` with `to` (octet-exact). */
const swap =
  (from: string, to: string) =>
  (b: Buffer): Buffer =>
    Buffer.from(b.toString('latin1').split(from).join(to), 'latin1');

/** octets: text and raw byte values as one buffer (for bytes that are not UTF-8). */
const octets = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))),
  );

// A lone continuation byte, an overlong "/", a UTF-16 surrogate, 0xFF: none is UTF-8.
const NOT_UTF8 = [0x80, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xff, 0xfe];

/** FRAMING_MISBEHAVIOURS: framing and timing faults (see each `what`). */
export const FRAMING_MISBEHAVIOURS: Misbehaviour[] = [
  { name: 'silence', what: 'accepts the connection and never says a word', greet: () => undefined },
  {
    name: 'silent-after-hello',
    what: 'greets and answers EHLO/HELO, then never answers again',
    command: (_c, cmd) => cmd.stage !== 'ehlo' && cmd.stage !== 'helo',
  },
  {
    name: 'bare-lf',
    what: 'ends every line with LF alone, no CRLF (accepted by design)',
    encode: swap('\r\n', '\n'),
  },
  { name: 'bare-cr', what: 'ends every line with CR alone', encode: swap('\r\n', '\r') },
  {
    name: 'unterminated-greeting',
    what: 'a greeting without any line end, then silence',
    greet: (c) => void c.write(GREETING),
  },
  {
    name: 'nul-bytes',
    what: 'a NUL at the start of the text of every reply line',
    encode: (b) =>
      Buffer.from(b.toString('latin1').replace(/(^|\n)(\d{3}[ -])/g, '$1$2\u0000'), 'latin1'),
  },
  {
    name: 'line-1mb-greeting',
    what: 'a greeting line of 1 MiB',
    greet: (c) => c.reply(`220 ${'x'.repeat(MiB)}`),
  },
  {
    name: 'line-1mb-reply',
    what: 'a 1 MiB line in answer to the first real command',
    command: atWork((c) => c.reply(`250 ${'y'.repeat(MiB)}`)),
  },
  {
    name: 'endless-continuation',
    what: 'answers EHLO with "250-" lines that never end',
    command: on('ehlo', (c) => void c.flood('250-CONTINUED\r\n'.repeat(256), FLOOD_OCTETS)),
  },
  {
    name: 'code-change',
    what: "EHLO's reply changes its code mid-reply (250- then 554)",
    command: on('ehlo', (c) => c.reply(`250-${MX_NAME}`, '250-PIPELINING', '554 5.3.0 changed')),
  },
  {
    name: 'bad-code-600',
    what: 'greets with code 600',
    greet: (c) => c.reply(`600 ${MX_NAME} ESMTP`),
  },
  {
    name: 'bad-code-2x0',
    what: 'answers EHLO with code 2x0',
    command: on('ehlo', (c) => c.reply(`2x0 ${MX_NAME}`)),
  },
  {
    name: 'bad-code-abc',
    what: 'answers the first real command with code abc',
    command: atWork((c) => c.reply('abc 2.0.0 Ok')),
  },
  {
    name: 'bad-separator',
    what: 'a code followed by "_" instead of space or hyphen',
    command: atWork((c) => c.reply('250_2.0.0 Ok')),
  },
  {
    name: 'empty-line',
    what: 'an empty line before the answer to the first real command',
    command: atWork((c) => void c.write('\r\n250 2.0.0 Ok\r\n')),
  },
  {
    name: 'escape-sequences',
    what: 'terminal escapes (ESC, OSC, BEL) in the greeting and EHLO',
    greet: (c) => c.reply(`220 ${MX_NAME} \u001b[2J\u001b]0;pwned\u0007 ESMTP`),
    ehlo: ['PIPELINING', '\u001b[31mENHANCEDSTATUSCODES', 'VRFY'],
  },
  { name: 'drip-feed', what: 'every reply one byte at a time, 40 ms apart', dripMs: 40 },
  { name: 'drip-slow', what: 'every reply one byte at a time, 1.5 s apart', dripMs: 1_500 },
  {
    name: 'invalid-utf8',
    what: 'octets that are not UTF-8 in the greeting and in EHLO',
    greet: (c) => void c.write(octets(`220 ${MX_NAME} `, NOT_UTF8, ' ESMTP\r\n')),
    command: on(
      'ehlo',
      (c) =>
        void c.write(
          octets(
            '250-mx.',
            NOT_UTF8,
            '\r\n250-PIPELINING\r\n250 X-',
            NOT_UTF8,
            ' ',
            NOT_UTF8,
            '\r\n',
          ),
        ),
    ),
  },
  {
    name: 'late-reply',
    what: 'answers the first real command 6 s late, past the command timeout',
    command: async (c, cmd) => {
      if (!cmd.main) return false;
      if (await c.sleep(6_000)) c.answer(cmd);
      return true;
    },
  },
  {
    name: 'echo',
    what: 'greets, then sends back every line the client sends',
    command: (c, cmd) => {
      c.write(`${cmd.line}\r\n`);
      return true;
    },
  },
  {
    name: 'flood-then-close',
    what: 'a flood of "220-" lines instead of a greeting (16 MiB at most), then FIN',
    greet: async (c) => {
      await c.flood(`220-${'f'.repeat(60)}\r\n`.repeat(256), FLOOD_OCTETS);
      c.end();
    },
  },
];
