/**
 * The bundle (dist/smtp-probe.mjs, which package.json "bin" installs) against the tsc output
 * (dist/commands/cli.js, which the other tests run): the same stdout, stderr and exit code for
 * help, usage errors in two languages, --version, a schema, and caps refused and over STARTTLS
 * to a lab the bundle started (so its selfsigned chunk works). And what the bundle keeps out of
 * a caps run: the lab, selfsigned, dns-packet and all of zod that zod/mini's flag parsing does
 * not use (issue 7, item 9).
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLogFlags } from '../support/load-log.js';

const DIST = new URL('../../', import.meta.url);
const BUNDLE = fileURLToPath(new URL('smtp-probe.mjs', DIST));
const TSC = fileURLToPath(new URL('commands/cli.js', DIST));
// Port 1 on loopback: nothing listens, the kernel refuses at once.
const REFUSED = '127.0.0.1:1';
const RUN_MS = 10_000;

interface Run {
  code: number | string;
  stdout: string;
  stderr: string;
}

/** env: a small fixed environment (no colour, a chosen language), so both entries see the same. */
function env(lang = 'en_US.UTF-8'): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, LANG: lang, NO_COLOR: '1', SMTP_PROBE_LOAD_LOG: undefined };
}

function run(nodeArgs: string[], e: NodeJS.ProcessEnv = env()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, nodeArgs, { env: e, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => proc.kill('SIGKILL'), RUN_MS);
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, stdout, stderr });
    });
  });
}

/** both: the same arguments through the bundle and the tsc output, side by side. */
async function both(args: string[], e?: NodeJS.ProcessEnv): Promise<[Run, Run]> {
  return Promise.all([run([BUNDLE, ...args], e), run([TSC, ...args], e)]);
}

// Timings differ from run to run: "in 4.3 ms", "(5.1 ms)"; in JSON `timings`, `ms` and keys ending in Ms or At.
// Table cells are padded to the widest and columns are as wide as their content, so runs of
// spaces and of border lines go too.
function untimed(text: string): string {
  return text
    .replace(/\d+(\.\d+)? ?ms\b/g, 'N ms')
    .replace(/ +/g, ' ')
    .replace(/─+/g, '─');
}
function untimedJson(text: string): unknown {
  return JSON.parse(text, (key, value) => (/^(ms|timings)$|Ms$|At$/.test(key) ? 'N' : value));
}

