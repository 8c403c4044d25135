/** FakeWire: an in-memory duplex for SmtpSession: records what the client writes, lets a test play the server. */
import { Duplex } from 'node:stream';

/** FakeWire: see the module comment. */
export class FakeWire extends Duplex {
  /** Every write the client made, as text, one entry per write call. */
  readonly writes: string[] = [];
  private answers: string[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writes.push(chunk.toString('utf8'));
    const answer = this.answers.shift();
    if (answer !== undefined) this.serve(answer);
    cb();
  }

  /** answer: bytes to serve after each of the client's next writes, in order (a server that only speaks when spoken to). */
  answer(...texts: string[]): void {
    this.answers.push(...texts);
  }

  override _read(): void {}

  /** serve: bytes from the server. */
  serve(text: string): void {
    this.push(Buffer.from(text, 'utf8'));
  }

  /** hangUp: the server closes its side. */
  hangUp(): void {
    this.push(null);
  }
}
