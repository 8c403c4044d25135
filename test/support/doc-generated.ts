/**
 * Generated blocks of the docs: tables written from the code's own data, so
 * they are exact. A block sits between `<!-- generated:NAME -->` and
 * `<!-- /generated:NAME -->`; the docs test fails when one differs from what
 * GENERATORS make now, and `npm run docs:update` rewrites it.
 */
import { ERROR_CODES, STAGES, STATUSES, exitCodeFor, type ErrorCode } from '../../src/index.js';

/** GENERATORS: each block's name and what it holds (Markdown, no trailing newline). */
export const GENERATORS: Record<string, () => string> = {
  /** error-codes: the catalogue of src/errors.ts with the exit code each gives (its status's, or its own). */
  'error-codes': () =>
    [
      '| code | status | exit | what now (the hint printed with it) |',
      '| --- | --- | --- | --- |',
      ...(Object.keys(ERROR_CODES) as ErrorCode[]).map((code) => {
        const { status, hint } = ERROR_CODES[code];
        return `| \`${code}\` | \`${status}\` | ${exitCodeFor(status, code)} | ${hint} |`;
      }),
    ].join('\n'),
  /** statuses: every status with its exit code and the error codes that give it. */
  statuses: () =>
    [
      '| status | exit | error codes |',
      '| --- | --- | --- |',
      ...STATUSES.map((status) => {
        const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter(
          (c) => ERROR_CODES[c].status === status,
        );
        // A code with an exit of its own (send's refusals) says so beside its name.
        const list =
          codes
            .map((c) => {
              const own = exitCodeFor(status, c);
              return own === exitCodeFor(status) ? `\`${c}\`` : `\`${c}\` (exit ${own})`;
            })
            .join(', ') || '—';
        return `| \`${status}\` | ${exitCodeFor(status)} | ${list} |`;
      }),
    ].join('\n'),
  /** stages: the stages an error can name, in conversation order. */
  stages: () => STAGES.map((s) => `\`${s}\``).join(' → '),
};

/** GeneratedBlock: one generated block of a file: its name, line range of its body [start, end), and body. */
export interface GeneratedBlock {
  name: string;
  start: number;
  end: number;
  body: string;
}

const BEGIN = /^<!--\s*generated:([\w-]+)\s*-->\s*$/;

/** generatedBlocks: the generated blocks of a Markdown text; throws on an unclosed or unknown one. */
export function generatedBlocks(text: string): GeneratedBlock[] {
  const lines = text.split('\n');
  const out: GeneratedBlock[] = [];
  lines.forEach((line, i) => {
    const name = BEGIN.exec(line)?.[1];
    if (!name) return;
    if (!GENERATORS[name]) throw new Error(`line ${i + 1}: no generator "${name}"`);
    const end = lines.findIndex((l, j) => j > i && l.trim() === `<!-- /generated:${name} -->`);
    if (end < 0) throw new Error(`line ${i + 1}: generated:${name} is not closed`);
    out.push({ name, start: i + 1, end, body: lines.slice(i + 1, end).join('\n') });
  });
  return out;
}

/** regenerate: the text with every generated block's body made anew. */
export function regenerate(text: string): string {
  const lines = text.split('\n');
  for (const b of generatedBlocks(text).reverse())
    lines.splice(b.start, b.end - b.start, ...GENERATORS[b.name]!().split('\n'));
  return lines.join('\n');
}
