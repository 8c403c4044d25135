/**
 * ReplyReader: the receiving half of a session. Listens on a stream, frames
 * lines, records them in the transcript, assembles replies and hands them out
 * one at a time with a deadline. A syntax error or a closed stream is kept and
 * given to every later reader: the conversation cannot go on after either.
 */
import type { Duplex } from 'node:stream';
import { ProbeError, type Stage } from '../errors.js';
import { LineSplitter, LineTooLongError } from '../smtp/lines.js';
import { ReplyAssembler, type ReplySyntaxError, type Reply } from '../smtp/reply.js';
import { classifySocketError } from '../net/socket-error.js';
import type { Deadline } from '../time/deadline.js';
import type { Transcript } from './transcript.js';

type Failure =
  | { kind: 'syntax'; err: ReplySyntaxError | LineTooLongError }
  | { kind: 'closed'; err?: NodeJS.ErrnoException };

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

  constructor(
    private readonly transcript: Transcript,
    private readonly endpoint: string,
  ) {}

  private readonly onData = (chunk: Buffer): void => {
    if (this.failure) return;
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

  private failureError(f: Failure, stage: Stage): ProbeError {
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
