/**
 * hostileServer: an SMTP server on the in-memory network that misbehaves on
 * purpose, one named way at a time (see hostile-catalogue.ts), for the
 * hostile-server tier. Without a misbehaviour it is the plain MTA
 * (hostile-plain-mta.ts); a misbehaviour replaces the greeting, any command's
 * answer, or how every byte leaves (line ends, drip-feeding). Time is the
 * world's virtual clock, so silence and drips cost no wall time. It records
 * every octet the client sent in plaintext (inside TLS after STARTTLS), per
 * connection, so a test can check what left the client.
 */
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import type { CertKind, HostileCerts } from './hostile-certs.js';
import {
  type Command,
  GREETING,
  MX_ADDRESS,
  PLAIN_EHLO,
  plainReply,
  stageOf,
  type Trigger,
} from './hostile-plain-mta.js';
import type { MemoryStream } from './memory-net.js';
import type { MemoryWorld } from './memory-world.js';

/** Misbehaviour: a named way to break SMTP; every hook is optional (the default is a plain MTA). */
export interface Misbehaviour {
  name: string;
  what: string;
  /** Offer STARTTLS and present this certificate (default: STARTTLS not offered). */
  tls?: CertKind;
  /** EHLO's extension lines, instead of the plain MTA's. */
  ehlo?: string[];
  /** Milliseconds of virtual time between octets: every write leaves one byte at a time. */
  dripMs?: number;
  /** The opening move (default: the 220 banner). */
  greet?: (c: HostileConn) => void | Promise<void>;
  /** A command's answer; return true when handled, anything else leaves it to the plain MTA. */
  command?: (c: HostileConn, cmd: Command) => boolean | undefined | Promise<boolean | undefined>;
  /** Every octet the server writes passes through here (line ends, injected bytes). */
  encode?: (data: Buffer) => Buffer;
  /** Its answers are its own, not the plain MTA's: results cannot be checked against the plain MTA's. */
  ownAnswers?: boolean;
}

/** HostileSession: what one connection saw from the client. */
export interface HostileSession {
  /** Plaintext octets from the client: inside TLS after STARTTLS; none after ignoreInput() (a ClientHello is not lines). */
  bytes: Buffer[];
  /** The client's lines, split at LF, CR dropped. */
  lines: string[];
}

/** HostileServer: what the server did and saw. */
export interface HostileServer {
  sessions: HostileSession[];
  /** Octets written, all connections. */
  written: number;
  /** reply() calls: SMTP replies written whole. */
  replies: number;
  /** What went wrong in the server itself (a misbehaviour that threw): a broken test, not a finding. */
  errors: string[];
  /** stop: hang up every connection and end every loop (drips, floods). */
  stop(): void;
}

const WORK: Trigger[] = ['mail', 'rcpt', 'vrfy', 'expn', 'census'];

/** HostileConn: the server's side of one connection, as a misbehaviour drives it. */
export class HostileConn {
  stream: Duplex;
  closed = false;
  tls = false;
  /** Scratch space for a misbehaviour that needs memory across commands. */
  readonly state: Record<string, unknown> = {};
  private pending = Buffer.alloc(0);
  private commands = Promise.resolve();
  private out = Promise.resolve();
  private mainSeen = false;

  constructor(
    readonly raw: MemoryStream,
    readonly index: number,
    private readonly server: ServerState,
    readonly log: HostileSession,
  ) {
    this.stream = raw;
    raw.on('error', () => undefined);
    raw.on('close', () => {
      this.closed = true;
    });
    raw.on('data', this.onData);
  }

  /** write: octets as they are, through the misbehaviour's encoder (and drip); false once closed. */
  write(data: string | Buffer): boolean {
    if (this.gone) return false;
    const m = this.server.misbehaviour;
    const raw = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const bytes = m.encode ? m.encode(raw) : raw;
    this.server.written += bytes.length;
    if (m.dripMs === undefined) {
      this.stream.write(bytes);
      return true;
    }
    const stream = this.stream;
    const ms = m.dripMs;
    this.out = this.out.then(async () => {
      for (const byte of bytes) {
        if (this.gone) return;
        stream.write(Buffer.of(byte));
        await this.server.clock.sleep(ms);
      }
    });
    return true;
  }

  /** reply: lines, each ended by CRLF, in one write. */
  reply(...lines: string[]): void {
    this.server.replies++;
    this.write(lines.map((l) => `${l}\r\n`).join(''));
  }

  /** writeRaw: octets on the TCP stream under any TLS layer, unencoded (text outside the TLS stream). */
  writeRaw(data: string): void {
    if (!this.gone) this.raw.write(data);
  }

  /** end: FIN after what was written (a drip finishes first); the server still reads. */
  end(): void {
    this.out = this.out.then(() => {
      if (!this.gone) this.stream.end();
    });
  }

  /** reset: RST, at once. */
  reset(): void {
    this.closed = true;
    this.raw.destroy();
  }

