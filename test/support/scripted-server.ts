/**
 * scriptedServer: a one-conversation SMTP peer on 127.0.0.1:0 that plays a
 * script (expect a client line, send lines, upgrade to TLS, delay, close, or
 * run custom code) and records every line the client sent. Any line the
 * script did not expect, a line not ended by CRLF, a second connection, or a
 * script stuck past its watchdog makes `finished()` reject, so the test fails.
 * scriptedSessions plays one script per connection, for clients that reconnect.
 * scriptedMemory plays the same scripts on an in-memory network endpoint,
 * with delays and watchdogs on a virtual clock (the transcript tier's way to
 * test time-dependent behaviour without sleeps).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TLSSocket } from 'node:tls';
import { type Clock, systemClock } from '../../src/time/clock.js';
import type { MemoryNetwork } from './memory-net.js';

/** Conn: what a custom step can touch: the current socket (raw or TLS) and whether the client is gone. */
export interface Conn {
  readonly socket: Duplex;
  readonly closed: boolean;
  /** Resolves once the client's side of the connection is closed. */
  readonly whenClosed: Promise<void>;
  /** write: raw text; resolves after it is flushed (backpressure), false if the socket is gone. */
  write(data: string): Promise<boolean>;
}

/** Step: one move of the server's side. */
export type Step =
  | { kind: 'expect'; match: string | RegExp; respond?: (line: string) => string[] }
  | { kind: 'send'; data: string }
  | { kind: 'close' }
  | { kind: 'delay'; ms: number }
  | { kind: 'tls'; key: string; cert: string }
  | { kind: 'act'; fn: (conn: Conn) => Promise<void> };

/**
 * expect: the next client line must equal `match` (or match the RegExp);
 * `respond` answers with lines built from it (for lines the client randomises).
 */
export const expect = (match: string | RegExp, respond?: (line: string) => string[]): Step => ({
  kind: 'expect',
  match,
  respond,
});
/** send: reply lines, each ended with CRLF, in one write. */
export const send = (...lines: string[]): Step => ({
  kind: 'send',
  data: lines.map((l) => `${l}\r\n`).join(''),
});
/** sendRaw: bytes exactly as given, in one write. */
export const sendRaw = (data: string): Step => ({ kind: 'send', data });
/** close: end our side of the connection. */
export const close = (): Step => ({ kind: 'close' });
/** delay: wait before the next step. */
export const delay = (ms: number): Step => ({ kind: 'delay', ms });
/** upgradeTls: become a TLS server on the same socket (after the 220 to STARTTLS). */
export const upgradeTls = (creds: { key: string; cert: string }): Step => ({
  kind: 'tls',
  ...creds,
});
/** act: custom server behaviour (floods, drips, silence until the client gives up). */
export const act = (fn: (conn: Conn) => Promise<void>): Step => ({ kind: 'act', fn });

/** ScriptedServer: the listening peer and what it saw. */
export interface ScriptedServer {
  port: number;
  /** "127.0.0.1:port", ready for probeCaps. */
  target: string;
  /** Every line the client sent, in order, without CRLF (all sessions, one after another). */
  received: string[];
  /** The lines of each session (connection) separately. */
  readonly sessions: string[][];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** finished: resolves when every scripted conversation is over and went by its script; rejects otherwise. */
  finished(): Promise<void>;
  /** close: stop listening and drop any connection. */
  close(): Promise<void>;
}

/** ScriptOptions: watchdog for a stuck conversation, or for a connection that never comes (default 5 s), and its clock. */
export interface ScriptOptions {
  watchdogMs?: number;
  clock?: Clock;
}

/** scriptedServer: see the module comment. */
export function scriptedServer(steps: Step[], opts: ScriptOptions = {}): Promise<ScriptedServer> {
  return scriptedSessions([steps], opts);
}

/**
 * scriptedSessions: like scriptedServer, for a client that reconnects: the
 * n-th connection plays the n-th script. One connection more than there are
 * scripts, or one that never comes, makes `finished()` reject.
 */
