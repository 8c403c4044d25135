/**
 * LabConnection: one accepted socket played by a Conversation. It frames
 * lines, runs them strictly in order (so PIPELINING works: every complete
 * line in the buffer is answered in turn, RFC 2920 §3.1), waits out delays,
 * upgrades to TLS on STARTTLS, and keeps its memory bounded whatever the
 * client does. Lines stay bytes until they are answered: only then is it
 * known whether a line is a command or message content after DATA's 354
 * (a pipelining client sends both at once), and content is never decoded.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { Conversation, type Step } from './conversation.js';
import type { GreylistStore } from './greylist.js';
import type { MessageSink } from './messages.js';
import type { Personality } from './personality.js';

/** MAX_LINE_OCTETS: longest line taken, command or message text (RFC 5321 §4.5.3.1.4 says 512 and §4.5.3.1.6 1000; real servers allow more, so the lab does too). */
export const MAX_LINE_OCTETS = 2048;
/** IDLE_TIMEOUT_MS: a speaking host says 421 and closes after this much silence (RFC 5321 §4.5.3.2.7's 5 minutes). */
export const IDLE_TIMEOUT_MS = 300_000;
// Beyond this many unanswered lines, stop reading: TCP flow control then holds the client back.
const MAX_QUEUED_LINES = 100;
// A client that sends but never reads would otherwise make us buffer replies without end.
const MAX_UNSENT_OCTETS = 64 * 1024;
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
// After our FIN (QUIT, 421), how long a client may keep the socket before we drop it.
const CLOSE_GRACE_MS = 2_000;

const TOO_LONG = Symbol('line too long');
type Item = Buffer | typeof TOO_LONG;
const EMPTY = Buffer.alloc(0);

/** ConnectionOptions: what a connection needs from its lab. */
export interface ConnectionOptions {
  personality: Personality;
  /** hostname: the name the host answers as (a scenario host's own name). */
  hostname: string;
  /** mailDomains: other domains RCPT accepts mail for. */
  mailDomains?: readonly string[];
  /** tlsContext: the host's certificate, needed when it offers STARTTLS (made on first use, so it may take a moment). */
  tlsContext?: () => Promise<SecureContext>;
  /** greylist: the host's greylisting memory, shared by all its connections. */
  greylist?: GreylistStore;
  /** conn: the connection's number in the lab, kept with the messages it brings. */
  conn?: number;
  /** messages: where the messages the host accepts go (Personality.acceptsMail). */
  messages?: MessageSink;
  /**
   * log: called for every line read that is not message content, in order,
   * with whether TLS was up; AUTH's secrets already replaced (Conversation.shown).
   */
  log(line: string, tls: boolean): void;
  /** onReply: called with the code of every reply written (greeting included). */
  onReply?(code: number): void;
  /** onClose: called once the socket is gone; `closedBy` says whether the host hung up first (QUIT's 221, a 421) or the client did. */
  onClose(closedBy: 'server' | 'client'): void;
}

/** LabConnection: see the module comment. */
export class LabConnection {
  private stream: Socket | TLSSocket;
  private readonly conversation: Conversation;
  private pending: Buffer = EMPTY;
  private readonly queue: Item[] = [];
  private waiting?: (item: Item | null) => void;
  private sleeping?: { timer: NodeJS.Timeout; wake: () => void };
  private overflowed = false;
  /** over: the conversation has ended; lines still arriving are only logged. */
  private over = false;
  /** ended: the client sent its FIN; the lines before it are still answered, as a real MTA does. */
  private ended = false;
  /** clientFirst: that FIN came before we hung up: the client closed the connection. */
  private clientFirst = false;
  private tls = false;
  private closed = false;
  private hungUp = false;
  private corked = false;

  constructor(
    private readonly raw: Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.stream = raw;
    this.conversation = new Conversation(opts.personality, {
      name: opts.hostname,
      mailDomains: opts.mailDomains ?? [],
      client: raw.remoteAddress ?? '',
      remote: `${raw.remoteAddress}:${raw.remotePort}`,
      ...(opts.conn !== undefined ? { conn: opts.conn } : {}),
      ...(opts.greylist ? { greylist: opts.greylist } : {}),
      ...(opts.messages ? { messages: opts.messages } : {}),
    });
  }

