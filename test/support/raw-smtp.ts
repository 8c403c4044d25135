/**
 * RawSmtp: a bare SMTP client for the lab's behaviour tests (lab.ts, lab-verify.ts,
 * lab-send.ts, lab-sites.ts, lab-sites-relay.ts): send lines or bytes as given, read whole
 * replies, upgrade to TLS. No session logic, so a test sees the server as it is, out-of-turn
 * replies and all.
 */
import { connect, type Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';

/** Wire: one reply: its code, its lines without the code, and when it arrived if the client was opened `timed`. */
export interface Wire {
  code: number;
  lines: string[];
  at?: number;
}

/** REPLY_MS: how long a reply may take by default; lab hosts answer at once, so longer is a hang. */
const REPLY_MS = 3_000;

/** crlf: lines as they go on the wire, each ended by CRLF; a Buffer goes as its bytes (for content that is not UTF-8). */
export const crlf = (lines: (string | Buffer)[]): Buffer =>
  Buffer.concat(lines.flatMap((l) => [Buffer.from(l), Buffer.from('\r\n')]));

/** RawSmtp: see the module comment. */
export class RawSmtp {
  private buf = '';
  private pending: string[] = [];
  private readonly replies: Wire[] = [];
  private wake?: () => void;
  private ended = false;
  /** chunks: how many data events carried the replies so far (one a segment, as the host wrote them). */
  chunks = 0;
  /** received: how many bytes the server has sent so far. */
  received = 0;
  readonly closed: Promise<void>;
  /** local: this end's address:port, as the lab's sessions record the client. */
  readonly local: string;
  /** remote: the address this connection went to. */
  readonly remote: string;

  private constructor(
    private socket: Socket,
    private readonly timed: boolean,
  ) {
    this.local = `${socket.localAddress}:${socket.localPort}`;
    this.remote = socket.remoteAddress ?? '';
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
    this.listen(socket);
  }

  /**
   * open: a connection to address:port, or the connect error (ECONNREFUSED where nothing
   * listens). `timed` stamps each reply with its arrival time (`performance.now()`) in `at`;
   * off, replies are plain `{ code, lines }`, so tests can deepEqual them.
   */
  static open(address: string, port: number, { timed = false } = {}): Promise<RawSmtp> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: address, port });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new RawSmtp(s, timed));
      });
      s.once('error', reject);
    });
  }

  /** greeted: open, read the 220 (anything else throws) and say EHLO; the client and the EHLO reply. */
  static async greeted(
    address: string,
    port: number,
    options: { timed?: boolean } = {},
  ): Promise<{ c: RawSmtp; ehlo: Wire }> {
    const c = await RawSmtp.open(address, port, options);
    const hello = await c.reply();
    if (hello.code !== 220) throw new Error(`greeting ${hello.code} ${hello.lines.join(' ')}`);
    return { c, ehlo: await c.command('EHLO client.example') };
  }

  /** isClosed: whether the connection has closed. */
  get isClosed(): boolean {
    return this.ended;
  }

  /** send: lines in one write (pipelined when there are several); see `crlf`. */
  send(...lines: (string | Buffer)[]): void {
    this.socket.write(crlf(lines));
  }

  /** finish: send `lines` and our FIN with them (as a client does after QUIT). */
  finish(...lines: string[]): void {
    this.socket.end(crlf(lines));
  }

  /** reply: the next whole reply; rejects when the connection closes first or after `ms`. */
  async reply(ms = REPLY_MS): Promise<Wire> {
    const deadline = Date.now() + ms;
    while (this.replies.length === 0) {
      if (this.ended) throw new Error('closed before a reply');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${ms} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.replies.shift()!;
  }

  /** take: the next `n` replies, each within `ms`. */
  async take(n: number, ms = REPLY_MS): Promise<Wire[]> {
    const out: Wire[] = [];
    for (let i = 0; i < n; i++) out.push(await this.reply(ms));
    return out;
  }

  /** codes: the codes of the next `n` replies. */
  async codes(n: number): Promise<number[]> {
    return (await this.take(n)).map((w) => w.code);
  }

  /** command: send one line and read its reply. */
  async command(line: string): Promise<Wire> {
    this.send(line);
    return this.reply();
  }

  /** silentFor: true when nothing at all (not even part of a line) arrives for `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    await new Promise((r) => setTimeout(r, ms));
    return this.buf === '' && this.replies.length === 0;
  }

  /**
   * startTls: after a 220 to STARTTLS, the handshake over the same socket, trusting `ca`, with
   * `servername` as SNI. An untrusted chain does not fail it: the TLS socket says whether the
   * chain verified (`authorized`) and shows the certificate, so a test can assert on both.
   */
  startTls(ca: string, servername: string): Promise<TLSSocket> {
    this.socket.removeAllListeners('data');
    return new Promise((resolve, reject) => {
      const t = tlsConnect(
        { socket: this.socket, ca, servername, rejectUnauthorized: false },
        () => {
          this.socket = t;
          this.listen(t);
          resolve(t);
        },
      );
      t.once('error', reject);
    });
  }

  /** close: destroy the socket at once (no QUIT, no FIN first). */
  close(): void {
    this.socket.destroy();
  }

  private listen(s: Socket): void {
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      this.chunks++;
      this.received += d.length;
      this.buf += d.toString('utf8');
      for (let nl = this.buf.indexOf('\r\n'); nl !== -1; nl = this.buf.indexOf('\r\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 2);
        this.pending.push(line.slice(4));
        if (line[3] === '-') continue;
        const reply: Wire = { code: Number(line.slice(0, 3)), lines: this.pending };
        if (this.timed) reply.at = performance.now();
        this.replies.push(reply);
        this.pending = [];
      }
      this.wake?.();
    });
  }
}

/** connectError: the code of the error connecting to address:port gives ('ECONNREFUSED'), or null when it connects. */
export async function connectError(address: string, port: number): Promise<string | null> {
  try {
    (await RawSmtp.open(address, port)).close();
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}
