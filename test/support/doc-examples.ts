/**
 * The lab examples of README.md and docs/: finding them, running them against
 * the built-in lab and checking them. One module for the test that keeps the
 * docs true (test/behaviour/docs-examples.ts) and the updater that rewrites
 * them (update-docs.ts, `npm run docs:update`, with doc-refresh.ts).
 *
 * The convention: an HTML comment marks a fenced console block as a lab
 * example; the block's first line is the command, the rest is its output as
 * printed (NO_COLOR, a 120-column terminal).
 *
 *     <!-- lab-example exit=0 -->
 *     ```console
 *     $ smtp-probe caps 127.0.0.10:2525 --no-census
 *     caps 127.0.0.10:2525 — ok in 32 ms
 *     ...
 *     ```
 *
 * - `exit=N` is the exit code (required); `excerpt` lets a JSON output show
 *   only some members and elements; a line `...` in a text output stands for
 *   any number of lines.
 * - The command is written for `smtp-probe lab` at its defaults: SMTP on 2525,
 *   DNS on 127.0.0.1:2553, HTTPS (MTA-STS policies, DoH) on 127.0.0.49:2443,
 *   the CA file it prints (`/tmp/smtp-probe-lab-XXXXXX/lab-ca.pem`).
 *   The runner rewrites those to the lab it started on free ports, and its
 *   output back, so the docs show the numbers a reader will see.
 * - Output is stdout then stderr; `>/dev/null` or `2>/dev/null` at the end of
 *   the command shows only the other one. `smtp-probe lab` runs until its
 *   output is complete, then gets Ctrl-C; its block shows what it printed before.
 * - A console block whose command talks to the lab but carries no marker is
 *   an error; mark a deliberate exception `<!-- not-a-lab-example: why -->`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startLab, type Lab } from '../../src/lab/index.js';
import { runCli, spawnCli } from './cli-run.js';
import { compareText, jsonProblems } from './doc-shape.js';

/** REPO_ROOT: the repository (this file runs from dist/test/support/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** RUN_TIMEOUT_MS: an example that runs longer is stopped (as by Ctrl-C) and fails. */
export const RUN_TIMEOUT_MS = 20_000;

/** DOC_PORTS: the lab's default ports, as the docs write them. */
export const DOC_PORTS = { smtp: 2525, dns: 2553, https: 2443 } as const;

/** DOC_LAB_DIR: the lab's temp directory, as the docs write it. */
export const DOC_LAB_DIR = '/tmp/smtp-probe-lab-XXXXXX';

const MARKER = /^<!--\s*lab-example\b(.*?)-->\s*$/;
const OPT_OUT = /^<!--\s*not-a-lab-example\b.*-->\s*$/;
const FENCE = /^```/;
const LAB_TALK = /\b(?:2525|2553|2443)\b|\.test\b|^smtp-probe (?:lab|demo)\b/;

/** Show: which streams a block shows. */
export type Show = 'stdout' | 'stderr' | 'both';

/** DocExample: one marked block, where it is, and what it says. */
export interface DocExample {
  /** file: relative to the repository (`docs/commands/caps.md`). */
  file: string;
  /** markerLine: 0-based index of the marker line in the file. */
  markerLine: number;
  exit: number;
  /** excerpt: a JSON output shows only some of the members and elements. */
  excerpt: boolean;
  /** command: the `$ ` line without the prompt (`smtp-probe caps …`). */
  command: string;
  args: string[];
  show: Show;
  /** output: the documented output (the block after the command line). */
  output: string;
  /** outputStart, outputEnd: 0-based line range [start, end) of the output in the file. */
  outputStart: number;
  outputEnd: number;
}

/** Found: every example of the docs, and every malformed or unmarked block (as messages). */
export interface Found {
  examples: DocExample[];
  problems: string[];
}

/** docFiles: README.md and every Markdown file under docs/, relative to `root`, sorted. */
export function docFiles(root = REPO_ROOT): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(`${dir}/${e.name}`)
        : e.name.endsWith('.md')
          ? [`${dir}/${e.name}`]
          : [],
    );
  let docs: string[] = [];
  try {
    docs = walk('docs');
  } catch {
    // no docs/ yet
  }
  return ['README.md', ...docs.sort()];
}

/** parseCommand: a documented command line as argv (after `smtp-probe`) and the streams it shows. */
export function parseCommand(line: string): { args: string[]; show: Show } {
  const words: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) words.push(m[1] ?? m[2] ?? m[3]!);
  if (words.shift() !== 'smtp-probe') throw new Error(`"${line}" does not start with smtp-probe`);
  let show: Show = 'both';
  const args: string[] = [];
  for (const w of words) {
    if (w === '>/dev/null' || w === '1>/dev/null') show = 'stderr';
    else if (w === '2>/dev/null') show = 'stdout';
    else if (w === '2>&1') show = 'both';
    else if (/^[|;&<>]|^\d?>/.test(w)) throw new Error(`"${w}": the runner takes no shell syntax`);
    else args.push(w);
  }
  return { args, show };
}

function parseMarker(attrs: string): { exit: number; excerpt: boolean } {
  let exit: number | undefined;
  let partial = false;
  for (const a of attrs.trim().split(/\s+/).filter(Boolean)) {
    const m = /^exit=(\d+)$/.exec(a);
    if (m) exit = Number(m[1]);
    else if (a === 'excerpt') partial = true;
    else throw new Error(`unknown marker attribute "${a}"`);
  }
  if (exit === undefined) throw new Error('the marker has no exit=N');
  return { exit, excerpt: partial };
}

/** blockAt: the console block whose fence is line `i`: its command line and output range, or why not. */
function blockAt(lines: string[], i: number): { command: string; start: number; end: number } {
  if (lines[i]?.trim() !== '```console')
    throw new Error('the marker is not followed by ```console');
  const first = lines[i + 1] ?? '';
  if (!first.startsWith('$ smtp-probe '))
    throw new Error('the block does not start with "$ smtp-probe"');
  let end = i + 2;
  while (end < lines.length && !FENCE.test(lines[end]!)) end++;
  if (end >= lines.length) throw new Error('the block is not closed');
  return { command: first.slice(2).trim(), start: i + 2, end };
}