  /** start: listen, greet, and answer commands until either side closes. */
  start(): void {
    // Resets and aborted handshakes are ordinary client behaviour; they end this connection only.
    this.raw.on('error', () => this.lost());
    this.raw.once('close', () => this.finish());
    this.raw.on('data', this.onData);
    this.raw.once('end', this.onEnd);
    // Replies go out when we say so (see write), never held back by Nagle waiting for a delayed ACK.
    this.raw.setNoDelay(true);
    // A silent host keeps the socket for as long as the client does.
    if (this.conversation.speaks) this.raw.setTimeout(IDLE_TIMEOUT_MS, this.onIdle);
    this.serve().then(
      () => {
        this.drain();
        // The client is done sending and everything it sent is answered: our FIN too.
        if (this.ended && !this.closed && !this.hungUp) this.end();
      },
      () => this.destroy(),
    );
  }

  /** onEnd: the client's FIN. What it sent before is answered (see next); a silent or finished host just closes. */
  private readonly onEnd = (): void => {
    this.ended = true;
    if (!this.hungUp) this.clientFirst = true;
    if (!this.conversation.speaks || this.over) {
      if (!this.hungUp) this.end();
      return;
    }
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter?.(null);
  };

  /** destroy: the host drops the connection now (lab shutdown, a broken client). */
  destroy(): void {
    if (!this.closed) this.hungUp = true;
    this.lost();
  }

  /** lost: the connection is gone from under us (a reset, a failed handshake): close what is left. */
  private lost(): void {
    this.stream.destroy();
    this.raw.destroy();
  }

  private async serve(): Promise<void> {
    const greeting = this.conversation.greeting();
    if (!greeting || !(await this.perform(greeting))) return;
    for (let item = await this.next(); item !== null; item = await this.next()) {
      const step = this.answer(item);
      if (step && !(await this.perform(step))) return;
    }
  }

  /** answer: one line's Step: message content stays bytes and unlogged; anything else is logged, then handled. */
  private answer(item: Item): Step | null {
    if (item === TOO_LONG) return this.conversation.lineTooLong();
    if (this.conversation.inData) return this.conversation.content(item);
    const line = item.toString('utf8');
    this.opts.log(this.conversation.shown(line), this.tls);
    return this.conversation.handle(line);
  }

