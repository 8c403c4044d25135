/**
 * update-docs: `npm run docs:update` — rerun every lab example of README.md
 * and docs/ against a fresh lab and rewrite the output of each block that no
 * longer matches (the same check as the docs test), then regenerate the
 * generated tables. A block that still matches is left as it is, so a second
 * run changes nothing and a diff shows only what the code changed. An
 * excerpt stays an excerpt (the lines or JSON members it showed, as printed
 * now). Review the result with `git diff`: the prose around a block is yours.
 *
 *   node dist/test/support/update-docs.js [--all] [--check] [--parallel N] [FILE.md …]
 *
 * --all rewrites every block (fresh timings everywhere); --check writes
 * nothing and exits 1 if anything would change; --parallel runs N examples
 * at once (default 1: the timings written are those of a quiet machine, not
 * of examples competing for one event loop). Exit 1 also when a block still
 * does not match after its rewrite (fix that one by hand).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  REPO_ROOT,
  checkExample,
  docFiles,
  findExamples,
  runExample,
  startDocLab,
  type DocExample,
} from './doc-examples.js';
import { regenerate } from './doc-generated.js';
import { refreshExample, withRefreshed, type Refreshed } from './doc-refresh.js';

interface Change {
  example: DocExample;
  refreshed: Refreshed;
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function main(argv: string[]): Promise<number> {
  const all = argv.includes('--all');
  const check = argv.includes('--check');
  const p = argv.indexOf('--parallel');
  const parallel = p >= 0 ? Math.max(1, Number(argv[p + 1]) || 1) : 1;
  const files = argv.filter((a, i) => !a.startsWith('--') && argv[i - 1] !== '--parallel');
  const found = findExamples(files.length ? files : docFiles());
  for (const p of found.problems) console.error(`problem: ${p}`);
  const lab = await startDocLab();
  const changes: Change[] = [];
  let failed = found.problems.length > 0;
  try {
    await pool(found.examples, parallel, async (ex) => {
      const where = `${ex.file}:${ex.markerLine + 1}`;
      const run = await runExample(ex, lab);
      const problems = checkExample(ex, run);
      if (problems.length === 0 && !all) return;
      const refreshed = refreshExample(ex, run);
      const still = checkExample({ ...ex, output: refreshed.output, exit: refreshed.exit }, run);
      if (still.length) {
        failed = true;
        console.error(
          `${where}: still differs after the rewrite; fix by hand:\n  ${still.join('\n  ')}`,
        );
      }
      if (refreshed.output === ex.output && refreshed.exit === ex.exit) return;
      changes.push({ example: ex, refreshed });
      console.log(`${where}: ${ex.command}${problems.length ? `\n  was: ${problems[0]}` : ''}`);
      for (const n of refreshed.notes) console.log(`  note: ${n}`);
    });
  } finally {
    await lab.close();
  }
  const touched = new Set([
    ...changes.map((c) => c.example.file),
    ...(files.length ? files : docFiles()),
  ]);
  let written = 0;
  for (const file of touched) {
    const path = join(REPO_ROOT, file);
    const before = readFileSync(path, 'utf8');
    const mine = changes.filter((c) => c.example.file === file);
    const after = regenerate(withRefreshed(before, mine));
    if (after === before) continue;
    written++;
    if (!check) writeFileSync(path, after);
    console.log(`${check ? 'would rewrite' : 'rewrote'} ${file}`);
  }
  console.log(
    `${found.examples.length} examples, ${changes.length} refreshed, ${written} files ${check ? 'stale' : 'written'}`,
  );
  return failed || (check && written > 0) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