/** findExamples: every marked example in `files` (default: docFiles()), and what is wrong around them. */
export function findExamples(files = docFiles(), root = REPO_ROOT): Found {
  const examples: DocExample[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const lines = readFileSync(join(root, file), 'utf8').split('\n');
    const marked = new Set<number>();
    lines.forEach((line, i) => {
      const m = MARKER.exec(line);
      if (OPT_OUT.test(line)) marked.add(i + 1);
      if (!m) return;
      marked.add(i + 1);
      try {
        const { exit, excerpt: partial } = parseMarker(m[1]!);
        const block = blockAt(lines, i + 1);
        const { args, show } = parseCommand(block.command);
        examples.push({
          file,
          markerLine: i,
          exit,
          excerpt: partial,
          command: block.command,
          args,
          show,
          output: lines.slice(block.start, block.end).join('\n'),
          outputStart: block.start,
          outputEnd: block.end,
        });
      } catch (err) {
        problems.push(`${file}:${i + 1}: ${(err as Error).message}`);
      }
    });
    lines.forEach((line, i) => {
      const next = lines[i + 1] ?? '';
      if (FENCE.test(line) && next.startsWith('$ smtp-probe ') && !marked.has(i)) {
        if (LAB_TALK.test(next.slice(2)))
          problems.push(
            `${file}:${i + 2}: "${next}" talks to the lab but is not marked <!-- lab-example exit=N -->`,
          );
      }
    });
  }
  return { examples, problems };
}

/** isJson: whether the example prints JSON (compared as data, not text). */
export function isJson(ex: Pick<DocExample, 'args'>): boolean {
  const a = ex.args;
  return a.includes('--json') || a.join(' ').includes('--format json') || a[0] === 'schema';
}

/** LabPorts: where the lab of a run listens, to rewrite the documented defaults to. */
export interface LabPorts {
  smtp: number;
  dns: number;
  https: number;
  caFile: string;
}

/** labPorts: the LabPorts of a running lab. */
export function labPorts(lab: Lab): LabPorts {
  return { smtp: lab.port, dns: lab.dns.port, https: lab.https.port, caFile: lab.caCertFile };
}

/** localArgs: the documented args with the lab's default ports and CA file replaced by the running lab's. */
export function localArgs(args: string[], ports: LabPorts): string[] {
  return args.map((a) =>
    a
      .replace(/^(.*[:\]])?2525$/, (_m, host: string | undefined) => `${host ?? ''}${ports.smtp}`)
      .replace(/^127\.0\.0\.1:2553$/, `127.0.0.1:${ports.dns}`)
      // `--mta-sts-port 2443`, `127.0.0.49:2443`, the DoH URL `https://127.0.0.49:2443/dns-query`.
      .replace(
        /^(.*[:\]])?2443(\/.*)?$/,
        (_m, host: string | undefined, path: string | undefined) =>
          `${host ?? ''}${ports.https}${path ?? ''}`,
      )
      .replace(/^\S*smtp-probe-lab-[A-Za-z0-9]+\/lab-ca\.pem$/, ports.caFile),
  );
}

/** machineName: this machine's name when it is a FQDN (then the default HELO name and MAIL FROM use it). */
function machineName(): string | null {
  const name = hostname().toLowerCase();
  return /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(name) ? name : null;
}

const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * documentedForm: an actual output as the docs write it: the lab's ports and
 * CA directory back to their defaults, and this machine's FQDN (used by the
 * default HELO name and MAIL FROM) as on a machine without one; trailing
 * spaces and blank lines dropped.
 */
