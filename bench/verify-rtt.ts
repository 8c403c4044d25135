/**
 * Issue 12's table in one run: `verify` of 200 and 500 addresses (postmaster and alice real, the
 * rest unknown) through the lab's latency proxy (20 ms round trip, no STARTTLS), on a lab host that
 * throttles like stock Postfix (1 s per reply after 10 errors, 421 at 20), on one without limits,
 * and on CI's real Postfix (:2526) and Exim (:2527) when they run. Per server and size: smtp-probe
 * as a whole process (default flags; `--connections 2` too where the server throttles), a plain
 * pipelined and a lock-step reference client (raw node:net in this process: no start-up, their
 * rows are SMTP alone), and the round-trip bound, as ratios; medians of interleaved runs.
 *
 * The references ask the RCPTs smtp-probe asks (a random catch-all local part, then the list) and
 * must get the same verdicts (250 for the real ones, 550 for the rest). The plain one sends MAIL
 * and its RCPTs as one group, never so many that the session could reach 10 rejections (Postfix's
 * soft limit; where the server has none it uses none, 100 RCPTs per transaction), then RSET+QUIT
 * as one group, dialling the next session without waiting for their replies (where the server has
 * no limit also a row of it sending its FIN with QUIT, as smtp-probe does); the lock-step one
 * waits for every reply, QUIT's too. A relay in front of each proxy counts per session the round
 * trips and the 4xx/5xx replies. The issue's goals are printed, never asserted.
 * `npm run bench:verify-rtt` (`node dist/bench/verify-rtt.js [--runs N]`, default 3).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Endpoint, startLab, startLatencyProxy } from '../src/lab/index.js';
import { eximEnv } from '../test/support/exim.js';
import { postfixEnv } from '../test/support/postfix.js';
import { median, type Relay, type RelayedSession, range, startRelay } from './stats.js';

const RTT_MS = 20;
const SIZES = [200, 500];
const REAL = ['postmaster', 'alice'];
const FROM = 'probe@lab.test';
/** LIMIT: rejections a session may take under Postfix's smtpd_soft_error_limit (10). */
const LIMIT = 9;
const NONE = Number.POSITIVE_INFINITY;
/** RCPT_PER_TX: recipients per transaction (RFC 5321 §4.5.3.1.8: servers take at least 100). */
const RCPT_PER_TX = 100;
const BIN = fileURLToPath(new URL('../../dist/smtp-probe.mjs', import.meta.url));

/**
 * Server: where to verify; `limit`: the rejections per session the references allow there;
 * `start`: how to start a real one; `skip`: why it cannot run (no env file).
 */
interface Server {
  label: string;
  domain: string;
  target: Endpoint;
  limit: number;
  start?: string;
  skip?: string;
}

/** Job: one list to verify through the relay at `port`; `real`: the addresses that exist. */
type Job = { port: number; domain: string; list: string[]; real: Set<string> };

/** Wire: a client socket and the final lines of the replies it received, in order. */
class Wire {
  readonly socket: Socket;
  private readonly finals: string[] = [];
  private buffer = '';
  private error: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port }).setNoDelay(true);
    this.socket.on('data', (d: Buffer) => {
      const lines = (this.buffer + d.toString('latin1')).split('\r\n');
      this.buffer = lines.pop()!;
      this.finals.push(...lines.filter((l) => /^\d{3}( |$)/.test(l)));
      this.wake?.();
    });
    const fail = (e: Error): void => {
      this.error ??= e;
      this.wake?.();
    };
    this.socket.on('error', fail).on('close', () => fail(new Error('closed by the server')));
  }

  /** exchange: writes the commands as one group (with `fin`, our FIN after them); resolves with their replies' final lines. */
  exchange(commands: string[], fin = false): Promise<string[]> {
    this.socket.write(commands.map((c) => `${c}\r\n`).join(''));
    if (fin) this.socket.end();
    return this.read(commands.length);
  }

  read(n: number): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        this.wake = null;
        if (this.finals.length >= n) resolve(this.finals.splice(0, n));
        else if (this.error) reject(new Error(`${this.error.message} after [${this.finals}]`));
        else this.wake = check;
      };
      check();
    });
  }
}

const ok = (lines: string[], code = '2'): void => {
  const bad = lines.find((l) => !l.startsWith(code));
  if (bad !== undefined) throw new Error(`reference client: expected ${code}xx, got "${bad}"`);
};

/**
 * reference: the plain pipelined or the lock-step client (module comment); throws on an unexpected
 * reply. With `fin` it closes its side with QUIT, as smtp-probe does (Exim holds its 221 up to
 * 200 ms for that FIN).
 */
