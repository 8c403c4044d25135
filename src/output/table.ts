/**
 * fitTable: a cli-table3 table that fits the terminal without cutting a word.
 * Column widths come from the content: each column is at least as wide as its
 * widest word (an address, a host name, a status, a reply code) and grows
 * toward its widest line while there is room. When even the narrowest layout
 * is too wide, the columns the caller marked as low-value fold, one at a time
 * in their order: into another column's cell as extra lines, or onto a line
 * under their row. We wrap every cell ourselves at spaces; cli-table3 only
 * draws (its own wrapping cuts words it cannot place, and marks cut text "…").
 */
import Table from 'cli-table3';
import { formatDuration } from '../time/duration.js';
import type { Paint } from './terminal.js';
import { longestWord, widestLine, wrapLine, wrapUnits } from './wrap.js';

/** TableStyle: colour and width for the tables. */
export interface TableStyle {
  paint: Paint;
  color: boolean;
  /** Terminal columns to fit in (DEFAULT_WIDTH when absent). */
  width?: number;
}

/** DEFAULT_WIDTH: columns assumed when nobody says. */
export const DEFAULT_WIDTH = 120;
/** MIN_WIDTH: narrower than this, tables are drawn this wide anyway. */
const MIN_WIDTH = 40;
/** UNDER_INDENT: a folded line under its row starts here, so it reads as part of the row above. */
const UNDER_INDENT = '  ';

/**
 * Cell: text (already printable) and how to show it. Lines break at spaces
 * only; a no-break space (U+00A0) holds words together ("(1 of 2, random)")
 * and prints as a space.
 */
export interface Cell {
  text: string;
  /** colour, applied to each line after wrapping (so no colour runs into a border) */
  paint?: (s: string) => string;
  /** continuation lines of a wrapped line start with this many spaces */
  hang?: number;
  /** the text is units joined by this ("connect 3.1 ms · total 9 ms"): break only between units */
  sep?: string;
}

/** CellInput: a plain string or a Cell. */
export type CellInput = string | Cell;

/** Column: a column's heading and how it gives way when the table is too wide. */
export interface Column {
  head?: string;
  /** 'wrap' (default): wraps at spaces, never below its widest word. 'keep': never wraps (a time, an id). */
  fit?: 'wrap' | 'keep';
  /** the narrowest width worth wrapping into: below it, columns fold first */
  min?: number;
  /** when the table does not fit: move this column under its row, or into column N's cell as more lines */
  fold?: 'under' | number;
  /** folding order, lowest first (default: the column's index) */
  foldOrder?: number;
  /** how a cell reads once folded (e.g. `3` → `3 RCPT trips`) */
  folded?: (text: string) => string;
}

const toCell = (c: CellInput | undefined): Cell =>
  typeof c === 'string' ? { text: c } : (c ?? { text: '' });

interface Layout {
  /** columns still drawn, in order */
  shown: number[];
  /** folded column → its target column, or 'under' */
  folds: Map<number, number | 'under'>;
}

/** contentsOf: what column `i` shows in each row: its own cell, then the cells folded into it. */
function contentsOf(i: number, layout: Layout, columns: Column[], rows: Cell[][]): Cell[][] {
  const into = foldedInto(i, layout);
  return rows.map((r) => [
    r[i] ?? { text: '' },
    ...into.map((c) => foldedCell(r[c] ?? { text: '' }, columns[c]!)).filter((c) => c.text !== ''),
  ]);
}

/** foldedCell: a cell as it reads once its column folded (an empty cell stays empty). */
function foldedCell(c: Cell, col: Column): Cell {
  return col.folded && c.text !== '' ? { ...c, text: col.folded(c.text) } : c;
}

/** foldedInto: the columns folded into column `i`, in column order (so a cell reads as the wide table does). */
function foldedInto(i: number, layout: Layout): number[] {
  return [...layout.folds]
    .filter(([, t]) => t === i)
    .map(([c]) => c)
    .sort((a, b) => a - b);
}

