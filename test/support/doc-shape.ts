/**
 * The shape of a documented output: what must agree between an example as
 * written in docs/ and a fresh run, and what may differ. Text is compared as
 * a sequence of tokens (table borders and widths, spacing and line wrapping
 * do not count); every word, status, code, address and reply code must be
 * there in the same order. Values that change from run to run are masked on
 * both sides first: durations, dates, hashes, made-up names, ports, the lab's
 * temp directory and how its blackhole was made. JSON is compared as data:
 * the same keys, and equal values except timings.
 */

/** Token: one word of an output and the line (0-based) it came from, for messages. */
export interface Token {
  text: string;
  line: number;
}

/** ELISION: a documented output line that stands for any number of output lines (an excerpt). */
export const ELISION = '...';

// Table borders, whatever their width; a bar of the failover timeline is one token, whatever its length.
const BORDERS = /[│┌┐└┘├┤┬┴┼─]/g;
const UNIT = /^(ms|µs|s)([^\w]*)$/;
const NUMBER = /^([([]?)\+?\d+(?:\.\d+)?$/;
const SELF_TIMED = /^([^\d+]*)\+?\d+(?:\.\d+)?(?:ms|µs|s|m|h|d)(?:\d+(?:ms|s|m|h))*([^\w]*)$/;

/** MASKS: run-to-run values inside one token, each replaced by a fixed stand-in. */
const MASKS: [RegExp, string][] = [
  [/█+/g, '█'],
  // The lab's CA lives in a fresh temp directory (mkdtemp) every run.
  [/\S*smtp-probe-lab-[A-Za-z0-9]+/g, '<labdir>'],
  // Made-up names: the control VRFY, the catch-all RCPT.
  [/smtp-probe-[0-9a-f]{8,}/g, 'smtp-probe-<id>'],
  // send's Message-ID: the send time in base 36, then random hex (smtp/message.ts).
  [/<[0-9a-z]+\.[0-9a-f]{12}@/g, '<message-id@'],
  [/\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{16,}\b/g, '<hex>'],
  [/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g, '<time>'],
  [/\d{4}-\d{2}-\d{2}/g, '<date>'],
  // Ports: the documented lab ports and any ephemeral one (the demo's lab takes free ports).
  [/\b(?:2525|2553|\d{5})\b/g, '<port>'],
  // Environment, not behaviour: nftables when root with nft, else a full accept queue.
  [/\b(?:nftables|full-accept-queue)\b/g, '<blackhole-method>'],
];

/** maskToken: one token with every run-to-run value masked. */
function maskToken(text: string): string {
  let t = text;
  for (const [re, by] of MASKS) t = t.replace(re, by);
  return t.replace(SELF_TIMED, '$1<dur>$2');
}

/**
 * tokens: the words of `text` with borders dropped and run-to-run values
 * masked; a number followed by a unit (`3.4 ms`) is one `<dur>` token, and so
 * is the count in `(29 days left)`.
 */
export function tokens(text: string): Token[] {
  const raw: Token[] = [];
  text.split('\n').forEach((line, i) => {
    for (const t of line.replace(BORDERS, ' ').split(/\s+/)) if (t) raw.push({ text: t, line: i });
  });
  const out: Token[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    const next = raw[i + 1]?.text ?? '';
    const num = NUMBER.exec(t.text);
    const unit = UNIT.exec(next);
    if (num && unit) {
      out.push({ text: `${num[1]}<dur>${unit[2]}`, line: t.line });
      i++;
    } else if (num && next === 'days' && raw[i + 2]?.text.startsWith('left')) {
      out.push({ text: `${num[1]}<n>`, line: t.line });
    } else {
      out.push({ text: maskToken(t.text), line: t.line });
    }
  }
  return out;
}

/** shapeOf: a string as its masked words joined by one space (JSON string values, messages). */
export function shapeOf(text: string): string {
  return tokens(text)
    .map((t) => t.text)
    .join(' ');
}

/** Chunk: a run of documented lines between elisions, with its first line's index in the output. */
interface Chunk {
  lines: string[];
  start: number;
}

/** Excerpt: a documented output cut at its `...` lines. */
export interface Excerpt {
  chunks: Chunk[];
  /** open: whether the output may go on before the first chunk / after the last one. */
  openStart: boolean;
  openEnd: boolean;
}

/** excerpt: `doc` split at its elision lines. */
export function excerpt(doc: string): Excerpt {
  const lines = doc.split('\n');
  const chunks: Chunk[] = [];
  let current: Chunk | null = null;
  lines.forEach((line, i) => {
    if (line.trim() === ELISION) {
      current = null;
      return;
    }
    if (!current) {
      current = { lines: [], start: i };
      chunks.push(current);
    }
    current.lines.push(line);
  });
  return {
    chunks,
    openStart: lines[0]?.trim() === ELISION,
    openEnd: lines[lines.length - 1]?.trim() === ELISION,
  };
}

const same = (a: Token[], b: Token[], at: number): number => {
  let n = 0;
  while (n < a.length && at + n < b.length && a[n]!.text === b[at + n]!.text) n++;
  return n;
};

/** Placement: where each chunk of an excerpt landed in the actual tokens ([from, to) token indices), or why not. */
export interface Placement {
  spans: ([number, number] | null)[];
  problems: string[];
}

function describeMismatch(
  chunk: Chunk,
  want: Token[],
  got: Token[],
  at: number,
  n: number,
): string {
  const w = want[n];
  const line = chunk.start + (w ? w.line : chunk.lines.length - 1) + 1;
  const context = got
    .slice(Math.max(0, at + n - 3), at + n + 4)
    .map((t) => t.text)
    .join(' ');
  if (!w)
    return `output line ${line}: the output goes on with "${got[at + n]?.text}" (… ${context} …)`;
  const found = got[at + n]?.text;
  return found === undefined
    ? `output line ${line}: "${w.text}" is documented, but the output ends before it`
    : `output line ${line}: "${w.text}" is documented, the output has "${found}" (… ${context} …)`;
}

/**
 * place: find every chunk of the documented output in the actual output, in
 * order. Without elisions the two must match token for token; a chunk after
 * `...` may start anywhere later, a chunk before one may end anywhere.
 */
export function place(doc: string, actual: string): Placement {
  const ex = excerpt(doc);
  const got = tokens(actual);
  const spans: ([number, number] | null)[] = [];
  const problems: string[] = [];
  let pos = 0;
  if (ex.chunks.length === 0 && !ex.openStart && got.length > 0)
    problems.push(`nothing is documented, the output has "${got[0]!.text}" …`);
  ex.chunks.forEach((chunk, i) => {
    const want = tokens(chunk.lines.join('\n'));
    const last = i === ex.chunks.length - 1;
    const anchored = i === 0 && !ex.openStart;
    const mustEnd = last && !ex.openEnd;
    const fits = (at: number): boolean =>
      at >= pos &&
      same(want, got, at) === want.length &&
      (!mustEnd || at + want.length === got.length);
    let at = -1;
    if (anchored) at = fits(pos) ? pos : -1;
    else if (mustEnd) at = fits(got.length - want.length) ? got.length - want.length : -1;
    else for (let k = pos; k + want.length <= got.length && at < 0; k++) if (fits(k)) at = k;
    if (at >= 0) {
      spans.push([at, at + want.length]);
      pos = at + want.length;
      return;
    }
    spans.push(null);
    // Report against the start that matched the most tokens: the likeliest intended place.
    let best = pos;
    if (!anchored)
      for (let k = pos; k < got.length; k++)
        if (same(want, got, k) > same(want, got, best)) best = k;
    problems.push(describeMismatch(chunk, want, got, best, same(want, got, best)));
  });
  return { spans, problems };
}

/** compareText: problems (empty when none) between a documented output and an actual one. */
export function compareText(doc: string, actual: string): string[] {
  return place(doc, actual).problems;
}

/** VOLATILE_KEY: JSON members whose values are timings or clock readings: only their type must match. */
function volatileKey(key: string, parent: string): boolean {
  return key === 'ms' || /Ms$/.test(key) || /At$/.test(key) || parent === 'timings';
}

const kind = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);

/** equalShape: doc and actual agree (excerpt: the documented keys and elements are there). */
function compareJsonAt(
  doc: unknown,
  act: unknown,
  path: string,
  key: string,
  parent: string,
  partial: boolean,
  out: string[],
): void {
  if (kind(doc) !== kind(act)) {
    out.push(`${path}: documented ${kind(doc)} ${JSON.stringify(doc)}, output has ${kind(act)}`);
  } else if (Array.isArray(doc)) {
    compareArray(doc, act as unknown[], path, key, partial, out);
  } else if (doc !== null && typeof doc === 'object') {
    const a = act as Record<string, unknown>;
    const d = doc as Record<string, unknown>;
    for (const k of Object.keys(d)) {
      if (!(k in a)) out.push(`${path}.${k}: documented, missing from the output`);
      else compareJsonAt(d[k], a[k], `${path}.${k}`, k, key, partial, out);
    }
    if (!partial)
      for (const k of Object.keys(a))
        if (!(k in d)) out.push(`${path}.${k}: in the output, not documented`);
  } else if (volatileKey(key, parent)) {
    // a timing: the type is checked above, the value may differ
  } else if (typeof doc === 'string' ? shapeOf(doc) !== shapeOf(act as string) : doc !== act) {
    out.push(`${path}: documented ${JSON.stringify(doc)}, output has ${JSON.stringify(act)}`);
  }
}

function compareArray(
  doc: unknown[],
  act: unknown[],
  path: string,
  key: string,
  partial: boolean,
  out: string[],
): void {
  if (!partial) {
    if (doc.length !== act.length)
      out.push(`${path}: documented ${doc.length} elements, output has ${act.length}`);
    doc.forEach((d, i) => {
      if (i < act.length) compareJsonAt(d, act[i], `${path}[${i}]`, key, key, false, out);
    });
    return;
  }
  // An excerpt shows some elements, in order: each must match a later element than the one before.
  let from = 0;
  doc.forEach((d, i) => {
    const problems = act.map((a, j) => (j < from ? null : jsonProblems(d, a, true)));
    const at = problems.findIndex((p) => p?.length === 0);
    if (at >= 0) {
      from = at + 1;
      return;
    }
    // Name the difference from the likeliest element: the one with the fewest.
    const near = problems
      .filter((p): p is string[] => p !== null)
      .sort((a, b) => a.length - b.length)[0];
    out.push(
      `${path}[${i}]: no matching element in the output${near ? ` (nearest: ${near[0]})` : ''}`,
    );
  });
}

/** jsonProblems: how `act` differs from the documented `doc`; `partial`: doc is an excerpt (a subset, in order). */
export function jsonProblems(doc: unknown, act: unknown, partial: boolean): string[] {
  const out: string[] = [];
  compareJsonAt(doc, act, '$', '', '', partial, out);
  return out;
}

/**
 * projectJson: `act` cut down to the members and elements `doc` shows (for
 * refreshing an excerpt); `dropped` collects documented paths the output no
 * longer has.
 */
export function projectJson(
  doc: unknown,
  act: unknown,
  path = '$',
  dropped: string[] = [],
): unknown {
  if (Array.isArray(doc) && Array.isArray(act)) {
    let from = 0;
    return doc.flatMap((d, i) => {
      // The closest later element: the fewest differences from the documented one.
      let best = -1;
      let fewest = Number.POSITIVE_INFINITY;
      for (let j = from; j < act.length; j++) {
        const n = jsonProblems(d, act[j], true).length;
        if (n < fewest) [best, fewest] = [j, n];
      }
      if (best < 0) {
        dropped.push(`${path}[${i}]`);
        return [];
      }
      from = best + 1;
      return [projectJson(d, act[best], `${path}[${i}]`, dropped)];
    });
  }
  if (doc && act && typeof doc === 'object' && typeof act === 'object' && !Array.isArray(act)) {
    const a = act as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(doc)) {
      if (k in a)
        out[k] = projectJson((doc as Record<string, unknown>)[k], a[k], `${path}.${k}`, dropped);
      else dropped.push(`${path}.${k}`);
    }
    return out;
  }
  return act;
}