async function reference(job: Job, limit: number, lockStep: boolean, fin = false): Promise<void> {
  const { port, real } = job;
  const rcpts = [`rtt-ref-${randomBytes(5).toString('hex')}@${job.domain}`, ...job.list];
  const ends: Promise<void>[] = [];
  for (let i = 0; i < rcpts.length; ) {
    const w = new Wire(port);
    ok(await w.read(1), '220');
    ok(await w.exchange(['EHLO [127.0.0.1]']));
    let [rejected, inTx] = [0, -1]; // -1: no transaction yet
    while (i < rcpts.length && rejected < limit) {
      const mail = `MAIL FROM:<${FROM}>`;
      const head = inTx < 0 ? [mail] : inTx === RCPT_PER_TX ? ['RSET', mail] : [];
      if (head.length) inTx = 0;
      const n = lockStep ? 1 : Math.min(rcpts.length - i, limit - rejected, RCPT_PER_TX - inTx);
      const batch = rcpts.slice(i, i + n);
      const commands = [...head, ...batch.map((a) => `RCPT TO:<${a}>`)];
      const replies: string[] = [];
      for (const group of lockStep ? commands.map((c) => [c]) : [commands])
        replies.push(...(await w.exchange(group)));
      ok(replies.splice(0, head.length));
      for (const [k, a] of batch.entries()) {
        const want = real.has(a) ? '250' : '550';
        if (!replies[k]!.startsWith(want)) throw new Error(`reference: ${a}: ${replies[k]}`);
        if (want === '550') rejected++;
      }
      [i, inTx] = [i + n, inTx + n];
    }
    const end = w.exchange(lockStep ? ['QUIT'] : ['RSET', 'QUIT'], fin).then((r) => {
      ok(r);
      w.socket.end();
    });
    ends.push(end);
    if (lockStep) await end;
  }
  await Promise.all(ends);
}

/** probe: one whole `smtp-probe verify` process; throws unless it exits 0 with the expected verdict for every address. */
async function probe({ port, list, real }: Job, extra: string[]): Promise<void> {
  const args = [BIN, 'verify', '--file', '-', '--server', `127.0.0.1:${port}`, '--no-starttls'];
  args.push('--from', FROM, '--json', ...extra);
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let [out, err] = ['', ''];
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err = (err + d).slice(-2000)));
  child.stdin.end(`${list.join('\n')}\n`);
  const [code] = (await once(child, 'close')) as [number | null];
  const fail = (why: string): never => {
    throw new Error(`smtp-probe ${args.slice(1).join(' ')}: ${why}\n${err}`);
  };
  if (code !== 0) fail(`exit ${code}, expected 0`);
  type Doc = { result?: { addresses?: { address: string; verdict: string }[] } };
  const got = (JSON.parse(out) as Doc).result?.addresses ?? [];
  if (got.length !== list.length) fail(`${got.length} verdicts for ${list.length} addresses`);
  const expected = (a: string): string => (real.has(a) ? 'deliverable' : 'undeliverable');
  const wrong = got.filter((a) => a.verdict !== expected(a.address));
  if (wrong.length) fail(`verdicts: ${wrong.map((a) => `${a.address} ${a.verdict}`).join(', ')}`);
}

/** Row: a timed case, with what the relay counted of each run. */
interface Row {
  name: string;
  run: () => Promise<void>;
  ms: number[];
  /** seen: per run, what the relay saw of each session. */
  seen: RelayedSession[][];
}

/** Link: connect→greeting and NOOP round-trip samples through relay and proxy, some each round. */
type Link = { greeting: number[]; rtt: number[] };

/** Table: one server and size, its relay and link, and its rows. */
interface Table {
  server: Server;
  size: number;
  relay: Relay;
  link: Link;
  rows: Row[];
}

/** measureLink: two sessions' connect→greeting and four NOOP round trips each, added to `link`. */
async function measureLink(port: number, link: Link): Promise<void> {
  for (let k = 0; k < 2; k++) {
    const t = performance.now();
    const w = new Wire(port);
    ok(await w.read(1), '220');
    link.greeting.push(performance.now() - t);
    for (let i = 0; i < 4; i++) {
      const s = performance.now();
      ok(await w.exchange(['NOOP']));
      link.rtt.push(performance.now() - s);
    }
    await w.exchange(['QUIT']);
    w.socket.end();
  }
}

/**
 * bound: the least time a client needs: per session the measured connect→greeting (2 RTT through
 * the proxy: SYN/SYN-ACK, then the 220 after the ACK), EHLO (1) and one MAIL+RCPTs group per 100
 * recipients (1 each); the last QUIT (1) ends the run. Under a limit: ceil(rejections / limit)
 * sessions of one group each (the catch-all probe counts: it is rejected too).
 */
