/**
 * SmtpSession: one SMTP conversation over an injected duplex stream. It knows
 * the protocol (greeting, EHLO/HELO, commands, PIPELINING groups, STARTTLS,
 * QUIT) and nothing of sockets: the net layer hands it a stream and, for
 * STARTTLS, a function that turns the stream into a TLS one.
 */
import type { Duplex } from 'node:stream';
import { assertSafe, ProbeError, type Stage } from '../errors.js';
import { ehlo, helo } from '../smtp/command.js';
import { parseCapabilities, type Capabilities } from '../smtp/capabilities.js';
import type { Reply } from '../smtp/reply.js';
import type { Transcript } from './transcript.js';
import { ReplyReader } from './reader.js';
import type { Deadline } from '../time/deadline.js';
import type { Timeouts } from './timeouts.js';

/** SessionOptions: what a session needs besides its stream. */
export interface SessionOptions {
  transcript: Transcript;
  timeouts: Timeouts;
  /** The run's deadline: Ctrl-C and the whole-run --timeout; each reply is also bounded by its phase timeout. */
  deadline: Deadline;
  /** "address:port", quoted in every error. */
  endpoint: string;
}

/** Hello: the outcome of EHLO, with the HELO fallback when EHLO was refused. */
export interface Hello {
  verb: 'EHLO' | 'HELO';
  reply: Reply;
  /** The EHLO reply that made us fall back to HELO (500/502, RFC 5321 §4.1.4). */
  ehloReply?: Reply;
  /** Parsed only from a 250 to EHLO; HELO offers no extensions. */
  capabilities?: Capabilities;
}

/** SmtpSession: see the module comment. */
export class SmtpSession {
  private stream: Duplex;
  private readonly reader: ReplyReader;

  constructor(
    stream: Duplex,
    private readonly opts: SessionOptions,
  ) {
    this.stream = stream;
    this.reader = new ReplyReader(opts.transcript, opts.endpoint);
    this.reader.attach(stream);
  }

  /** greeting: the server's opening reply (220 expected; 554 and 421 are answers too). */
  greeting(): Promise<Reply> {
    return this.reader.next('greeting', this.opts.timeouts.greetingMs, this.opts.deadline);
  }

  /** send: write one command line and read its reply. A 4xx/5xx is returned, not thrown. */
  async send(line: string, stage: Stage): Promise<Reply> {
    this.write([line], stage);
    return this.reader.next(stage, this.opts.timeouts.commandMs, this.opts.deadline);
  }

  /**
   * pipeline: write a group of commands at once and read their replies in
   * order (RFC 2920 §3.1). Only for servers that advertise PIPELINING.
   * Replies are read one by one, so the first failure keeps the ones before it.
   */
  async pipeline(
    lines: string[],
    stage: Stage,
    onReply?: (reply: Reply, index: number) => void,
  ): Promise<Reply[]> {
    this.write(lines, stage);
    const replies: Reply[] = [];
    for (let i = 0; i < lines.length; i++) {
      const reply = await this.reader.next(stage, this.opts.timeouts.commandMs, this.opts.deadline);
      replies.push(reply);
      onReply?.(reply, i);
    }
    return replies;
  }

  /** hello: EHLO, falling back to HELO on 500/502 (a pre-ESMTP server, RFC 5321 §3.2). */
  async hello(name: string, stage: 'ehlo' | 'helo' = 'ehlo'): Promise<Hello> {
    const reply = await this.send(ehlo(name), stage);
    if (reply.code === 250) return { verb: 'EHLO', reply, capabilities: parseCapabilities(reply) };
    if (reply.code !== 500 && reply.code !== 502) return { verb: 'EHLO', reply };
    const heloReply = await this.send(helo(name), 'helo');
    return { verb: 'HELO', reply: heloReply, ehloReply: reply };
  }

  /**
   * starttls: send STARTTLS; on 220 drop everything read so far and hand the
   * raw stream to `upgrade` (RFC 3207 §4.2: the client must discard all
   * knowledge from before TLS, and send EHLO again itself). Returns the reply.
   */
  async starttls(upgrade: (raw: Duplex) => Promise<Duplex>): Promise<Reply> {
    const reply = await this.send('STARTTLS', 'starttls');
    if (reply.code !== 220) return reply;
    this.reader.detach();
    this.stream = await upgrade(this.stream);
    this.opts.transcript.note('TLS established; everything learned before it is discarded');
    this.reader.attach(this.stream);
    return reply;
  }

