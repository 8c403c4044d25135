/**
 * Refreshing a lab example of the docs after its command's output changed
 * (for update-docs.ts): the block gets the new output, and an excerpt stays
 * an excerpt — each run of lines between `...` becomes the lines it stands for
 * now, and a JSON excerpt keeps the members and elements it showed.
 */
import { ELISION, excerpt, place, projectJson, tokens } from './doc-shape.js';
import { isJson, parseJson, type DocExample, type ExampleRun } from './doc-examples.js';

/** similarity: how alike two lines are, by shared masked words (0 to 1; 0 for a line without words). */
function similarity(a: string, b: string): number {
  const ta = tokens(a).map((t) => t.text);
  const pool = tokens(b).map((t) => t.text);
  if (ta.length === 0 || pool.length === 0) return 0;
  const size = Math.max(ta.length, pool.length);
  let common = 0;
  for (const t of ta) {
    const k = pool.indexOf(t);
    if (k >= 0) {
      common++;
      pool.splice(k, 1);
    }
  }
  return common / size;
}

/** mostLike: the line of `lines[from..]` most like `line`, the nearest to `expected` among equals. */
function mostLike(line: string, lines: string[], from: number, expected: number): number {
  let best = from;
  let score = Number.NEGATIVE_INFINITY;
  for (let i = from; i < lines.length; i++) {
    const s = similarity(line, lines[i]!) - Math.abs(i - expected) / 1e6;
    if (s > score) [best, score] = [i, s];
  }
  return best;
}

const hasWords = (line: string): boolean => tokens(line).length > 0;

/**
 * locate: the actual lines [first, last] a chunk that no longer matches
 * stands for now: anchored on its first and last lines that have words
 * (border and blank lines around them are counted, not compared).
 */
function locate(
  chunk: string[],
  lines: string[],
  from: number,
  anchoredStart: boolean,
  anchoredEnd: boolean,
): [number, number] {
  const a = chunk.findIndex(hasWords);
  const b = chunk.length - 1 - [...chunk].reverse().findIndex(hasWords);
  if (a < 0) return [from, Math.min(lines.length - 1, from + chunk.length - 1)];
  const first = anchoredStart ? 0 : Math.max(from, mostLike(chunk[a]!, lines, from, from + a) - a);
  const last = anchoredEnd
    ? lines.length - 1
    : Math.min(
        lines.length - 1,
        mostLike(chunk[b]!, lines, first + a, first + b) + (chunk.length - 1 - b),
      );
  return [first, Math.max(first, last)];
}

/** around: the lines of a matched chunk: from its first to its last word, plus the wordless lines (borders) it has before and after. */
function around(chunk: string[], first: number, last: number, total: number): [number, number] {
  const a = chunk.findIndex(hasWords);
  const after = [...chunk].reverse().findIndex(hasWords);
  return [Math.max(0, first - Math.max(0, a)), Math.min(total - 1, last + Math.max(0, after))];
}

/**
 * refreshText: the new output of a text example: the whole run, or for an
 * excerpt the lines each chunk stands for now — where it still matches, the
 * lines it matched; elsewhere the lines found by locate().
 */
function refreshText(doc: string, actual: string): string {
  const ex = excerpt(doc);
  if (!ex.openStart && !ex.openEnd && ex.chunks.length <= 1) return actual;
  const lines = actual.split('\n');
  const tok = tokens(actual);
  const { spans } = place(doc, actual);
  const out: string[] = ex.openStart ? [ELISION] : [];
  let from = 0;
  ex.chunks.forEach((chunk, i) => {
    const span = spans[i];
    const [first, last] =
      span && span[1] > span[0]
        ? around(chunk.lines, tok[span[0]]!.line, tok[span[1] - 1]!.line, lines.length)
        : locate(
            chunk.lines,
            lines,
            from,
            i === 0 && !ex.openStart,
            i === ex.chunks.length - 1 && !ex.openEnd,
          );
    if (i > 0) out.push(ELISION);
    out.push(...lines.slice(first, last + 1));
    from = last + 1;
  });
  if (ex.openEnd) out.push(ELISION);
  return out.join('\n');
}

/** Refreshed: an example's new output and exit code, with notes for whoever runs the updater. */
export interface Refreshed {
  output: string;
  exit: number;
  notes: string[];
}

/** refreshExample: what the block of `ex` should say after `run`. */
export function refreshExample(ex: DocExample, run: ExampleRun): Refreshed {
  const notes: string[] = [];
  if (run.code !== ex.exit)
    notes.push(`exit code changed: ${ex.exit} → ${run.code}; check the prose`);
  if (!isJson(ex) || !ex.excerpt) {
    return {
      output: isJson(ex) ? run.output : refreshText(ex.output, run.output),
      exit: run.code,
      notes,
    };
  }
  const problems: string[] = [];
  const doc = parseJson(ex.output, 'the documented output', problems);
  const act = parseJson(run.output, 'the output', problems);
  if (doc === undefined || act === undefined)
    return { output: run.output, exit: run.code, notes: [...notes, ...problems] };
  const dropped: string[] = [];
  const output = JSON.stringify(projectJson(doc, act, '$', dropped), null, 2);
  if (dropped.length) notes.push(`no longer in the output, dropped: ${dropped.join(', ')}`);
  return { output, exit: run.code, notes };
}

/** withRefreshed: the lines of a file with the blocks of `changes` replaced (the examples must come from this file). */
export function withRefreshed(
  text: string,
  changes: { example: DocExample; refreshed: Refreshed }[],
): string {
  const lines = text.split('\n');
  const ordered = [...changes].sort((a, b) => b.example.outputStart - a.example.outputStart);
  for (const { example: ex, refreshed } of ordered) {
    lines.splice(ex.outputStart, ex.outputEnd - ex.outputStart, ...refreshed.output.split('\n'));
    lines[ex.markerLine] = lines[ex.markerLine]!.replace(/exit=\d+/, `exit=${refreshed.exit}`);
  }
  return lines.join('\n');
}
