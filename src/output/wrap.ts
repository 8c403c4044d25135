/**
 * Text that fits a width: how many columns a string takes on a terminal, and
 * wrapping at spaces so that an address, a host name, a reply code or a status
 * word is never cut in two. Pure and small: the JSON path loads it too
 * (render.ts wraps the error block), so it pulls in no table library.
 */

// Our own SGR colour codes (paint()); a server's escape bytes never get here raw (printable()).
const SGR = /\u001b\[[0-9;]*m/g;
const SGR_OR_CHAR = /\u001b\[[0-9;]*m|[\s\S]/gu;

/** isWide: East Asian wide and fullwidth code points and emoji, which take two columns (as string-width counts them). */
function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    cp === 0x2329 ||
    cp === 0x232a ||
    (cp >= 0x2e80 && cp <= 0x3247 && cp !== 0x303f) ||
    (cp >= 0x3250 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0xa4c6) ||
    (cp >= 0xa960 && cp <= 0xa97c) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe10 && cp <= 0xfe19) ||
    (cp >= 0xfe30 && cp <= 0xfe6b) ||
    (cp >= 0xff01 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x1b000 && cp <= 0x1b001) ||
    (cp >= 0x1f200 && cp <= 0x1f251) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/** charWidth: columns one code point takes: 0 for control and combining marks, 2 for wide ones, else 1. */
function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  return isWide(cp) ? 2 : 1;
}

/** displayWidth: the columns `text` takes on one terminal line (SGR codes take none). */
export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text.replace(SGR, '')) w += charWidth(ch);
  return w;
}

/** cutWord: a word wider than `room` split into pieces of at most `room` columns (the last resort). */
function cutWord(word: string, first: number, room: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let w = 0;
  let limit = Math.max(1, first);
  for (const unit of word.match(SGR_OR_CHAR) ?? []) {
    const uw = unit.startsWith('\u001b') ? 0 : charWidth(unit);
    if (w + uw > limit && w > 0) {
      pieces.push(piece);
      piece = '';
      w = 0;
      limit = Math.max(1, room);
    }
    piece += unit;
    w += uw;
  }
  pieces.push(piece);
  return pieces;
}

/**
 * wrapLine: one line broken at spaces into lines of at most `width` columns;
 * continuation lines start with `hang`. Spacing inside a line is kept (a
 * "subject  CN=…" stays aligned). A word wider than a whole line is the only
 * thing ever cut, and only when the caller could not make room for it.
 */
export function wrapLine(line: string, width: number, hang = ''): string[] {
  if (displayWidth(line) <= width) return [line];
  const indent = displayWidth(hang) * 2 <= width ? hang : '';
  const indentW = displayWidth(indent);
  const out: string[] = [];
  let cur = '';
  let curW = 0;
  let fresh = true;
  const newLine = (): void => {
    out.push(cur);
    cur = indent;
    curW = indentW;
    fresh = true;
  };
  for (const [, spaces, word] of line.matchAll(/( *)([^ ]+)/g)) {
    const wordW = displayWidth(word!);
    // A line's first word keeps its leading spaces only on the first line.
    let gap = fresh && out.length > 0 ? '' : spaces!;
    // A word too wide for any line is cut where it stands; any other moves to the next line whole.
    const tooWide = wordW > width - indentW;
    if (!fresh && curW + gap.length + wordW > width && !(tooWide && curW + gap.length < width)) {
      newLine();
      gap = '';
    }
    if (curW + gap.length + wordW > width) {
      const pieces = cutWord(word!, width - curW - gap.length, width - indentW);
      pieces.forEach((p, i) => {
        if (i > 0) newLine();
        cur += (i === 0 ? gap : '') + p;
        curW += (i === 0 ? gap.length : 0) + displayWidth(p);
        fresh = false;
      });
      continue;
    }
    cur += gap + word;
    curW += gap.length + wordW;
    fresh = false;
  }
  if (!fresh || out.length === 0) out.push(cur);
  return out;
}

/**
 * wrapUnits: a line made of units joined by `sep` ("connect 3.1 ms · greeting
 * 1.0 ms"), broken only between units (a unit too wide for a line wraps at its
 * spaces); `sep` ends the line it breaks after, trimmed of trailing spaces.
 */
export function wrapUnits(line: string, sep: string, width: number, hang = ''): string[] {
  if (displayWidth(line) <= width) return [line];
  const tail = sep.trimEnd();
  const lines: string[] = [];
  let cur: string | undefined;
  for (const unit of line.split(sep)) {
    if (cur === undefined) {
      cur = unit;
      continue;
    }
    const joined = `${cur}${sep}${unit}`;
    // Keep room for the separator's tail in case the line breaks after this unit.
    if (displayWidth(joined) + displayWidth(tail) > width) {
      lines.push(`${cur}${tail}`);
      cur = `${hang}${unit}`;
    } else {
      cur = joined;
    }
  }
  lines.push(cur ?? '');
  return lines.flatMap((l) => wrapLine(l, width, hang));
}

/** wrapText: every line of `text` wrapped to `width` (see wrapLine), joined with newlines. */
export function wrapText(text: string, width: number, hang = ''): string {
  return text
    .split('\n')
    .flatMap((l) => wrapLine(l, width, hang))
    .join('\n');
}

/** longestWord: the widest space-free run in `text` (what a column must be at least to cut nothing). */
export function longestWord(text: string): number {
  let max = 0;
  for (const line of text.split('\n'))
    for (const word of line.split(' ')) max = Math.max(max, displayWidth(word));
  return max;
}

/** widestLine: the widest line of `text`. */
export function widestLine(text: string): number {
  let max = 0;
  for (const line of text.split('\n')) max = Math.max(max, displayWidth(line));
  return max;
}
