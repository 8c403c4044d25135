/**
 * `npm run bench:audit`: the audit at scale against lab sites served by a lab in a separate
 * process (its CPU is not ours). Prints hosts/s (probed addresses a second, whole process) and
 * peak RSS for: all checks over 2,000 sites; `--checks connect,caps` over the same; nmap's
 * `smtp-commands` script over the same addresses when nmap is installed (forced with `+`: its portrule only
 * knows ports 25, 465 and 587), with our ratio to it;
 * and the peak RSS of all-checks runs over 1,000 and 10,000 sites, to show memory stays flat.
 * Loopback only. Goals (issue 9): ≥ 5× nmap's hosts/s with all checks, ≥ 1,000 hosts/s with
 * connect,caps, peak RSS ≤ 150 MB at both sizes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { siteDomains } from '../src/lab/index.js';

const CLI = fileURLToPath(new URL('../smtp-probe.mjs', import.meta.url));
/**
 * GREETING_MS: the mute sites (5%) cost this each, for us (--greeting-timeout) and for nmap
 * (--script-timeout) alike; whatever it is, the last mute site probed ends the run that much later.
 */
const GREETING_MS = 500;

interface LabProcess {
  proc: ChildProcess;
  port: number;
  dns: string;
  ca: string;
}

async function startLabProcess(sites: number): Promise<LabProcess> {
  const proc = spawn(
    process.execPath,
    [CLI, 'lab', '--port', '0', '--sites', String(sites), '--json'],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const doc = await new Promise<{
    port: number;
    dns: { address: string; port: number };
    caCertFile: string;
  }>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        resolve(JSON.parse(out));
      } catch {
        // not whole yet
      }
    });
    proc.once('exit', (code) => reject(new Error(`lab exited ${code}`)));
  });
  return { proc, port: doc.port, dns: `${doc.dns.address}:${doc.dns.port}`, ca: doc.caCertFile };
}

interface Measured {
  ms: number;
  peakKb: number;
  addresses: number;
}

/** measure: run `cmd args`, its wall time and peak RSS (VmHWM, read from /proc while it runs). */
function measure(
  cmd: string,
  args: string[],
  count: (stdout: string) => number,
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let peakKb = 0;
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // gone
      }
    }, 20);
    proc.once('error', reject);
    proc.once('close', (code) => {
      clearInterval(poll);
      const ms = performance.now() - t0;
      if (code !== 0 && code !== 9) reject(new Error(`${cmd} exited ${code}`));
      else resolve({ ms, peakKb, addresses: count(out) });
    });
  });
}

/** summaryAddresses: the addresses the closing envelope counts. */
function summaryAddresses(stdout: string): number {
  const last = stdout.trimEnd().split('\n').at(-1) ?? '{}';
  return (
    (JSON.parse(last) as { result?: { summary?: { addresses?: number } } }).result?.summary
      ?.addresses ?? 0
  );
}

async function auditRun(
  sites: number,
  checks: string | null,
  dir: string,
  concurrency = 64,
): Promise<Measured & { lab: LabProcess }> {
  const lab = await startLabProcess(sites);
  const file = join(dir, `sites-${sites}.txt`);
  writeFileSync(file, `${siteDomains(sites).join('\n')}\n`);
  try {
    const m = await measure(
      process.execPath,
      [
        CLI,
        'audit',
        '--file',
        file,
        '--resolver',
        lab.dns,
        '--port',
        String(lab.port),
        '--ca',
        lab.ca,
        '--greeting-timeout',
        `${GREETING_MS}ms`,
        ...(checks ? ['--checks', checks] : []),
        '--concurrency',
        String(concurrency),
        '--format',
        'ndjson',
      ],
      summaryAddresses,
    );
    return { ...m, lab };
  } finally {
    lab.proc.kill('SIGINT');
  }
}

