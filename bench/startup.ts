/**
 * Start-up cost of the CLI, side by side with bare `node -e 0`: `--version`, `--help`, and a real
 * probe run that fails fast (`caps 127.0.0.1:1`, connection refused, exit 3; loopback only), as a
 * table and as JSON. Runs are interleaved, so machine noise hits every case alike, and the ratios
 * are to the baseline measured in the same run. The goals of issue 7 (caps ≤ 2×, --version ≤ 1.5×)
 * are printed beside the numbers, not asserted: a loaded machine must not fail a build.
 *
 * It times the installed entry (package.json "bin") and, when that is not the tsc output
 * (dist/commands/cli.js), the tsc output too, so the bundle is compared with what it replaces.
 * `node dist/bench/startup.js [--runs N]` or `npm run bench:startup`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, percentile } from './stats.js';

/** RUNS: samples per case; 20 keeps the p90 a real sample, not the single worst run. */
const RUNS = 20;
const ROOT = new URL('../../', import.meta.url);
const TSC_ENTRY = 'dist/commands/cli.js';
// Port 1 on loopback: nothing listens there, so the kernel refuses at once and the run is all start-up.
const REFUSED = '127.0.0.1:1';

/** Case: one command line to time, the exit code it must end with, and the ratio it should stay under. */
interface Case {
  name: string;
  args: string[];
  exit: number;
  goal?: number;
}

function binEntry(): string {
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
    bin: Record<string, string>;
  };
  return pkg.bin['smtp-probe']!;
}

function cliCases(entry: string, label: string): Case[] {
  const cli = fileURLToPath(new URL(entry, ROOT));
  return [
    { name: `${label} --version`, args: [cli, '--version'], exit: 0, goal: 1.5 },
    { name: `${label} --help`, args: [cli, '--help'], exit: 0 },
    { name: `${label} caps ${REFUSED}`, args: [cli, 'caps', REFUSED], exit: 3, goal: 2 },
    { name: `${label} caps ${REFUSED} --json`, args: [cli, 'caps', REFUSED, '--json'], exit: 3 },
  ];
}

/** startupCases: the baseline, then every case for the bin entry and (if different) the tsc output. */
export function startupCases(): Case[] {
  const bin = binEntry();
  const cases: Case[] = [{ name: 'node -e 0 (baseline)', args: ['-e', '0'], exit: 0 }];
  cases.push(...cliCases(bin, `smtp-probe [${bin}]`));
  if (bin !== TSC_ENTRY) cases.push(...cliCases(TSC_ENTRY, `smtp-probe [${TSC_ENTRY}]`));
  return cases;
}

function time(c: Case): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, c.args, {
    cwd: fileURLToPath(ROOT),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = performance.now() - t;
  if (r.status !== c.exit)
    throw new Error(`${c.name}: exit ${r.status ?? r.signal}, expected ${c.exit}\n${r.stderr}`);
  return ms;
}

function line(name: string, xs: number[], base: number, goal?: number): string {
  const med = median(xs);
  const ratio = med / base;
  const verdict = goal === undefined ? '' : `  goal ≤ ${goal}× ${ratio <= goal ? 'met' : 'MISSED'}`;
  const cols = [
    name.padEnd(58),
    `${med.toFixed(1).padStart(7)} ms`,
    `${percentile(xs, 90).toFixed(1).padStart(7)} ms`,
    `×${ratio.toFixed(2).padEnd(5)}`,
  ];
  return `  ${cols.join('  ')}${verdict}`;
}

/** benchStartup: times every case `runs` times, interleaved, and prints median, p90 and ratio to node. */
export function benchStartup(runs = RUNS): void {
  const rows = startupCases().map((c) => ({ ...c, samples: [] as number[] }));
  for (const r of rows) time(r); // warm the file cache; not counted
  for (let i = 0; i < runs; i++) for (const r of rows) r.samples.push(time(r));
  const base = median(rows[0]!.samples);
  console.log(`start-up, ${runs} interleaved runs each (ratio = median / median of node -e 0):`);
  console.log(`  ${'command'.padEnd(58)}  ${'median'.padStart(10)}  ${'p90'.padStart(10)}  ratio`);
  for (const r of rows) console.log(line(r.name, r.samples, base, r.goal));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  benchStartup(runs);
}