function headOf(i: number, layout: Layout, columns: Column[]): string {
  const into = foldedInto(i, layout).map((c) => columns[c]!.head);
  return [columns[i]!.head ?? '', ...into.filter(Boolean)].filter(Boolean).join(' / ');
}

interface Measure {
  /** narrowest the column may be without cutting a word (or, for 'keep', a line) */
  least: number;
  /** what it would like: its widest line */
  most: number;
}

function measure(i: number, layout: Layout, columns: Column[], rows: Cell[][]): Measure {
  const col = columns[i]!;
  const cells = contentsOf(i, layout, columns, rows).flat();
  const head = headOf(i, layout, columns);
  let word = longestWord(head);
  let line = widestLine(head);
  for (const c of cells) {
    line = Math.max(line, widestLine(c.text));
    word = Math.max(
      word,
      col.fit === 'keep'
        ? widestLine(c.text)
        : c.sep
          ? longestUnit(c.text, c.sep)
          : longestWord(c.text),
    );
  }
  const least = Math.max(1, word, Math.min(col.min ?? 0, line));
  return { least, most: Math.max(least, line) };
}

const longestUnit = (text: string, sep: string): number =>
  Math.max(0, ...text.split('\n').flatMap((l) => l.split(sep).map((u) => widestLine(u))));

/** overhead: border and padding columns for `n` columns (│ x │ y │). */
const overhead = (n: number): number => 3 * n + 1;

/** plan: which columns fold, and the width of each column drawn. */
function plan(
  columns: Column[],
  rows: Cell[][],
  width: number,
): { layout: Layout; widths: number[] } {
  const layout: Layout = { shown: columns.map((_, i) => i), folds: new Map() };
  const foldable = columns
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => c.fold !== undefined)
    .sort((a, b) => (a.c.foldOrder ?? a.i) - (b.c.foldOrder ?? b.i));
  const sizes = (): Measure[] => layout.shown.map((i) => measure(i, layout, columns, rows));
  let m = sizes();
  const need = (): number => m.reduce((a, s) => a + s.least, 0) + overhead(layout.shown.length);
  for (const { c, i } of foldable) {
    if (need() <= width) break;
    layout.folds.set(i, c.fold!);
    layout.shown = layout.shown.filter((x) => x !== i);
    m = sizes();
  }
  const room = width - overhead(layout.shown.length);
  const widths = m.map((s) => s.least);
  let total = widths.reduce((a, b) => a + b, 0);
  // Last resort (nothing left to fold): narrow the widest columns; wrapLine then cuts their longest words.
  while (total > room && Math.max(...widths) > 1) {
    widths[widths.indexOf(Math.max(...widths))]!--;
    total--;
  }
  // Room to spare: columns grow toward their widest line, sharing the room evenly, so a short
  // cell (a query, a line sent) is not wrapped to give a long one (a reply) a few more columns.
  let spare = room - total;
  const lack = m.map((s, k) => s.most - widths[k]!);
  for (;;) {
    const wanting = lack.map((l, k) => (l > 0 ? k : -1)).filter((k) => k >= 0);
    if (spare <= 0 || wanting.length === 0) break;
    const share = Math.max(1, Math.floor(spare / wanting.length));
    for (const k of wanting.sort((a, b) => lack[a]! - lack[b]!)) {
      const give = Math.min(lack[k]!, share, spare);
      widths[k]! += give;
      lack[k]! -= give;
      spare -= give;
    }
  }
  return { layout, widths };
}

