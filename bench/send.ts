/**
 * `smtp-probe send` against swaks, which users compare it with. Every run is a whole process, as
 * a user pays it, against the lab's esmtp host in this process: loopback; five recipients through
 * the latency proxy at 0, 20 and 50 ms; --quit-after rcpt; AUTH PLAIN; all over STARTTLS. Runs
 * are interleaved and ratios are to swaks in the same group. A relay in front of each proxy counts
 * each session's round trips, shown under the least a client needs. A run that does not exit 0 or
 * (full sends) store exactly one message fails the bench. Without swaks it says how to install it
 * and times smtp-probe alone. `npm run bench:send` (`node dist/bench/send.js [--runs N]`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  LAB_AUTH_PASSWORD,
  LAB_AUTH_USER,
  MAX_STORED_MESSAGES,
  startLab,
  startLatencyProxy,
  type Endpoint,
  type Lab,
  type LatencyProxy,
} from '../src/lab/index.js';
import { median, percentile, type Relay, startRelay } from './stats.js';

/** RUNS: samples per case; 15 keeps the p90 a real sample and the bench near three minutes. */
const RUNS = 15;
const ROOT = new URL('../../', import.meta.url);
const FROM = 'probe@lab.test';
const TLS_NAME = 'esmtp.lab.test';
const ALICE = `alice@${TLS_NAME}`;
const PASSWORD_ENV = 'SMTP_PROBE_BENCH_PASSWORD';
const DELAYS_MS = [0, 20, 50];

/** Extra: what a case adds to its tool's command line; what it must leave in the lab (a stored message, a session without DATA, no session); whether it AUTHs. */
interface Extra {
  args?: string[];
  expect?: 'message' | 'no-data' | 'none';
  auth?: boolean;
}

/** Case: one command line to time, with its samples and (proxied) the round trips of each run. */
interface Case extends Required<Extra> {
  /** tool: its label, and the key that finds the same command in its scenario's 0 ms group. */
  tool: string;
  cmd: string;
  env?: NodeJS.ProcessEnv;
  recipients: number;
  counter?: Counter;
  samples: number[];
  trips: number[];
}

/** Group: cases that share a baseline (the first swaks case) and, proxied, the least round trips. */
interface Group {
  /** scenario: its number; the scenario's 0 ms group is the reference of its slower groups. */
  scenario: number;
  title: string;
  rttMs: number;
  /** least: the steps of the fewest round trips such a session needs, one round trip each. */
  least?: string[];
  cases: Case[];
}

/** Counter: bench/stats.ts's relay in front of a latency proxy (its sessions, oldest first, count the round trips); close() closes both. */
type Counter = Endpoint & { relay: Relay; close(): Promise<void> };

async function startCounter(proxy: LatencyProxy): Promise<Counter> {
  const relay = await startRelay(proxy);
  const close = (): Promise<void> => proxy.close().finally(relay.close);
  return { address: '127.0.0.1', port: relay.port, relay, close };
}

function binEntry(): string {
  const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as {
    bin: Record<string, string>;
  };
  return fileURLToPath(new URL(pkg.bin['smtp-probe']!, ROOT));
}

const NONE: Extra = { expect: 'none' };

/** tools: command-line builders for both tools against the lab; `theirs` gives none without swaks. */
function tools(lab: Lab, swaks: boolean) {
  const bin = binEntry();
  const make = (tool: string, cmd: string, args: string[], to: string[], x: Extra, at?: Endpoint) =>
    ({
      tool: [tool, ...(x.args ?? [])].join(' '),
      cmd,
      args: [...args, ...(x.args ?? [])],
      expect: x.expect ?? 'message',
      auth: x.auth ?? false,
      recipients: to.length,
      counter: at && 'relay' in at ? (at as Counter) : undefined,
      samples: [],
      trips: [],
    }) satisfies Case;
  const ours = (at: Endpoint, to: string[], x: Extra = {}): Case => {
    const args = [bin, 'send', '--server', `${at.address}:${at.port}`, '--from', FROM];
    args.push(...to.flatMap((t) => ['--to', t]));
    args.push('--tls-verify', '--tls-name', TLS_NAME, '--ca', lab.caCertFile);
    if (x.auth) args.push('--auth-user', LAB_AUTH_USER, '--auth-password-env', PASSWORD_ENV);
    // The password in the environment, as smtp-probe asks its users to give it (never a flag).
    const env = { ...process.env, [PASSWORD_ENV]: LAB_AUTH_PASSWORD };
    return { ...make('smtp-probe send', process.execPath, args, to, x, at), env };
  };
  // swaks 20201014 checks the chain against --tls-ca-path; it has no host-name check to ask for.
  const theirs = (at: Endpoint, to: string[], x: Extra = {}): Case[] => {
    if (!swaks) return [];
    const args = ['--server', at.address, '--port', String(at.port), '--from', FROM];
    args.push('--to', to.join(','), '--tls', '--tls-verify', '--tls-ca-path', lab.caCertFile);
    args.push('--tls-sni', TLS_NAME);
    // swaks takes the password as a flag (or a prompt): that is how its users run it.
    if (x.auth) args.push('--auth-user', LAB_AUTH_USER, '--auth-password', LAB_AUTH_PASSWORD);
    return [make('swaks --tls', 'swaks', args, to, x, at)];
  };
  // Start-up floors: each tool doing nothing but start and exit.
  const floors = [
    ...(swaks ? [make('start-up only: swaks --version', 'swaks', ['--version'], [], NONE)] : []),
    make('start-up only: smtp-probe --version', process.execPath, [bin, '--version'], [], NONE),
  ];
  return { ours, theirs, floors };
}

