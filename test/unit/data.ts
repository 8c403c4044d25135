/**
 * encodeData (RFC 5321 §4.1.1.4, §4.5.2, §4.5.3.1.6): line ends made CRLF whatever came in,
 * dot-stuffing, the end-of-data line, the 998-octet limit and NUL refused with the line number,
 * the 8-bit flag, and SIZE= counted before stuffing.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeData, MAX_LINE_OCTETS } from '../../src/smtp/data.js';

function sent(message: string | Buffer): string {
  const r = encodeData(message);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.bytes.toString('latin1');
}

describe('encodeData', () => {
  test('LF, CR and CRLF line ends all go out as CRLF; a last line without an end gets one', () => {
    assert.equal(sent('a\nb\rc\r\nd'), 'a\r\nb\r\nc\r\nd\r\n.\r\n');
  });

  test('blank lines are kept (the header/body separator among them)', () => {
    assert.equal(sent('Subject: x\n\nbody\n\n'), 'Subject: x\r\n\r\nbody\r\n\r\n.\r\n');
  });

  test('a line starting with "." gets another; "." and ".." alone too; the count is kept', () => {
    const r = encodeData('.\n..x\nok\n.hidden');
    assert.ok(r.ok);
    assert.equal(r.bytes.toString(), '..\r\n...x\r\nok\r\n..hidden\r\n.\r\n');
    assert.equal(r.stuffed, 3);
    assert.equal(r.lines, 4);
  });

  test('the end-of-data sequence never appears early, whatever the body holds', () => {
    const bytes = sent('a\r\n.\r\nb\n.\nc');
    assert.equal(bytes.indexOf('\r\n.\r\n'), bytes.length - 5);
  });

  test('an empty message is just the end-of-data line', () => {
    assert.equal(sent(''), '.\r\n');
  });

  test(`${MAX_LINE_OCTETS} octets pass; ${MAX_LINE_OCTETS + 1} are refused with the line number`, () => {
    assert.ok(encodeData(`x\n${'a'.repeat(MAX_LINE_OCTETS)}\n`).ok);
    const r = encodeData(`x\ny\n${'a'.repeat(MAX_LINE_OCTETS + 1)}\n`);
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.equal(r.line, 3);
    assert.match(
      r.reason,
      /line 3 is 999 octets; SMTP allows 998 before CRLF \(RFC 5321 §4\.5\.3\.1\.6\)/,
    );
  });

  test('a NUL octet is refused', () => {
    const r = encodeData(Buffer.from('ok\nbad\u0000\n'));
    assert.ok(!r.ok);
    assert.equal(r.line, 2);
  });

  test('8-bit octets set eightBit (8BITMIME needed); ASCII does not', () => {
    const utf8 = encodeData('Grüße\n');
    assert.ok(utf8.ok && utf8.eightBit);
    const ascii = encodeData('Gruesse\n');
    assert.ok(ascii.ok && !ascii.eightBit);
  });

  test('size counts CRLF line ends and not the stuffing or the end-of-data line (RFC 1870 §3)', () => {
    const r = encodeData('.a\nbc');
    assert.ok(r.ok);
    assert.equal(r.size, '.a\r\nbc\r\n'.length);
    assert.equal(r.bytes.length, r.size + 1 + 3);
  });
});