export function documentedForm(text: string, ports: LabPorts | null): string {
  let t = text.replace(
    new RegExp(`${literal(tmpdir())}/smtp-probe-lab-[A-Za-z0-9]+`, 'g'),
    DOC_LAB_DIR,
  );
  // Not \b: a TLSA owner name carries the SMTP port after an underscore (`_2525._tcp.mx.example`).
  const port = (n: number): RegExp => new RegExp(`(?<![0-9])${n}(?![0-9])`, 'g');
  if (ports)
    t = t
      .replace(port(ports.smtp), String(DOC_PORTS.smtp))
      .replace(port(ports.dns), String(DOC_PORTS.dns))
      .replace(port(ports.https), String(DOC_PORTS.https));
  const fqdn = machineName();
  if (fqdn)
    t = t
      .replace(new RegExp(`postmaster@${literal(fqdn)}`, 'g'), '')
      .replace(new RegExp(literal(fqdn), 'g'), '[127.0.0.1]');
  return t
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .replace(/\n+$/, '');
}

/** ExampleRun: what a run printed (the shown streams, in documented form) and its exit code. */
export interface ExampleRun {
  code: number;
  output: string;
}

const shown = (show: Show, stdout: string, stderr: string): string =>
  show === 'stdout' ? stdout : show === 'stderr' ? stderr : `${stdout}${stderr}`;

/**
 * freePort: a port nobody uses on 127.0.0.1 for TCP (and UDP when `udp`). Four
 * digits, like the documented 2525 and 2553, so tables that show an endpoint
 * have the widths the docs show (a five-digit ephemeral port gets truncated).
 */
async function freePort(udp: boolean): Promise<number> {
  const bind = async (port: number): Promise<boolean> => {
    const server = createServer();
    const tcp = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (tcp) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (!tcp || !udp) return tcp;
    const sock = createSocket('udp4');
    const ok = await new Promise<boolean>((resolve) => {
      sock.once('error', () => resolve(false));
      sock.bind(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) await new Promise<void>((resolve) => sock.close(() => resolve()));
    return ok;
  };
  for (;;) {
    const port = 3000 + Math.floor(Math.random() * 7000);
    if (await bind(port)) return port;
  }
}

/** startDocLab: the lab for the examples, all hosts, on free four-digit ports (see freePort); retried if a port is taken meanwhile. */
export async function startDocLab(): Promise<Lab> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLab({
        port: await freePort(false),
        dnsPort: await freePort(true),
        httpsPort: await freePort(false),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw err;
    }
  }
}

/**
 * runLabCommand: `smtp-probe lab …` as a child process on free ports until its
 * output has been still for 0.6 s (or it exits by itself), then Ctrl-C. Its
 * block shows what it printed before the Ctrl-C.
 */
async function runLabCommand(ex: DocExample): Promise<ExampleRun> {
  const ports: LabPorts = {
    smtp: await freePort(false),
    dns: await freePort(true),
    https: await freePort(false),
    caFile: '',
  };
  // The documented --port/--dns-port/--https-port (if any) give way to free ones.
  const rest: string[] = [];
  for (let i = 0; i < ex.args.length; i++) {
    const a = ex.args[i]!;
    if (a === '--port' || a === '--dns-port' || a === '--https-port') i++;
    else if (!/^--((dns|https)-)?port=/.test(a)) rest.push(a);
  }
  const child = spawnCli([
    ...rest,
    ...['--port', String(ports.smtp), '--dns-port', String(ports.dns)],
    ...['--https-port', String(ports.https)],
  ]);
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  try {
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    let seen = '';
    let still = 0;
    while (!exited && Date.now() < deadline && still < 3) {
      await sleep(200);
      const now = child.stdout() + child.stderr();
      still = now !== '' && now === seen ? still + 1 : 0;
      seen = now;
    }
    const [stdout, stderr] = [child.stdout(), child.stderr()];
    child.proc.kill('SIGINT');
    const code = await child.exited;
    return {
      code: typeof code === 'number' ? code : -1,
      output: documentedForm(shown(ex.show, stdout, stderr), ports),
    };
  } finally {
    child.stop();
  }
}

/** runExample: run one example against `lab` (in-process; `lab` itself as a child) and collect what it shows. */
export async function runExample(ex: DocExample, lab: Lab): Promise<ExampleRun> {
  if (ex.args[0] === 'lab') return runLabCommand(ex);
  const ports = labPorts(lab);
  const r = await runCli(localArgs(ex.args, ports), {
    env: { NO_COLOR: '1' },
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
  });
  return { code: r.code, output: documentedForm(shown(ex.show, r.stdout, r.stderr), ports) };
}

/** parseJson: `text` as JSON, or undefined with a message added to `problems`. */
export function parseJson(text: string, what: string, problems: string[]): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    problems.push(`${what} is not JSON (${(err as Error).message}): ${text.slice(0, 200)}`);
    return undefined;
  }
}

/** checkExample: how a run differs from its example (empty: it matches). */
export function checkExample(ex: DocExample, run: ExampleRun): string[] {
  const problems: string[] = [];
  if (run.code !== ex.exit) problems.push(`exit code ${run.code}, documented exit=${ex.exit}`);
  if (!isJson(ex)) return [...problems, ...compareText(ex.output, run.output)];
  const doc = parseJson(ex.output, 'the documented output', problems);
  const act = parseJson(run.output, 'the output', problems);
  if (doc === undefined || act === undefined) return problems;
  return [...problems, ...jsonProblems(doc, act, ex.excerpt)];
}