describe('the bundle answers like the tsc build', () => {
  const same: [string, string[], string?][] = [
    ['--version', ['--version']],
    ['-V', ['-V']],
    ['--help', ['--help']],
    ['caps --help', ['caps', '--help']],
    ['lab --help', ['lab', '--help']],
    ['schema caps', ['schema', 'caps']],
    ['schema verify --format ndjson', ['schema', 'verify', '--format', 'ndjson']],
    ['no command', []],
    ['caps without a target', ['caps']],
    ['caps without a target, in German', ['caps'], 'de_DE.UTF-8'],
    ['an unknown command', ['cap', REFUSED]],
    ['a bad duration', ['caps', REFUSED, '--timeout', '5x']],
  ];
  for (const [name, args, lang] of same) {
    test(`${name}: same stdout, stderr and exit code`, async () => {
      const [bundled, built] = await both(args, env(lang));
      assert.deepEqual(bundled, built);
    });
  }

  test('yargs speaks the user language from the bundle too (its locales are copied beside it)', async () => {
    const r = await run([BUNDLE, 'caps', REFUSED, '--nope'], env('de_DE.UTF-8'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Unbekanntes Argument/);
  });

  test('caps refused: exit 3, the same table and the same JSON but for timings', async () => {
    const [bundled, built] = await both(['caps', REFUSED]);
    assert.equal(bundled.code, 3);
    assert.deepEqual(
      [bundled.code, untimed(bundled.stdout), bundled.stderr],
      [built.code, untimed(built.stdout), built.stderr],
    );
    const [bj, tj] = await both(['caps', REFUSED, '--json']);
    assert.equal(bj.code, 3);
    assert.deepEqual(untimedJson(bj.stdout), untimedJson(tj.stdout));
  });
});

interface LabDoc {
  hosts: { personality: string; address: string; port: number }[];
  caCertFile: string;
}

/** startLab: `lab --port 0 --json` from the bundle; resolves once its host list is out. */
function startLab(
  hosts: string[],
): Promise<{ proc: ChildProcess; exited: Promise<unknown>; doc: LabDoc }> {
  const args = [BUNDLE, 'lab', '--port', '0', '--json', ...hosts.flatMap((h) => ['--host', h])];
  const proc = spawn(process.execPath, args, { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => proc.on('close', (code, sig) => resolve(code ?? sig)));
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab not up: ${out}`)), RUN_MS);
    proc.on('close', () => reject(new Error(`lab exited: ${out}`)));
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      try {
        const doc = JSON.parse(out) as LabDoc;
        clearTimeout(timer);
        resolve({ proc, exited, doc });
      } catch {
        // not all of the JSON yet
      }
    });
  });
}

describe('a lab started by the bundle (selfsigned from its own chunk)', () => {
  let lab: Awaited<ReturnType<typeof startLab>>;
  before(async () => {
    lab = await startLab(['esmtp']);
  });
  after(() => {
    if (lab.proc.exitCode === null) lab.proc.kill('SIGKILL');
  });

  test('caps over STARTTLS trusting the lab CA: the same result from both entries', async () => {
    const esmtp = lab.doc.hosts.find((h) => h.personality === 'esmtp')!;
    const target = `${esmtp.address}:${esmtp.port}`;
    const args = ['caps', target, '--ca', lab.doc.caCertFile, '--tls-verify', '--json'];
    const [bundled, built] = await both(args);
    assert.equal(bundled.code, 0, bundled.stderr);
    const doc = untimedJson(bundled.stdout) as { result: { tls: unknown } };
    assert.ok(doc.result.tls, 'the session was upgraded');
    assert.deepEqual(doc, untimedJson(built.stdout));
  });

  test('the lab exits 0 on SIGINT', async () => {
    lab.proc.kill('SIGINT');
    assert.equal(await lab.exited, 0);
  });
});

describe('what the bundle loads', () => {
  const meta = JSON.parse(readFileSync(new URL('smtp-probe.meta.json', DIST), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const dir = mkdtempSync(join(tmpdir(), 'smtp-probe-load-log-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * sources: every source file (repo-relative, as esbuild names them) in the chunks a run loaded,
   * and how many bytes of those chunks each took.
   */
  async function sources(
    args: string[],
    name: string,
  ): Promise<{ files: string[]; inputs: string[]; bytes: Map<string, number> }> {
    const log = join(dir, name);
    const r = await run([...loadLogFlags(), BUNDLE, ...args], {
      ...env(),
      SMTP_PROBE_LOAD_LOG: log,
    });
    assert.notEqual(r.code, 1, r.stderr);
    const files = readFileSync(log, 'utf8')
      .split('\n')
      .filter((u) => u.startsWith(DIST.href))
      .map((u) => fileURLToPath(u).slice(fileURLToPath(DIST).length - 'dist/'.length));
    const bytes = new Map<string, number>();
    for (const f of files)
      for (const [i, o] of Object.entries(meta.outputs[f]?.inputs ?? {}))
        bytes.set(i, (bytes.get(i) ?? 0) + o.bytesInOutput);
    return { files, inputs: [...bytes.keys()], bytes };
  }

  test('--version reads one file and no dependency', async () => {
    const { files } = await sources(['--version'], 'version');
    assert.deepEqual(files, ['dist/smtp-probe.mjs']);
  });

  // zod/mini reads the flags (a few ms); the full zod (its classic API, its translations) is only
  // for `schema`.
  const HEAVY =
    /^src\/lab\/|^src\/schema\/|node_modules\/(selfsigned|@peculiar|pkijs|dns-packet)\/|node_modules\/zod\/(index|v4\/classic|v4\/locales)/;
  // zod/mini's parsing takes ~26 KB of zod. When the full zod shared zod's core chunk with it, a
  // caps run compiled ~290 KB of zod (~27 ms) while loading no file HEAVY names: a bound on the
  // bytes catches that, and leaves zod room to grow a little.
  const ZOD_BYTES = 64 * 1024;

  test('caps refused loads neither the lab, selfsigned, dns-packet nor the full zod', async () => {
    const { files, inputs, bytes } = await sources(['caps', REFUSED], 'caps');
    assert.ok(files.length > 1, 'the run loaded chunks');
    assert.ok(
      inputs.some((i) => i.startsWith('src/probes/')),
      'the caps probe is among them',
    );
    assert.deepEqual(
      inputs.filter((i) => HEAVY.test(i)),
      [],
    );
    const zod = [...bytes].filter(([i]) => i.startsWith('node_modules/zod/'));
    assert.ok(zod.length > 0, 'zod/mini reads the flags');
    const total = zod.reduce((n, [, b]) => n + b, 0);
    assert.ok(total <= ZOD_BYTES, `${total} bytes of zod on the caps path: ${JSON.stringify(zod)}`);
  });

  test('caps refused --json loads no table renderer either', async () => {
    const { inputs } = await sources(['caps', REFUSED, '--json'], 'caps-json');
    assert.deepEqual(
      inputs.filter((i) => HEAVY.test(i) || /cli-table3|src\/output\/caps-table/.test(i)),
      [],
    );
  });
});