  /**
   * upgradeNow: turn the stream into a TLS one before anything is read
   * (implicit TLS, RFC 8314: the greeting comes over TLS). Returns the TLS stream.
   */
  async upgradeNow<S extends Duplex>(upgrade: (raw: Duplex) => Promise<S>): Promise<S> {
    this.reader.detach();
    const secure = await upgrade(this.stream);
    this.stream = secure;
    this.reader.attach(secure);
    return secure;
  }

  /**
   * message: write a message encoded by smtp/data.ts (CRLF lines, dot-stuffed, the end-of-data
   * line last) as it is, and read the reply to its end. The transcript gets its header lines and a
   * line about the body, not every body line: a test message may be megabytes.
   */
  async message(encoded: Buffer, body: string): Promise<Reply> {
    this.refuseUnsolicited('data');
    const headerEnd = encoded.indexOf('\r\n\r\n');
    const head = headerEnd === -1 ? '' : encoded.subarray(0, headerEnd).toString('utf8');
    for (const line of head === '' ? [] : head.split('\r\n')) this.opts.transcript.sent(line);
    this.opts.transcript.note(body);
    this.opts.transcript.sent('.');
    this.stream.write(encoded);
    return this.reader.next('data', this.opts.timeouts.commandMs, this.opts.deadline);
  }

  /** quit: QUIT and its reply; a server that just hangs up is fine here. */
  async quit(): Promise<Reply | undefined> {
    try {
      return await this.send('QUIT', 'quit');
    } catch (err) {
      if (err instanceof ProbeError && err.code === 'CONNECTION_CLOSED') return undefined;
      throw err;
    } finally {
      this.close();
    }
  }

  /**
   * abandon: write `lines` (RSET, QUIT) without waiting for their replies, then
   * close — for a server that delays every reply as punishment, where waiting
   * would cost seconds and learn nothing.
   */
  abandon(lines: string[]): void {
    this.reader.takeUnsolicited();
    try {
      this.write(lines, 'quit');
    } finally {
      this.reader.detach();
      this.stream.end();
    }
  }

  /**
   * takeExtra: a complete reply no command is waiting for, if one is queued
   * (a server that answered a pipelined group with more replies than commands).
   */
  takeExtra(): Reply | undefined {
    return this.reader.takeUnsolicited();
  }

  /** close: end the stream without QUIT (after a failure, or after TURN was accepted). */
  close(): void {
    this.reader.detach();
    this.stream.destroy();
  }

  /** unpaired: the error for a reply that cannot be its command's answer (see smtp/pairing.ts). */
  unpaired(stage: Stage, why: string): ProbeError {
    return new ProbeError({
      code: 'UNSOLICITED_REPLY',
      stage,
      target: this.opts.endpoint,
      message: `replies stopped pairing with commands: ${why} (address: ${this.opts.endpoint})`,
    });
  }

  /** closed: whether close() ran or the stream is gone. */
  get closed(): boolean {
    return this.stream.destroyed;
  }

  private write(lines: string[], stage: Stage): void {
    this.refuseUnsolicited(stage);
    // The builders in smtp/command.ts already refuse control bytes; checking
    // again at the I/O boundary means no caller can bypass it.
    for (const line of lines) assertSafe('command', line);
    for (const line of lines) this.opts.transcript.sent(line);
    this.stream.write(lines.map((l) => `${l}\r\n`).join(''));
    // Nothing follows QUIT, so our FIN goes with it; the reply is still read. Exim holds its 221
    // up to 200 ms hoping the client closes first (so TIME_WAIT lands on the client's side).
    if (lines.at(-1) === 'QUIT') this.stream.end();
  }

  /**
   * refuseUnsolicited: a reply nobody asked for would be paired with the next command and give
   * it a false answer (a flooding server could fake "TURN accepted", or "message accepted").
   */
  private refuseUnsolicited(stage: Stage): void {
    const extra = this.reader.takeUnsolicited();
    if (extra) {
      throw new ProbeError({
        code: 'UNSOLICITED_REPLY',
        stage,
        target: this.opts.endpoint,
        message: `server sent a reply nobody asked for before ${stage}: "${extra.code} ${extra.lines[0] ?? ''}" (address: ${this.opts.endpoint})`,
      });
    }
  }
}
