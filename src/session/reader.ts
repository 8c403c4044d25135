/**
 * ReplyReader: the receiving half of a session. Listens on a stream, frames
 * lines, records them in the transcript, assembles replies and hands them out
 * one at a time with a deadline. A syntax error or a closed stream is kept and
 * given to every later reader: the conversation cannot go on after either.
 * It also looks at the first bytes of the connection: a TLS record there means
 * a port that speaks TLS from the first byte, probed in clear.
 */
import type { Duplex } from 'node:stream';
import { ProbeError, type Stage } from '../errors.js';
import { LineSplitter, LineTooLongError } from '../smtp/lines.js';
import { ReplyAssembler, type ReplySyntaxError, type Reply } from '../smtp/reply.js';
import { classifySocketError } from '../net/socket-error.js';
import { explainTlsError, isOpenSslError } from '../net/tls.js';
import type { Deadline } from '../time/deadline.js';
import type { Transcript } from './transcript.js';

type Failure =
  | { kind: 'syntax'; err: ReplySyntaxError | LineTooLongError }
  | { kind: 'tls-record'; header: Buffer }
  | { kind: 'closed'; err?: NodeJS.ErrnoException };

/** IMPLICIT_TLS_HINT: what to say when a port looks like it speaks TLS from the first byte (RFC 8314). */
export const IMPLICIT_TLS_HINT = 'this port may speak TLS from the first byte: try --implicit-tls';

// RFC 8446 §5.1 (and every TLS and SSLv3 before it): a record starts with its
// content type (0x14-0x17), then the protocol version, major 3 (0x03 0x0X).
// No SMTP reply starts with these bytes.
const TLS_CONTENT_TYPES: Record<number, string> = {
  20: 'change_cipher_spec',
  21: 'alert',
  22: 'handshake',
  23: 'application_data',
};

/** couldBeTlsRecord: whether `head` (the first bytes of a connection, up to 3) can begin a TLS record. */
function couldBeTlsRecord(head: Buffer): boolean {
  const [type, major, minor] = head;
  return (
    (type === undefined || TLS_CONTENT_TYPES[type] !== undefined) &&
    (major === undefined || major === 0x03) &&
    (minor === undefined || minor <= 0x0f)
  );
}

interface Waiter {
  resolve: (reply: Reply) => void;
  reject: (err: unknown) => void;
  stage: Stage;
}

const ignore = (): void => {};

/** ReplyReader: see the module comment. */
export class ReplyReader {
  private readonly splitter = new LineSplitter();
  private readonly assembler = new ReplyAssembler();
  private readonly queue: Reply[] = [];
  private failure?: Failure;
  private waiter?: Waiter;
  private stream?: Duplex;
  // The first bytes of the connection, while they may still be a TLS record header; undefined once known.
  private head: Buffer | undefined = Buffer.alloc(0);

  constructor(
    private readonly transcript: Transcript,
    private readonly endpoint: string,
  ) {}

  private readonly onData = (chunk: Buffer): void => {
    if (this.failure) return;
    if (this.head && this.sniff(chunk)) {
      this.settle();
      return;
    }
    try {
      for (const line of this.splitter.push(chunk)) {
        this.transcript.received(line);
        const reply = this.assembler.push(line);
        if (reply) this.queue.push(reply);
      }
    } catch (err) {
      this.failure = { kind: 'syntax', err: err as ReplySyntaxError | LineTooLongError };
      this.stream?.destroy();
    }
    this.settle();
  };

