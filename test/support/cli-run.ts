/**
 * The CLI in-process and as a child process: `runCli` calls main() with
 * in-memory streams and a signal nobody aborts; `spawnCli` starts
 * dist/commands/cli.js and collects its output; `countingServer` is a TCP
 * listener on 127.0.0.1:0 that only counts connections, to prove nothing was
 * sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { main } from '../../commands/main.js';
import { Sink } from './sink.js';

/** CliRun: what one in-process run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** RunOptions: the environment and whether stdout/stderr claim to be a terminal. */
export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  isTTY?: boolean;
  signal?: AbortSignal;
}

/** runCli: main(args) with collecting streams; the default env is empty, so the host's NO_COLOR/FORCE_COLOR cannot leak in. */
export async function runCli(args: string[], opts: RunOptions = {}): Promise<CliRun> {
  const stdout = new Sink({ isTTY: opts.isTTY ?? false, columns: 120 });
  const stderr = new Sink({ isTTY: opts.isTTY ?? false });
  const code = await main(args, {
    stdout,
    stderr,
    env: opts.env ?? {},
    signal: opts.signal ?? new AbortController().signal,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** CLI_PATH: the executable users run (package.json "bin": the bundle). */
export const CLI_PATH = fileURLToPath(new URL('../../smtp-probe.mjs', import.meta.url));

/** Child: a running CLI process, its output so far, and its exit. */
export interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** exited: the exit code (or the signal name when it died of one). */
  exited: Promise<number | string>;
  /** waitFor: resolves once `pred` holds for stdout/stderr; rejects after `ms` or if the process exits first. */
  waitFor(pred: (out: string, err: string) => boolean, ms: number): Promise<void>;
  /** stop: SIGKILL if still running (cleanup only). */
  stop(): void;
}

/** spawnCli: `node dist/commands/cli.js ...args` with NO_COLOR set, no FORCE_COLOR and no COLUMNS (tables at 120). */
export function spawnCli(args: string[]): Child {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  delete env.COLUMNS;
  const proc = spawn(process.execPath, [CLI_PATH, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let done = false;
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const l of listeners) l();
  };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    notify();
  });
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    notify();
  });
  const exited = new Promise<number | string>((resolve) =>
    proc.once('close', (code, signal) => {
      done = true;
      notify();
      resolve(code ?? signal ?? -1);
    }),
  );
  return {
    proc,
    exited,
    stdout: () => out,
    stderr: () => err,
    stop: () => {
      if (!done) proc.kill('SIGKILL');
    },
    waitFor: (pred, ms) =>
      new Promise<void>((resolve, reject) => {
        const finish = (fail?: Error): void => {
          clearTimeout(timer);
          listeners.delete(check);
          if (fail) reject(fail);
          else resolve();
        };
        const check = (): void => {
          if (pred(out, err)) finish();
          else if (done)
            finish(new Error(`process exited first; stdout:\n${out}\nstderr:\n${err}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`not seen within ${ms} ms; stdout:\n${out}\nstderr:\n${err}`)),
          ms,
        );
        listeners.add(check);
        check();
      }),
  };
}

/** CountingServer: a listener that accepts and counts connections, says nothing, and never reads a line. */
export interface CountingServer {
  target: string;
  readonly connections: number;
  close(): Promise<void>;
}

/** countingServer: see CountingServer. */
export async function countingServer(): Promise<CountingServer> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    target: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