function bound(t: Table): { ms: number; sessions: number; trips: number; model: string } {
  const rcpts = t.size + 1;
  const limited = Number.isFinite(t.server.limit);
  const sessions = limited ? Math.ceil((rcpts - REAL.length) / t.server.limit) : 1;
  const groups = limited ? 1 : Math.ceil(rcpts / RCPT_PER_TX);
  const waited = sessions * (1 + groups) + 1;
  const [rtt, greeting] = [median(t.link.rtt), median(t.link.greeting)];
  const g = greeting / rtt;
  const model = `${sessions} × (connect+greeting ${g.toFixed(1)} + EHLO 1 + ${groups} MAIL+RCPTs group${groups > 1 ? 's' : ''}) + last QUIT 1 = ${(sessions * g + waited).toFixed(1)} RTT`;
  // trips as the relay counts them: connect and greeting 2, and every session's QUIT reply.
  const trips = sessions * (4 + groups);
  return { ms: sessions * greeting + waited * rtt, sessions, trips, model };
}

const HEAD = ['median ms', '×bound', '×plain', 'sessions', 'round trips', 'most 4xx/5xx a session'];

function print(t: Table): void {
  const b = bound(t);
  const plain = median(t.rows.find((r) => r.name.startsWith('plain'))!.ms);
  const [rtt, greeting] = [median(t.link.rtt), median(t.link.greeting)];
  console.log(`\n${t.server.label}: ${t.size} addresses (${REAL.length} real)`);
  console.log(`  RTT ${rtt.toFixed(1)} ms, connect→greeting ${greeting.toFixed(1)} ms measured`);
  console.log(`  bound: sessions × round trips = ${b.model}`);
  const line = (c: string[]): void => {
    const cells = c.slice(1).map((x, i) => x.padStart(HEAD[i]!.length + 2));
    console.log(`  ${c[0]!.padEnd(52)}${cells.join('')}`);
  };
  const ratios = (ms: number): string[] => [ms / b.ms, ms / plain].map((r) => `×${r.toFixed(2)}`);
  line(['case', ...HEAD]);
  for (const r of t.rows) {
    const ms = median(r.ms);
    const per = (f: (s: RelayedSession[]) => number): string => range(r.seen.map(f));
    const trips = per((s) => s.reduce((n, c) => n + c.trips, 0));
    const worst = per((s) => Math.max(...s.map((c) => c.errors)));
    line([r.name, ms.toFixed(0), ...ratios(ms), per((s) => s.length), trips, worst]);
  }
  const most = Number.isFinite(t.server.limit) ? `≤${t.server.limit}` : '-';
  line(['round-trip bound', b.ms.toFixed(0), ...ratios(b.ms), `${b.sessions}`, `${b.trips}`, most]);
  const ours = median(t.rows[0]!.ms);
  const goal = Number.isFinite(t.server.limit)
    ? ['≤ 1.5× the throttle-aware bound', ours / b.ms]
    : t.size === 200 && ['≤ 1.5× the plain pipelined reference', ours / plain];
  if (!goal) return;
  const [text, ratio] = goal as [string, number];
  const verdict = `×${ratio.toFixed(2)}, ${ratio <= 1.5 ? 'met' : 'not met'}`;
  console.log(`  issue 12's goal (not asserted): smtp-probe ${text}: ${verdict}`);
  const fin = t.rows.find((r) => r.name.endsWith('FIN with QUIT'));
  if (fin) {
    const r = ours / median(fin.ms);
    console.log(
      `  against that reference closing with its QUIT as smtp-probe does: ×${r.toFixed(2)}`,
    );
  }
}

/** table: the rows for one server and size; `relay` counts their sessions. */
function table(server: Server, size: number, relay: Relay, link: Link): Table {
  const local = (i: number): string => REAL[i] ?? `nobody${i + 1}`;
  const list = Array.from({ length: size }, (_, i) => `${local(i)}@${server.domain}`);
  const real = new Set(list.slice(0, REAL.length));
  const job = { port: relay.port, domain: server.domain, list, real };
  const ours = (flags: string[]) => () => probe(job, flags);
  const ref =
    (limit: number, lockStep: boolean, fin = false) =>
    () =>
      reference(job, limit, lockStep, fin);
  const limited = Number.isFinite(server.limit);
  const per = limited ? `≤${LIMIT} rejections/session` : 'no limit';
  const specs: [string, () => Promise<void>, boolean][] = [
    ['smtp-probe (whole process)', ours([]), true],
    ['smtp-probe --connections 2 (whole process)', ours(['--connections', '2']), limited],
    [`plain pipelined, ${per} (in-process)`, ref(server.limit, false), true],
    [`plain pipelined, ${per}, FIN with QUIT`, ref(server.limit, false, true), !limited],
    [`plain pipelined, ≤${LIMIT} rejections/session`, ref(LIMIT, false), !limited],
    [`lock-step, ${per} (in-process)`, ref(server.limit, true), true],
  ];
  const rows = specs.filter((x) => x[2]).map(([name, run]) => ({ name, run, ms: [], seen: [] }));
  return { server, size, relay, link, rows };
}