  private readonly onClose = (): void => {
    this.failure ??= { kind: 'closed' };
    this.settle();
  };

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    this.failure ??= { kind: 'closed', err };
    this.settle();
  };

  /**
   * sniff: look at the connection's first three bytes. A TLS record header
   * there (a TLS server's alert or handshake to a client that sent no
   * ClientHello) ends the conversation at once, instead of waiting out the
   * greeting timeout for a greeting that will never come in clear.
   */
  private sniff(chunk: Buffer): boolean {
    const head = Buffer.concat([this.head!, chunk.subarray(0, 3 - this.head!.length)]);
    this.head = couldBeTlsRecord(head) && head.length < 3 ? head : undefined;
    if (head.length < 3 || !couldBeTlsRecord(head)) return false;
    this.transcript.note(
      `received ${head.toString('hex').replace(/(..)(?!$)/g, '$1 ')}…: a TLS ${TLS_CONTENT_TYPES[head[0]!]} record, not SMTP`,
    );
    this.failure = { kind: 'tls-record', header: head };
    this.stream?.destroy();
    return true;
  }

  /** attach: start reading `stream` (the TCP socket, later the TLS socket). */
  attach(stream: Duplex): void {
    this.stream = stream;
    stream.on('data', this.onData);
    stream.on('end', this.onClose);
    stream.on('close', this.onClose);
    stream.on('error', this.onError);
  }

  /**
   * detach: stop reading and forget every byte and reply received so far
   * (RFC 3207 §6: nothing the server said before the TLS handshake may be
   * trusted after it; this is the defence against injected plaintext).
   */
  detach(): void {
    const s = this.stream;
    if (s) {
      s.off('data', this.onData);
      s.off('end', this.onClose);
      s.off('close', this.onClose);
      s.off('error', this.onError);
      // A reset can still arrive after we stop listening; unhandled, it would crash the process.
      s.on('error', ignore);
    }
    this.stream = undefined;
    // Only the connection's first bytes are sniffed: after an upgrade the stream carries TLS's plaintext.
    this.head = undefined;
    this.splitter.reset();
    this.assembler.reset();
    this.queue.length = 0;
  }

  /** takeUnsolicited: a complete reply already queued while nobody waits, if any (the caller treats it as a protocol error). */
  takeUnsolicited(): Reply | undefined {
    return this.waiter ? undefined : this.queue.shift();
  }

  /** next: the next reply within `timeoutMs` and the run's deadline, or a ProbeError for `stage`. */
  next(stage: Stage, timeoutMs: number, deadline: Deadline): Promise<Reply> {
    return deadline.phase(
      stage,
      timeoutMs,
      () => this.timeoutError(stage, timeoutMs),
      (signal) =>
        new Promise<Reply>((resolve, reject) => {
          const waiter: Waiter = {
            stage,
            resolve: (reply) => {
              this.waiter = undefined;
              resolve(reply);
            },
            reject: (err) => {
              this.waiter = undefined;
              reject(err);
            },
          };
          // The deadline rejects for us; the waiter must just stop waiting.
          signal.addEventListener('abort', () => waiter.reject(signal.reason), { once: true });
          this.waiter = waiter;
          this.settle();
        }),
      this.endpoint,
    );
  }

  private settle(): void {
    const w = this.waiter;
    if (!w) return;
    const reply = this.queue.shift();
    if (reply) w.resolve(reply);
    else if (this.failure) w.reject(this.failureError(this.failure, w.stage));
  }

  private timeoutError(stage: Stage, ms: number): ProbeError {
    const greeting = stage === 'greeting';
    const partial =
      this.assembler.inProgress || this.splitter.pending > 0
        ? ' (a partial reply arrived, then nothing)'
        : '';
    return new ProbeError({
      code: greeting ? 'GREETING_TIMEOUT' : 'COMMAND_TIMEOUT',
      stage,
      target: this.endpoint,
      message: `${greeting ? 'no greeting' : `no reply during ${stage}`} within ${ms}ms${partial} (address: ${this.endpoint})`,
    });
  }

  private tlsRecordError(header: Buffer, stage: Stage): ProbeError {
    const [type = 0, , minor = 0] = header;
    return new ProbeError({
      code: 'PROTOCOL_ERROR',
      stage,
      target: this.endpoint,
      message: `the server sent a TLS ${TLS_CONTENT_TYPES[type]} record (version 3.${minor}) instead of ${stage === 'greeting' ? 'a greeting' : 'an SMTP reply'}: ${IMPLICIT_TLS_HINT} (address: ${this.endpoint})`,
    });
  }

  private failureError(f: Failure, stage: Stage): ProbeError {
    if (f.kind === 'tls-record') return this.tlsRecordError(f.header, stage);
    if (f.kind === 'syntax') {
      const tooLarge =
        f.err instanceof LineTooLongError ||
        f.err.kind === 'too-large' ||
        f.err.kind === 'too-many-lines';
      return new ProbeError({
        code: tooLarge ? 'REPLY_TOO_LARGE' : 'PROTOCOL_ERROR',
        stage,
        target: this.endpoint,
        cause: f.err,
        message: `${f.err.message} (during ${stage}, address: ${this.endpoint})`,
      });
    }
    // An OpenSSL error on an established TLS stream (only a TLS socket raises one) is a broken
    // record, not a hang-up: say which, rather than CONNECTION_CLOSED with a bare ERR_SSL_ code.
    if (f.err && isOpenSslError(f.err))
      return new ProbeError({
        code: 'TLS_HANDSHAKE_FAILED',
        stage,
        target: this.endpoint,
        cause: f.err,
        message: `TLS record error during ${stage} (address: ${this.endpoint}): ${explainTlsError(f.err, 'established')}`,
      });
    if (f.err && f.err.code !== undefined && f.err.code !== 'ECONNRESET')
      return classifySocketError(f.err, stage, this.endpoint);
    const reset = f.err?.code === 'ECONNRESET' ? ' (reset)' : '';
    return new ProbeError({
      code: 'CONNECTION_CLOSED',
      stage,
      target: this.endpoint,
      cause: f.err,
      message: `server closed the connection${reset} during ${stage} (address: ${this.endpoint})`,
    });
  }
}
