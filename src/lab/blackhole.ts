/**
 * A blackhole: an address:port where a TCP connect gets no SYN-ACK, so the
 * client's connect times out (a host that is down, a firewall that drops).
 * Two ways, both checked with a real connect before the lab reports ready:
 *
 * - `nftables` (root and the `nft` tool): a table of the lab's own,
 *   `inet smtp_probe_lab_<pid>_<n>`, whose input chain drops TCP to that
 *   address and port. One table per lab, so labs running side by side
 *   never remove each other's rule.
 * - `full-accept-queue` (anyone, Linux): a child process listens there with
 *   backlog 1, then blocks its own event loop in a synchronous read of its
 *   stdin, so it never accepts; the lab connects until the accept queue is
 *   full, after which Linux drops every further SYN (tcp_conn_request:
 *   "accept queue full" → drop). No packet filter, no privileges.
 *
 * Either way a small child process (the keeper) holds the blackhole's life
 * on its stdin pipe. close() ends the pipe; so does the kernel when the lab's
 * process dies in any way, SIGKILL included. On that end of file the
 * listener child simply exits, and the nftables keeper deletes the table and
 * exits. The keeper runs in its own process group, so a Ctrl-C meant for the
 * lab's terminal cannot kill it before it has cleaned up. If the keeper
 * itself is SIGKILLed while the lab is running, close() deletes the table;
 * if both die that way, the next lab started as root deletes tables left by
 * processes that no longer exist.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { runTool } from './tool.js';

/** BlackholeMethod: how the lab made connects time out (see the module comment). */
export type BlackholeMethod = 'nftables' | 'full-accept-queue';

/** Blackhole: a running blackhole; close() removes the rule or the listener and ends the keeper. */
export interface Blackhole {
  readonly address: string;
  readonly port: number;
  readonly method: BlackholeMethod;
  close(): Promise<void>;
}

/**
 * BLACKHOLE_VERIFY_MS: how long the check connect waits. On loopback the
 * handshake completes inside the connect() call (well under 1 ms), and
 * tryConnect lets a poll phase run before it calls a connect hung, so a slow
 * event loop cannot pass for a dropped SYN.
 */
export const BLACKHOLE_VERIFY_MS = 25;
/** NFT_TABLE_PREFIX: every lab table's name starts with this (then the pid and a counter). */
export const NFT_TABLE_PREFIX = 'smtp_probe_lab_';
const LISTEN_BACKLOG = 1;
// Linux queues backlog + 1 connections; a few more than that is a kernel that does not drop when full.
const MAX_FILLERS = 8;
const KEEPER_READY_MS = 5_000;
const KEEPER_EXIT_MS = 3_000;
let tables = 0;

// The keeper, run with `node -e`: "listen" holds a never-accepting listener, "nft" deletes a table at end of file.
// The blocking read is the point: while it waits, the event loop never runs, so nothing is ever accepted.
const KEEPER = `
const fs = require('node:fs');
const [mode, a, b, c] = process.argv.slice(1);
const say = (o) => fs.writeSync(1, JSON.stringify(o) + '\\n');
const hold = () => {
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try { fs.readSync(0, Buffer.alloc(1)); return; }
    catch (e) { if (e.code !== 'EAGAIN') return; Atomics.wait(wait, 0, 0, 20); }
  }
};
if (mode === 'listen') {
  const server = require('node:net').createServer();
  server.on('error', (e) => { say({ error: String(e.code || e.message) }); process.exit(1); });
  server.listen({ host: a, port: Number(b), backlog: Number(c), exclusive: true }, () => { say({ ready: true }); hold(); process.exit(0); });
} else {
  say({ ready: true });
  hold();
  const r = require('node:child_process').spawnSync('nft', ['delete', 'table', 'inet', a], { stdio: 'ignore' });
  process.exit(r.status === 0 ? 0 : 2);
}
`;

interface Keeper {
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** startKeeper: the child, once it says it is ready; rejects with its complaint otherwise. */
function startKeeper(what: string, args: string[]): Promise<Keeper> {
  // Its own process group (Ctrl-C does not reach it) and a clean environment (no NODE_OPTIONS, no test-runner context).
  const child = spawn(process.execPath, ['-e', KEEPER, ...args], {
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.stdin!.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    let out = '';
    let settled = false;
    const timer = setTimeout(() => fail('did not start in time'), KEEPER_READY_MS);
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      // Reject only once it is gone, so a failed start leaves no process behind (one never spawned has no exit to wait for).
      const err = new Error(`blackhole keeper (${what}): ${why}`);
      if (child.pid === undefined) reject(err);
      else void exited.then(() => reject(err));
    };
    child.once('error', (err) => fail(err.message));
    void exited.then((code) => fail(`exited with ${code}`));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      let said: { ready?: boolean; error?: string } = {};
      try {
        said = JSON.parse(out.slice(0, nl)) as typeof said;
      } catch {
        /* reported below */
      }
      if (!said.ready)
        return fail(said.error ?? `unexpected output ${JSON.stringify(out.slice(0, 80))}`);
      settled = true;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      resolve({ child, exited });
    });
  });
}