export async function scriptedSessions(
  scripts: Step[][],
  opts: ScriptOptions = {},
): Promise<ScriptedServer> {
  const runner = new ScriptRunner(scripts, opts);
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    runner.accept(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return runner.view(port, `127.0.0.1:${port}`, () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
}

/**
 * scriptedMemory: the n-th connection to `endpoint` on the in-memory network
 * plays the n-th script. Delays and watchdogs run on `opts.clock` (give the
 * test's VirtualClock, and a watchdog longer than any client timeout).
 */
export function scriptedMemory(
  net: MemoryNetwork,
  endpoint: string,
  scripts: Step[][],
  opts: ScriptOptions = {},
): ScriptedServer {
  const runner = new ScriptRunner(scripts, opts);
  const streams = new Set<Duplex>();
  net.listen(endpoint, (stream) => {
    streams.add(stream);
    runner.accept(stream);
  });
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  return runner.view(port, endpoint, async () => {
    for (const s of streams) s.destroy();
  });
}

/** ScriptRunner: hands each accepted connection its script and keeps the verdict. */
class ScriptRunner {
  readonly sessions: string[][] = [];
  connections = 0;
  private ended = 0;
  private readonly clock: Clock;
  private readonly watchdogMs: number;
  private settle!: { resolve: () => void; reject: (err: Error) => void };
  private readonly done: Promise<void>;
  private cancelWatchdog: () => void;

  constructor(
    private readonly scripts: Step[][],
    opts: ScriptOptions,
  ) {
    this.clock = opts.clock ?? systemClock;
    this.watchdogMs = opts.watchdogMs ?? 5000;
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.done.catch(() => undefined); // observed through finished(); never an unhandled rejection
    this.cancelWatchdog = this.clock.setTimer(
      this.watchdogMs,
      () => this.settle.reject(new Error('scripted server: no client connected')),
      { unref: true },
    );
  }

  accept(stream: Duplex): void {
    this.connections++;
    if (this.connections > this.scripts.length) {
      stream.destroy();
      this.settle.reject(
        new Error(
          this.scripts.length === 1
            ? 'scripted server: a second connection was opened'
            : `scripted server: connection ${this.connections} was opened; the script has ${this.scripts.length}`,
        ),
      );
      return;
    }
    this.cancelWatchdog();
    const lines: string[] = [];
    this.sessions.push(lines);
    const script = this.scripts[this.connections - 1]!;
    new Conversation(stream, script, lines, this.watchdogMs, this.clock).run().then(() => {
      this.ended++;
      if (this.ended === this.scripts.length) return this.settle.resolve();
      if (this.connections === this.ended) {
        this.cancelWatchdog = this.clock.setTimer(
          this.watchdogMs,
          () =>
            this.settle.reject(
              new Error(`scripted server: session ${this.ended + 1} never connected`),
            ),
          { unref: true },
        );
      }
    }, this.settle.reject);
  }

  view(port: number, target: string, close: () => Promise<void>): ScriptedServer {
    const runner = this;
    return {
      port,
      target,
      get received() {
        return runner.sessions.flat();
      },
      sessions: runner.sessions,
      get connections() {
        return runner.connections;
      },
      finished: () => runner.done,
      close: () => {
        runner.cancelWatchdog();
        return close();
      },
    };
  }
}

class Conversation implements Conn {
  socket: Duplex;
  closed = false;
  readonly whenClosed: Promise<void>;
  private buffer = '';
  private readonly pending: string[] = [];
  private wake?: () => void;
  private failure?: Error;

  constructor(
    socket: Duplex,
    private readonly steps: Step[],
    private readonly received: string[],
    private readonly watchdogMs: number,
    private readonly clock: Clock,
  ) {
    this.socket = socket;
    this.whenClosed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.poke();
        resolve();
      }),
    );
    this.listen(socket);
  }

  async run(): Promise<void> {
    const cancel = this.clock.setTimer(
      this.watchdogMs,
      () => {
        this.fail(
          new Error(`scripted server: stuck (lines so far: ${JSON.stringify(this.received)})`),
        );
        this.socket.destroy(); // ends delays and custom steps waiting on the client
      },
      { unref: true },
    );
    try {
      for (const [i, step] of this.steps.entries()) {
        await this.play(step, i);
        this.check();
      }
      // Script over: the client may only close now; any further line is unexpected.
      while (!this.closed || this.pending.length > 0) {
        const line = await this.nextLine();
        if (line !== undefined)
          throw new Error(
            `scripted server: unexpected line after the script ended: ${JSON.stringify(line)}`,
          );
      }
      this.check();
    } finally {
      cancel();
      this.socket.destroy();
    }
  }

  write(data: string): Promise<boolean> {
    if (this.closed || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(data, (err) => resolve(!err)));
  }

  private async play(step: Step, index: number): Promise<void> {
    switch (step.kind) {
      case 'expect': {
        const line = await this.nextLine();
        const want = step.match;
        if (line === undefined)
          throw new Error(
            `scripted server: client closed at step ${index}, expecting ${String(want)}`,
          );
        const ok = typeof want === 'string' ? line === want : want.test(line);
        if (!ok)
          throw new Error(
            `scripted server: step ${index} expected ${typeof want === 'string' ? JSON.stringify(want) : String(want)}, client sent ${JSON.stringify(line)}`,
          );
        if (step.respond)
          await this.write(
            step
              .respond(line)
              .map((l) => `${l}\r\n`)
              .join(''),
          );
        return;
      }
      case 'send':
        await this.write(step.data);
        return;
      case 'close':
        this.socket.end();
        return;
      case 'delay':
        await new Promise<void>((r) => this.clock.setTimer(step.ms, r));
        return;
      case 'tls':
        return this.upgrade(step);
      case 'act':
        return step.fn(this);
    }
  }

  private upgrade(creds: { key: string; cert: string }): void {
    // RFC 3207 §4.2: the client must not send anything between 220 and the handshake.
    if (this.pending.length > 0 || this.buffer !== '') {
      throw new Error(
        `scripted server: client sent plaintext after STARTTLS: ${JSON.stringify([...this.pending, this.buffer])}`,
      );
    }
    const raw = this.socket;
    raw.removeAllListeners('data');
    const tls = new TLSSocket(raw, { isServer: true, key: creds.key, cert: creds.cert });
    tls.on('error', () => tls.destroy()); // a client that rejects our certificate just hangs up
    this.socket = tls;
    this.listen(tls);
  }

  private listen(socket: Duplex): void {
    // Decoded here, not with setEncoding: a TLS layer put on this stream later must still read bytes.
    const decoder = new StringDecoder('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      this.buffer += decoder.write(chunk);
      for (let lf = this.buffer.indexOf('\n'); lf !== -1; lf = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, lf);
        this.buffer = this.buffer.slice(lf + 1);
        if (!line.endsWith('\r'))
          this.fail(
            new Error(`scripted server: client line not ended by CRLF: ${JSON.stringify(line)}`),
          );
        const text = line.replace(/\r$/, '');
        this.received.push(text);
        this.pending.push(text);
      }
      this.poke();
    });
  }

  private nextLine(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const attempt = (): void => {
        if (this.failure || (this.pending.length === 0 && this.closed)) resolve(undefined);
        else if (this.pending.length > 0) resolve(this.pending.shift());
        else this.wake = attempt;
      };
      attempt();
    }).then((line) => {
      this.check();
      return line as string | undefined;
    });
  }

  private poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.poke();
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}