/** run: one timed process; throws unless it exited 0 and left in the lab what the case expects. */
async function run(c: Case, lab: Lab): Promise<void> {
  const messages = lab.messages.length;
  const conn = lab.sessions.at(-1)?.conn ?? 0;
  const relayed = c.counter?.relay.sessions.length ?? 0;
  const t = performance.now();
  const child = spawn(c.cmd, c.args, { env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-4000); // the tail says why a run failed
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  c.samples.push(performance.now() - t);
  const fail = (why: string): never => {
    throw new Error(`${c.tool}: ${why}\n${[c.cmd, ...c.args].join(' ')}\n${out}`);
  };
  if (code !== 0) fail(`exit ${code ?? signal}, expected 0`);
  if (c.expect === 'none') return;
  const [session, m] = [lab.sessions.at(-1), lab.messages.at(-1)];
  if (session?.conn !== conn + 1) fail('expected exactly one new lab session');
  const added = lab.messages.length - messages;
  if (c.expect === 'no-data' && (added !== 0 || session!.data !== 0)) fail('DATA was sent');
  const stored = added === 1 && m!.recipients.length === c.recipients && m!.tls;
  if (c.expect === 'message' && !stored) fail(`${added} messages stored, expected 1 over TLS`);
  if (c.auth && m!.authUser !== LAB_AUTH_USER) fail('message not sent under AUTH');
  const sessions = c.counter?.relay.sessions;
  if (sessions && sessions.length !== relayed + 1) fail('expected one proxied connection');
  if (sessions) c.trips.push(sessions.at(-1)!.trips);
}

const ms = (x: number): string => `${x.toFixed(1).padStart(7)} ms`;

/** print: one group: median, p90, ratio to swaks (else its first case), round trips, network cost. */
function print(g: Group, groups: Group[]): void {
  console.log(`\n${g.title}`);
  if (g.least) console.log(`  least round trips: ${g.least.join(' + ')} = ${g.least.length}`);
  const base = median((g.cases.find((c) => c.cmd === 'swaks') ?? g.cases[0]!).samples);
  const zero = groups.find((r) => r.scenario === g.scenario && r.rttMs === 0 && r !== g);
  const head = ['case'.padEnd(44), 'median'.padStart(10), 'p90'.padStart(10), 'ratio '];
  if (g.rttMs) head.push('round trips', zero ? '(median − median at 0 ms) / RTT' : '');
  console.log(`  ${head.join('  ')}`.trimEnd());
  for (const c of g.cases) {
    const med = median(c.samples);
    const cols = [c.tool.padEnd(44), ms(med), ms(percentile(c.samples, 90))];
    cols.push(`×${(med / base).toFixed(2).padEnd(5)}`);
    const [lo, hi] = [Math.min(...c.trips), Math.max(...c.trips)];
    if (g.rttMs) cols.push((lo === hi ? `${lo}` : `${lo}–${hi}`).padStart(11));
    const ref = zero?.cases.find((r) => r.tool === c.tool);
    if (g.rttMs && ref) cols.push(((med - median(ref.samples)) / g.rttMs).toFixed(1).padStart(6));
    console.log(`  ${cols.join('  ')}`.trimEnd());
  }
}

// The fewest round trips of a STARTTLS session, one each: the proxy delays the 220 as a real
// link would after SYN, SYN-ACK and ACK; TLS 1.3's handshake is one, the client's Finished can
// travel with its EHLO; RFC 2920 §3.1 lets MAIL, every RCPT and DATA (ending it) be one group.
const START = ['TCP connect', 'greeting', 'EHLO', 'STARTTLS', 'TLS 1.3 handshake', 'EHLO'];
const SEND = ['MAIL+RCPTs+DATA pipelined', 'message', 'QUIT'];

/** benchSend: see the module comment; `runs` timed runs per case after one warm-up run. */
export async function benchSend(runs = RUNS): Promise<void> {
  const swaks = !spawnSync('swaks', ['--version'], { stdio: 'ignore' }).error;
  if (!swaks) console.log('swaks not installed: apt-get install swaks (timing smtp-probe alone)');
  const lab = await startLab({ port: 0, hosts: ['esmtp'] });
  const counters = new Map<number, Counter>();
  try {
    const esmtp = lab.host('esmtp');
    const direct = { address: esmtp.address, port: lab.port };
    for (const delayMs of DELAYS_MS) {
      const proxy = await startLatencyProxy({ target: direct, delayMs });
      counters.set(delayMs, await startCounter(proxy));
    }
    const at = (d: number): Counter => counters.get(d)!;
    const { ours, theirs, floors } = tools(lab, swaks);
    // Five paths the host takes: both its users at its name and its address literal, and alice
    // again in capitals (local parts match whatever their case, as Postfix's do).
    const literal = `[${esmtp.address}]`;
    const five = [ALICE, `postmaster@${TLS_NAME}`, `alice@${literal}`, `postmaster@${literal}`];
    five.push(`Alice@${TLS_NAME}`);
    const quitAfterRcpt: Extra = { args: ['--quit-after', 'rcpt'], expect: 'no-data' };
    const groups: Group[] = [
      {
        scenario: 1,
        title: '1. loopback, 1 recipient, STARTTLS, full message',
        rttMs: 0,
        cases: [...theirs(direct, [ALICE]), ours(direct, [ALICE]), ...floors],
      },
      ...DELAYS_MS.map((d) => ({
        scenario: 2,
        title: `2. ${d} ms RTT (latency proxy), 5 recipients, STARTTLS, full message`,
        rttMs: d,
        least: d ? [...START, `${SEND[0]} (7 one at a time)`, ...SEND.slice(1)] : undefined,
        cases: [
          ...theirs(at(d), five),
          ...theirs(at(d), five, { args: ['--pipeline'] }),
          ours(at(d), five),
        ],
      })),
      {
        scenario: 3,
        title: '3. --quit-after rcpt at 20 ms RTT, 1 recipient, STARTTLS',
        rttMs: 20,
        least: [...START, 'MAIL+RCPT pipelined', 'QUIT'],
        cases: [...theirs(at(20), [ALICE], quitAfterRcpt), ours(at(20), [ALICE], quitAfterRcpt)],
      },
      {
        scenario: 4,
        title: '4. AUTH PLAIN over STARTTLS at 20 ms RTT, 1 recipient, full message',
        rttMs: 20,
        least: [...START, 'AUTH PLAIN with initial response', ...SEND],
        cases: [
          ...theirs(at(20), [ALICE], { args: ['--auth', 'PLAIN'], auth: true }),
          ours(at(20), [ALICE], { args: ['--auth-mech', 'plain'], auth: true }),
        ],
      },
    ];
    const cases = groups.flatMap((g) => g.cases);
    if (cases.length * (runs + 1) >= MAX_STORED_MESSAGES)
      throw new Error(`--runs ${runs}: more messages than the lab keeps (${MAX_STORED_MESSAGES})`);
    for (const c of cases) await run(c, lab); // warm the file cache and the lab; not counted
    for (const c of cases) [c.samples.length, c.trips.length] = [0, 0];
    // Interleaved: every case once per round, so drift on a busy machine hits all alike.
    for (let i = 0; i < runs; i++) for (const c of cases) await run(c, lab);
    console.log(`smtp-probe send vs swaks, each run a whole process, ${runs} interleaved runs`);
    console.log(`(ratio = median / median of the group's first ${swaks ? 'swaks ' : ''}case):`);
    for (const g of groups) print(g, groups);
  } finally {
    await Promise.all([...counters.values()].map((c) => c.close()));
    await lab.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  await benchSend(runs);
}