  /** perform: one Step and the Steps it chains (`followedBy`); false once the conversation is over. */
  private async perform(step: Step): Promise<boolean> {
    if (step.delayMs) await this.sleep(step.delayMs);
    // The certificate is ready before the 220 goes out, so the upgrade right after it stays synchronous.
    const context =
      step.after === 'starttls' ? await this.opts.tlsContext?.().catch(() => undefined) : undefined;
    if (this.closed) return false;
    this.write(step.lines);
    if (step.after === 'close') {
      this.end();
      return false;
    }
    if (step.after === 'starttls') this.upgrade(context);
    return step.followedBy ? this.perform(step.followedBy) : true;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.overflowed) return;
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    for (let nl = this.pending.indexOf(0x0a); nl !== -1; nl = this.pending.indexOf(0x0a)) {
      const raw = this.pending.subarray(0, nl);
      this.pending = this.pending.subarray(nl + 1);
      // Bare LF is taken as an end of line too: lenient, as most servers are.
      const line = raw.at(-1) === 0x0d ? raw.subarray(0, -1) : raw;
      if (line.length > MAX_LINE_OCTETS) {
        this.overflow();
        return;
      }
      this.accept(line);
    }
    if (this.pending.length > MAX_LINE_OCTETS) this.overflow();
  };

  private accept(line: Buffer): void {
    // A silent host answers nothing, and a finished conversation nothing more: such lines are only heard.
    if (this.conversation.speaks && !this.over) this.push(line);
    else this.hear(line);
  }

  /** hear: log a line that will never be answered, in the conversation's state as it stands (content stays out). */
  private hear(line: Buffer): void {
    if (!this.conversation.inData)
      this.opts.log(this.conversation.shown(line.toString('utf8')), this.tls);
  }

  /** drain: the conversation is over (QUIT, a 421, the client gone); what is queued, or still comes before the close, is heard, never answered. */
  private drain(): void {
    this.over = true;
    for (const item of this.queue.splice(0)) if (item !== TOO_LONG) this.hear(item);
    if (this.stream.isPaused()) this.stream.resume();
  }

  private overflow(): void {
    this.pending = EMPTY;
    // A silent host just forgets the bytes; a speaking one answers 500 5.5.6 in turn and closes.
    if (!this.conversation.speaks) return;
    this.overflowed = true;
    this.push(TOO_LONG);
  }

  private push(item: Item): void {
    const waiter = this.waiting;
    if (waiter) {
      this.waiting = undefined;
      waiter(item);
      return;
    }
    this.queue.push(item);
    if (this.queue.length >= MAX_QUEUED_LINES) this.stream.pause();
  }

  /** next: the next line to answer, waiting for one; null once the socket is closed. */
  private next(): Promise<Item | null> {
    const item = this.queue.shift();
    if (item !== undefined) {
      if (this.stream.isPaused() && this.queue.length < MAX_QUEUED_LINES / 2) this.stream.resume();
      return Promise.resolve(item);
    }
    if (this.closed || this.ended) return Promise.resolve(null);
    this.flush();
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private sleep(ms: number): Promise<void> {
    // Replies already made go out before the pause: delays apply per reply.
    this.flush();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(this.sleeping?.timer);
        this.sleeping = undefined;
        resolve();
      };
      this.sleeping = { timer: setTimeout(wake, ms), wake };
    });
  }

  /**
   * write: one reply. While more pipelined commands wait, replies are held
   * and sent together once the input is used up, as Postfix does; a host
   * with a reply delay (nopipe) answers strictly one line at a time, so each
   * of its replies leaves alone.
   */
  private write(lines: string[]): void {
    if (lines.length === 0 || this.closed) return;
    if (!this.corked && this.queue.length > 0 && !this.opts.personality.replyDelayMs) {
      this.stream.cork();
      this.corked = true;
    }
    this.stream.write(lines.map((l) => `${l}\r\n`).join(''));
    if (this.queue.length === 0) this.flush();
    this.opts.onReply?.(Number(lines.at(-1)!.slice(0, 3)));
    if (this.stream.writableLength > MAX_UNSENT_OCTETS) this.destroy();
  }

  private flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.stream.uncork();
  }

  private end(): void {
    this.hungUp = true;
    this.flush();
    this.stream.end();
    setTimeout(() => this.destroy(), CLOSE_GRACE_MS).unref();
  }

  private readonly onIdle = (): void => {
    const step = this.conversation.idle();
    if (step) void this.perform(step);
    else this.destroy();
  };

  /**
   * upgrade: become the TLS server on the same socket. Everything received
   * in clear after STARTTLS is dropped unread (RFC 3207 §6; the plaintext
   * injection of CVE-2011-0411). All of this is synchronous, so no chunk can
   * slip between dropping our listener and the TLS layer taking the socket.
   */
  private upgrade(context: SecureContext | undefined): void {
    // No certificate is a lab bug; a client that pipelined so much before STARTTLS that reading
    // was paused is no honest client (RFC 2920 §3.1: STARTTLS ends a group). Both: just close.
    if (!context || this.raw.isPaused()) {
      this.destroy();
      return;
    }
    this.flush();
    // Dropped, yet heard: the log keeps the injection attempt.
    for (const item of this.queue.splice(0)) if (item !== TOO_LONG) this.hear(item);
    this.pending = EMPTY;
    this.raw.off('data', this.onData);
    this.raw.off('end', this.onEnd);
    this.raw.setTimeout(0);
    const tls = new TLSSocket(this.raw, { isServer: true, secureContext: context });
    this.stream = tls;
    tls.on('error', () => this.lost());
    // The TLS socket now owns the handle; the raw socket may not report the close itself.
    tls.once('close', () => {
      this.raw.destroy();
      this.finish();
    });
    tls.setTimeout(TLS_HANDSHAKE_TIMEOUT_MS, () => {
      if (!this.tls) this.destroy();
    });
    tls.once('secure', () => {
      this.tls = true;
      this.conversation.tlsStarted();
      tls.setTimeout(IDLE_TIMEOUT_MS, this.onIdle);
    });
    tls.on('data', this.onData);
    tls.once('end', this.onEnd);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.sleeping?.wake();
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter?.(null);
    this.opts.onClose(this.hungUp && !this.clientFirst ? 'server' : 'client');
  }
}
