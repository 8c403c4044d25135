/**
 * Start-up cost of the CLI: `smtp-probe --version` and `--help` against bare
 * `node -e 0`, interleaved so machine noise hits all three alike.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, row } from './stats.js';

const CLI = fileURLToPath(new URL('../commands/cli.js', import.meta.url));

function time(args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return performance.now() - t;
}

/** benchStartup: prints one line per case, ratios to bare node. */
export function benchStartup(runs = 20): void {
  const cases = {
    'node -e 0 (baseline)': ['-e', '0'],
    'smtp-probe --version': [CLI, '--version'],
    'smtp-probe --help': [CLI, '--help'],
  };
  const samples: Record<string, number[]> = Object.fromEntries(
    Object.keys(cases).map((k) => [k, []]),
  );
  for (const args of Object.values(cases)) time(args); // warm the file cache
  for (let i = 0; i < runs; i++)
    for (const [name, args] of Object.entries(cases)) samples[name]!.push(time(args));
  const base = median(samples['node -e 0 (baseline)']!);
  console.log('start-up (ratio to bare node):');
  for (const [name, xs] of Object.entries(samples)) console.log(`  ${row(name, xs, base)}`);
}