/** timed: runs one row once, recording its time and what the relay saw of its sessions. */
async function timed(r: Row, { relay }: Table): Promise<void> {
  const before = relay.sessions.length;
  const t = performance.now();
  await r.run();
  r.ms.push(performance.now() - t);
  r.seen.push(relay.sessions.slice(before));
}

/** realServers: CI's Postfix (:2526, no STARTTLS) and Exim, where their env files say. */
function realServers(): Server[] {
  const peers = [
    ['Postfix (stock error limits)', 'bash .ci/postfix.sh start', LIMIT, postfixEnv],
    ['Exim (no error throttle)', 'PATH=/usr/sbin:$PATH bash .ci/exim.sh start', NONE, eximEnv],
  ] as const;
  return peers.map(([name, start, limit, env]) => {
    let [addr, domain, skip] = ['', '', ''];
    try {
      const e = env();
      [addr, domain] = ['noVrfyAddr' in e ? e.noVrfyAddr : e.addr, e.domain];
    } catch (e) {
      skip = (e as Error).message.split(':')[0]!; // "no env file at …"
    }
    const [address, port] = (addr || '127.0.0.1:0').split(':') as [string, string];
    const label = `real ${name}${addr && ` at ${addr}`}`;
    return { label, domain, target: { address, port: Number(port) }, limit, start, skip };
  });
}

/** benchVerifyRtt: see the module comment. */
export async function benchVerifyRtt(runs = 3): Promise<void> {
  const lab = await startLab({ port: 0, hosts: ['mlfarm.test', 'throttle.test'] });
  const closers: (() => Promise<void>)[] = [];
  try {
    const at = (host: string, what: string, limit: number): Server => {
      const target = { address: lab.host(host).address, port: lab.port };
      const domain = host.replace(/^mx\d?\./, '');
      return { label: `lab ${host} (${target.address}), ${what}`, domain, target, limit };
    };
    const servers = [
      at('mx.throttle.test', 'Postfix-like throttling', LIMIT),
      at('mx1.mlfarm.test', 'no error limits', NONE),
      ...realServers(),
    ];
    const tables: Table[] = [];
    for (const s of servers) {
      const proxy = await startLatencyProxy({ target: s.target, delayMs: RTT_MS });
      const relay = await startRelay(proxy);
      closers.push(relay.close, proxy.close);
      const link: Link = { greeting: [], rtt: [] };
      // A first, uncounted measure: it warms both ends, and a real server that is down skips here.
      const greeted = (): Promise<Error | null> =>
        measureLink(relay.port, link).then(
          () => null,
          (e: Error) => new Error(`no SMTP greeting through the proxy: ${e.message}`),
        );
      const fail = s.skip ? new Error(s.skip) : await greeted();
      if (fail && !s.start) throw fail;
      if (fail) console.log(`${s.label}: skipped (${fail.message}); start it: \`${s.start}\``);
      else for (const size of SIZES) tables.push(table(s, size, relay, link));
      [link.greeting, link.rtt] = [[], []];
    }
    const startup: number[] = [];
    const version = (): void => {
      const t = performance.now();
      if (spawnSync(process.execPath, [BIN, '--version']).status)
        throw new Error('--version failed');
      startup.push(performance.now() - t);
    };
    version(); // warms the file cache; not counted
    startup.length = 0;
    // Interleaved: every row once per round, so drift on a busy machine hits all alike.
    for (let i = 0; i < runs; i++) {
      version();
      for (const t of tables) {
        if (t.size === SIZES[0]) await measureLink(t.relay.port, t.link);
        for (const r of t.rows) await timed(r, t);
      }
    }
    console.log(
      `verify, ${RTT_MS} ms RTT (latency proxy), --no-starttls, medians of ${runs} runs.`,
    );
    const alone = median(startup).toFixed(0);
    console.log(`smtp-probe: whole processes (start-up alone, --version: ${alone} ms).`);
    console.log('plain pipelined, lock-step: reference clients in this process (no start-up).');
    for (const t of tables) print(t);
  } finally {
    for (const close of closers) await close();
    await lab.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--runs');
  const runs = at > 0 ? Number(process.argv[at + 1]) : 3;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');
  await benchVerifyRtt(runs);
}