/** stopKeeper: end its stdin (its signal to clean up and exit) and wait; SIGKILL if it will not go. Resolves with its exit code. */
async function stopKeeper(k: Keeper): Promise<number | null> {
  k.child.stdin!.end();
  const timer = setTimeout(() => k.child.kill('SIGKILL'), KEEPER_EXIT_MS);
  const code = await k.exited;
  clearTimeout(timer);
  return code;
}

/** tryConnect: the socket if a connect completes within `ms`, null if it is still waiting for a SYN-ACK; rejects on refusal or error. */
export function tryConnect(address: string, port: number, ms: number): Promise<Socket | null> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    s.once('error', onError);
    s.once('connect', () => {
      clearTimeout(timer);
      s.off('error', onError);
      resolve(s);
    });
    // On expiry, let one poll phase run first: a connect that did complete is seen there, not mistaken for a timeout.
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (!s.connecting) return;
          s.destroy();
          resolve(null);
        }),
      ms,
    );
  });
}

async function blackholed(address: string, port: number): Promise<boolean> {
  const s = await tryConnect(address, port, BLACKHOLE_VERIFY_MS).catch(() => undefined);
  s?.destroy();
  return s === null;
}

async function viaAcceptQueue(address: string, port: number): Promise<Blackhole> {
  const keeper = await startKeeper(`listen on ${address}:${port}`, [
    'listen',
    address,
    String(port),
    String(LISTEN_BACKLOG),
  ]);
  const fillers: Socket[] = [];
  const close = async (): Promise<void> => {
    for (const s of fillers) s.destroy();
    await stopKeeper(keeper);
  };
  try {
    // Connect until one connect hangs: that one proves the queue is full, whatever backlog the kernel really allows.
    for (;;) {
      const s = await tryConnect(address, port, BLACKHOLE_VERIFY_MS);
      if (s === null) break;
      s.on('error', () => undefined);
      fillers.push(s);
      if (fillers.length > MAX_FILLERS)
        throw new Error(
          `blackhole ${address}:${port}: the accept queue never filled (${fillers.length} connections accepted)`,
        );
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { address, port, method: 'full-accept-queue', close };
}

/** removeStaleTables: delete lab tables whose process is gone (left by a lab and keeper both SIGKILLed). */
async function removeStaleTables(): Promise<void> {
  const list = await runTool('nft', ['list', 'tables']);
  for (const m of list.stdout.matchAll(
    new RegExp(`^table inet (${NFT_TABLE_PREFIX}(\\d+)_\\d+)$`, 'gm'),
  )) {
    if (!alive(Number(m[2]))) await runTool('nft', ['delete', 'table', 'inet', m[1]!]);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** nftRuleset: the lab's table: drop TCP to address:port as it arrives (on lo, a packet goes out and comes back in). */
export function nftRuleset(table: string, address: string, port: number): string {
  const family = address.includes(':') ? 'ip6' : 'ip';
  return `table inet ${table} {\n  chain input {\n    type filter hook input priority filter; policy accept;\n    ${family} daddr ${address} tcp dport ${port} drop\n  }\n}\n`;
}

/** viaNftables: the nftables blackhole, or null when this process may not or cannot use nft (then the caller falls back). */
async function viaNftables(address: string, port: number): Promise<Blackhole | null> {
  if (process.getuid?.() !== 0) return null;
  const version = await runTool('nft', ['--version']);
  if (version.code !== 0) return null;
  await removeStaleTables();
  const table = `${NFT_TABLE_PREFIX}${process.pid}_${++tables}`;
  const keeper = await startKeeper(`nftables table ${table}`, ['nft', table]);
  const applied = await runTool('nft', ['-f', '-'], nftRuleset(table, address, port));
  const close = async (): Promise<void> => {
    // The keeper deletes the table; if it could not (killed), do it here.
    if ((await stopKeeper(keeper)) !== 0) await runTool('nft', ['delete', 'table', 'inet', table]);
  };
  if (applied.code !== 0 || !(await blackholed(address, port))) {
    await close();
    return null;
  }
  return { address, port, method: 'nftables', close };
}

/**
 * startBlackhole: make connects to address:port time out. `method` 'auto'
 * (the default) uses nftables when running as root with `nft` installed and
 * the rule demonstrably works, else the full accept queue. Rejects when the
 * chosen method cannot be set up and verified.
 */
export async function startBlackhole(
  address: string,
  port: number,
  method: BlackholeMethod | 'auto' = 'auto',
): Promise<Blackhole> {
  if (method !== 'full-accept-queue') {
    const nft = await viaNftables(address, port);
    if (nft) return nft;
    if (method === 'nftables')
      throw new Error('blackhole: nftables needs root, the nft tool and a kernel with nf_tables');
  }
  return viaAcceptQueue(address, port);
}