/** drawCell: a cell's text wrapped to `width`, each line painted. */
function drawCell(c: Cell, width: number): string[] {
  const hang = ' '.repeat(c.hang ?? 0);
  const wrap = (l: string): string[] =>
    c.sep ? wrapUnits(l, c.sep, width, hang) : wrapLine(l, width, hang);
  const lines =
    c.text === ''
      ? []
      : c.text
          .split('\n')
          .flatMap(wrap)
          .map((l) => l.replace(/\u00a0/g, ' '));
  return c.paint ? lines.map((l) => (l === '' ? l : c.paint!(l))) : lines;
}

/** underRow: the text of the folded-under columns of one row, indented, or '' when they are all empty. */
function underRow(row: Cell[], under: number[], columns: Column[], width: number): string {
  return under
    .map((c) => foldedCell(row[c]!, columns[c]!))
    .filter((c) => c.text !== '')
    .flatMap((c) =>
      drawCell({ ...c, hang: UNDER_INDENT.length + (c.hang ?? 0) }, width - UNDER_INDENT.length),
    )
    .map((l) => `${UNDER_INDENT}${l}`)
    .join('\n');
}

/**
 * fitTable: `rows` under `columns`, fitted to `style.width` (see the module
 * comment). No heading row when no column has a head.
 */
export function fitTable(style: TableStyle, columns: Column[], input: CellInput[][]): string {
  const width = Math.max(MIN_WIDTH, style.width ?? DEFAULT_WIDTH);
  const rows = input.map((r) => columns.map((_, i) => toCell(r[i])));
  const { layout, widths } = plan(columns, rows, width);
  const heads = layout.shown.map((i) => headOf(i, layout, columns));
  const t = new Table({
    ...(heads.some(Boolean)
      ? {
          head: heads.map((h, k) =>
            drawCell({ text: h, paint: style.paint.bold }, widths[k]!).join('\n'),
          ),
        }
      : {}),
    style: { head: [], border: style.color ? ['grey'] : [], compact: true },
    colWidths: widths.map((w) => w + 2),
    wordWrap: false,
  });
  // A line under a row spans every column: their widths, and the borders and padding between them.
  const underWidth = widths.reduce((a, w) => a + w + 3, -3);
  const under = [...layout.folds]
    .filter(([, target]) => target === 'under')
    .map(([c]) => c)
    .sort((a, b) => a - b);
  for (const row of rows) {
    t.push(
      layout.shown.map((i, k) =>
        contentsOf(i, layout, columns, [row])[0]!
          .flatMap((c) => drawCell(c, widths[k]!))
          .join('\n'),
      ),
    );
    const below = underRow(row, under, columns, underWidth);
    if (below !== '') t.push([{ content: below, colSpan: layout.shown.length }]);
  }
  return t.toString();
}

/**
 * findingTable: severity, finding, RFC and detail — how findings with an RFC are shown (the
 * walk's lint, its policy findings). The RFC joins the finding's cell before the detail gets too narrow to read.
 */
export function findingTable(
  style: TableStyle,
  rows: { severity: CellInput; id: string; ref: string; detail: string }[],
): string {
  return fitTable(
    style,
    [
      { head: 'severity', fit: 'keep' },
      { head: 'finding', fit: 'keep' },
      { head: 'RFC', fit: 'keep', fold: 1 },
      { head: 'detail', min: 36 },
    ],
    rows.map((r) => [r.severity, r.id, r.ref, r.detail]),
  );
}

/**
 * timingsCell: "connect 3.1 ms · greeting 2.0 ms · …" for the stages in `order` that ran, named
 * by `labels` where a key is no word ("ehloAfterTls"); a line breaks only between timings.
 */
export function timingsCell(
  timings: Partial<Record<string, number>>,
  order: readonly string[],
  labels: Partial<Record<string, string>> = {},
): Cell {
  const names: Partial<Record<string, string>> = { ehloAfterTls: 'ehlo after TLS', ...labels };
  const text = order
    .filter((k) => timings[k] !== undefined)
    .map((k) => `${names[k] ?? k} ${formatDuration(timings[k]!)}`)
    .join(' · ');
  return { text, sep: ' · ' };
}
