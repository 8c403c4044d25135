/**
 * A bare SMTP client for the lab-sites tests (lab-sites.ts, lab-sites-relay.ts): open a
 * socket, send lines, read whole replies, upgrade to TLS. No session logic, so the tests see
 * the lab host as it is. It holds no tests itself.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

/** Wire: one reply: its code and its lines without the code. */
export interface Wire {
  code: number;
  lines: string[];
}

/** REPLY_MS: how long a reply may take; lab hosts answer at once, so anything longer is a hang. */
export const REPLY_MS = 5_000;

/** Client: see the module comment. */
export class Client {
  private buf = '';
  private readonly replies: Wire[] = [];
  private wake?: () => void;
  private ended = false;
  private bytes = 0;

  private constructor(private socket: Socket) {
    this.watch(socket);
  }

  /** open: a connection to address:port, or the connect error (ECONNREFUSED for a refused host). */
  static open(address: string, port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: address, port });
      s.once('connect', () => {
        s.off('error', reject);
        resolve(new Client(s));
      });
      s.once('error', reject);
    });
  }

  /** greeted: open, read the 220 and say EHLO; returns the client and the EHLO reply. */
  static async greeted(address: string, port: number): Promise<{ c: Client; ehlo: Wire }> {
    const c = await Client.open(address, port);
    const hello = await c.reply();
    if (hello.code !== 220) throw new Error(`greeting ${hello.code} ${hello.lines.join(' ')}`);
    return { c, ehlo: await c.command('EHLO client.example') };
  }

  /** received: how many bytes the server has sent so far. */
  get received(): number {
    return this.bytes;
  }

  /** open: whether the connection is still up. */
  get isOpen(): boolean {
    return !this.ended;
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  async command(line: string): Promise<Wire> {
    this.send(line);
    return this.reply();
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

  /** startTls: STARTTLS has been answered 220; the handshake, trusting `ca`, verifying against `servername`. */
  startTls(ca: string, servername: string): Promise<TLSSocket> {
    this.socket.removeAllListeners('data');
    return new Promise((resolve, reject) => {
      const t = tlsConnect(
        { socket: this.socket, ca, servername, rejectUnauthorized: false },
        () => {
          this.socket = t;
          this.watch(t);
          resolve(t);
        },
      );
      t.once('error', reject);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private watch(s: Socket): void {
    s.on('error', () => undefined);
    s.once('close', () => {
      this.ended = true;
      this.wake?.();
    });
    s.on('data', (d: Buffer) => {
      this.bytes += d.length;
      this.buf += d.toString('utf8');
      let lines: string[] = [];
      for (let nl = this.buf.indexOf('\r\n'); nl !== -1; nl = this.buf.indexOf('\r\n')) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 2);
        lines.push(line.slice(4));
        if (line[3] !== '-') {
          this.replies.push({ code: Number(line.slice(0, 3)), lines });
          lines = [];
        }
      }
      this.wake?.();
    });
  }
}

/** connectError: the code of the error connecting to address:port gives ('ECONNREFUSED'), or null when it connects. */
export async function connectError(address: string, port: number): Promise<string | null> {
  try {
    (await Client.open(address, port)).close();
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}