  /** hangUp: FIN ('close') or RST ('rst'). */
  hangUp(how: 'close' | 'rst'): void {
    if (how === 'close') this.end();
    else this.reset();
  }

  /** flood: `chunk` over and over, yielding between writes, until `capOctets` or the client hangs up. Returns octets sent. */
  async flood(chunk: string, capOctets: number): Promise<number> {
    let sent = 0;
    while (sent < capOctets && !this.gone) {
      this.write(chunk);
      sent += chunk.length;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return sent;
  }

  /** sleep: `ms` of virtual time; false when the connection is gone by then. */
  async sleep(ms: number): Promise<boolean> {
    await this.server.clock.sleep(ms);
    return !this.gone;
  }

  /** ignoreInput: stop reading lines (after a STARTTLS the server will not complete); bytes are drained. */
  ignoreInput(): void {
    this.stream.off('data', this.onData);
    this.stream.on('data', () => undefined);
  }

  /** startTls: become a TLS server on the raw stream with the `kind` certificate (after the 220 to STARTTLS). */
  startTls(kind: CertKind): void {
    const creds = this.server.certs?.[kind];
    if (!creds) throw new Error(`hostile server: no ${kind} certificate (pass certs)`);
    this.raw.off('data', this.onData);
    this.pending = Buffer.alloc(0);
    const tls = new TLSSocket(this.raw, { isServer: true, key: creds.key, cert: creds.cert });
    tls.on('error', () => tls.destroy());
    tls.on('close', () => {
      this.closed = true;
    });
    tls.on('data', this.onData);
    this.stream = tls;
    this.tls = true;
  }

  /** answer: the plain MTA's move for `cmd`. */
  answer(cmd: Command): void {
    const m = this.server.misbehaviour;
    if (cmd.verb === 'QUIT') {
      this.reply('221 2.0.0 Bye');
      this.end();
    } else if (cmd.verb === 'STARTTLS' && m.tls && !this.tls) {
      this.reply('220 2.0.0 Ready to start TLS');
      this.startTls(m.tls);
    } else {
      const ehlo = [...(m.ehlo ?? PLAIN_EHLO), ...(m.tls && !this.tls ? ['STARTTLS'] : [])];
      this.reply(...plainReply(cmd, ehlo));
    }
  }

  get gone(): boolean {
    return this.closed || this.server.stopped || this.stream.destroyed || !this.stream.writable;
  }

  private readonly onData = (chunk: Buffer): void => {
    this.log.bytes.push(chunk);
    const text = Buffer.concat([this.pending, chunk]);
    const lines: string[] = [];
    let start = 0;
    for (let lf = text.indexOf(0x0a); lf !== -1; lf = text.indexOf(0x0a, start)) {
      lines.push(text.subarray(start, lf).toString('utf8').replace(/\r$/, ''));
      start = lf + 1;
    }
    this.pending = text.subarray(start);
    for (const [index, line] of lines.entries()) {
      this.log.lines.push(line);
      const verb = (line.split(' ')[0] ?? '').toUpperCase();
      const stage = stageOf(verb);
      const main = !this.mainSeen && WORK.includes(stage);
      if (main) this.mainSeen = true;
      const cmd: Command = { verb, line, stage, main, group: lines, index };
      this.commands = this.commands.then(() => this.handle(cmd)).catch(this.server.failed);
    }
  };

  private async handle(cmd: Command): Promise<void> {
    if (this.gone) return;
    const handled = await this.server.misbehaviour.command?.(this, cmd);
    if (handled !== true && !this.gone) this.answer(cmd);
  }
}

interface ServerState {
  misbehaviour: Misbehaviour;
  clock: MemoryWorld['clock'];
  certs?: HostileCerts;
  written: number;
  replies: number;
  stopped: boolean;
  failed: (err: unknown) => void;
}

/** hostileServer: serve `misbehaviour` at MX_ADDRESS:25 in `world`. */
export function hostileServer(
  world: MemoryWorld,
  misbehaviour: Misbehaviour,
  certs?: HostileCerts,
): HostileServer {
  const errors: string[] = [];
  const state: ServerState = {
    misbehaviour,
    clock: world.clock,
    written: 0,
    replies: 0,
    stopped: false,
    failed: (err) => errors.push(err instanceof Error ? (err.stack ?? err.message) : String(err)),
    ...(certs ? { certs } : {}),
  };
  const sessions: HostileSession[] = [];
  const conns: HostileConn[] = [];
  world.net.listen(`${MX_ADDRESS}:25`, (stream) => {
    const log: HostileSession = { bytes: [], lines: [] };
    sessions.push(log);
    const conn = new HostileConn(stream, conns.length, state, log);
    conns.push(conn);
    void Promise.resolve()
      .then(() => (misbehaviour.greet ? misbehaviour.greet(conn) : conn.reply(GREETING)))
      .catch(state.failed);
  });
  return {
    sessions,
    errors,
    get written() {
      return state.written;
    },
    get replies() {
      return state.replies;
    },
    stop() {
      state.stopped = true;
      for (const c of conns) c.raw.destroy();
    },
  };
}