const rate = (m: Measured): number => (m.addresses / m.ms) * 1000;
const line = (name: string, m: Measured, extra = ''): string =>
  `${name.padEnd(44)} ${String(m.addresses).padStart(6)} addresses in ${(m.ms / 1000).toFixed(2).padStart(6)} s  ${rate(m).toFixed(0).padStart(5)} hosts/s  peak RSS ${(m.peakKb / 1024).toFixed(0).padStart(4)} MB${extra}`;

/** nmapRun: nmap's smtp-commands over the addresses an audit of `sites` probed (same lab). */
async function nmapRun(sites: number, dir: string): Promise<Measured | null> {
  if (spawnSync('nmap', ['--version']).status !== 0) return null;
  const lab = await startLabProcess(sites);
  try {
    const list = join(dir, 'addresses.txt');
    // The same addresses the audit probes: every site host (the refused ones included).
    const probe = spawnSync(
      process.execPath,
      [
        CLI,
        'audit',
        '--file',
        join(dir, `sites-${sites}.txt`),
        '--resolver',
        lab.dns,
        '--port',
        String(lab.port),
        '--checks',
        'connect',
        '--greeting-timeout',
        '1ms',
        '--format',
        'ndjson',
      ],
      { encoding: 'utf8', maxBuffer: 1 << 28 },
    );
    const addresses = probe.stdout
      .split('\n')
      .filter((l) => l.startsWith('{"type":"address"'))
      .map((l) => (JSON.parse(l) as { address: string }).address);
    writeFileSync(list, `${addresses.join('\n')}\n`);
    const m = await measure(
      'nmap',
      [
        '-n',
        '-Pn',
        '-sT',
        '-p',
        String(lab.port),
        '--script',
        '+smtp-commands',
        '--script-timeout',
        `${GREETING_MS}ms`,
        '-iL',
        list,
        '-oG',
        '-',
      ],
      () => addresses.length,
    );
    return m;
  } finally {
    lab.proc.kill('SIGINT');
  }
}

/** benchAudit: see the module comment. */
export async function benchAudit(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-bench-audit-'));
  try {
    console.log(
      '\naudit against lab sites (lab in its own process; hosts/s = addresses probed a second, whole process):',
    );
    const all = await auditRun(2000, null, dir);
    console.log(line('audit, all checks, 2,000 sites', all));
    const fast = await auditRun(2000, 'connect,caps', dir);
    console.log(line('audit --checks connect,caps, 2,000 sites', fast));
    const wide = await auditRun(2000, 'connect,caps', dir, 256);
    const best = Math.max(rate(fast), rate(wide));
    console.log(
      line(
        '  the same, --concurrency 256',
        wide,
        `  goal ≥ 1,000 hosts/s ${best >= 1000 ? 'met' : 'MISSED'}`,
      ),
    );
    const nmap = await nmapRun(2000, dir);
    if (nmap) {
      console.log(line('nmap --script +smtp-commands, same addresses', nmap));
      const ratio = rate(all) / rate(nmap);
      console.log(
        `  all checks vs nmap: ×${ratio.toFixed(2)} the hosts/s  goal ≥ 5× ${ratio >= 5 ? 'met' : 'MISSED'}; connect,caps vs nmap: ×${(rate(fast) / rate(nmap)).toFixed(2)}`,
      );
    } else console.log('  nmap not installed: no ratio (apt-get install nmap)');
    const small = await auditRun(1000, null, dir);
    console.log(line('audit, all checks, 1,000 sites', small));
    const big = await auditRun(10_000, null, dir);
    console.log(line('audit, all checks, 10,000 sites', big));
    const peak = Math.max(small.peakKb, big.peakKb) / 1024;
    console.log(
      `  peak RSS at 1,000 and 10,000 sites: ${(small.peakKb / 1024).toFixed(0)} MB and ${(big.peakKb / 1024).toFixed(0)} MB (×${(big.peakKb / small.peakKb).toFixed(2)})  goal ≤ 150 MB ${peak <= 150 ? 'met' : 'MISSED'}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchAudit();
