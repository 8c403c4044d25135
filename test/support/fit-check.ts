/**
 * assertFits: rendered text at a width — no line wider than the width, nothing
 * cut short with "…", and every token (an address, a host name, a reply code,
 * a status word, an error code) whole on one line, never split across two.
 */
import assert from 'node:assert/strict';
import { displayWidth } from '../../src/output/wrap.js';

/** WIDTHS: the terminal widths the renderers are checked at. */
export const WIDTHS = [80, 100, 120] as const;

/** assertFits: see the module comment. */
export function assertFits(text: string, width: number, tokens: readonly string[]): void {
  const bare = text.replace(/\u001b\[[0-9;]*m/g, '');
  const lines = bare.split('\n');
  const wide = lines.filter((l) => displayWidth(l) > width);
  assert.deepEqual(wide, [], `lines wider than ${width}:\n${bare}`);
  assert.ok(!bare.includes('…'), `a cell was cut short at ${width}:\n${bare}`);
  const broken = tokens.filter((t) => !lines.some((l) => l.includes(t)));
  assert.deepEqual(broken, [], `not whole on one line at ${width}:\n${bare}`);
}
