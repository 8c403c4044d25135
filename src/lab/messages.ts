/**
 * The mail a lab host accepts (Personality.acceptsMail): IncomingMessage
 * gathers one message in DATA mode, line by line, as raw bytes, and
 * MessageStore keeps what was accepted, newest last, for tests and the
 * demo to read back (`lab.messages`). Nothing is ever delivered. Both are
 * bounded whatever a client sends. Pure but for Date.now().
 */

/** MAX_STORED_MESSAGES: `lab.messages` keeps the newest this many. */
export const MAX_STORED_MESSAGES = 1_000;
/** MAX_STORED_OCTETS: and at most this many octets of message data in all (the newest message is always kept). */
export const MAX_STORED_OCTETS = 128 * 1024 * 1024;
/** DEFAULT_MESSAGE_LIMIT: a host that declares no SIZE limit takes messages up to Postfix's default message_size_limit. */
export const DEFAULT_MESSAGE_LIMIT = 10_240_000;

const ID_SPACE = 16n ** 10n;
const ID_MIX = 0x9e3779b97fn;

/** StoredMessage: one message a lab host accepted (250 … queued as `queueId`). */
export interface StoredMessage {
  /** queueId: the id the 250 reply gave, Postfix-like (10 uppercase hex digits), unique in the lab; the Nth message of every lab gets the same one. */
  queueId: string;
  /** at: Date.now() when the final dot was answered. */
  at: number;
  /** host: the host name (`esmtp.lab.test`). */
  host: string;
  /** conn, remote: the connection, as in LabLogEntry. */
  conn: number;
  remote: string;
  /** tls: whether the message came over TLS. */
  tls: boolean;
  /** authUser: who authenticated in that session (AUTH), or null. */
  authUser: string | null;
  /** from: the reverse path as given, without angle brackets ("" for the null sender). */
  from: string;
  /** recipients: the accepted forward paths, without angle brackets, in order. */
  recipients: string[];
  /** mailParams: the MAIL FROM parameters as sent (`SIZE=123`, `BODY=8BITMIME`). */
  mailParams: string[];
  /** rcptParams: each accepted recipient's RCPT TO parameters (`NOTIFY=SUCCESS`), index for index with `recipients`. */
  rcptParams: string[][];
  /** data: the message as the client meant it: its lines unstuffed (RFC 5321 §4.5.2), each ending in CRLF, bytes untouched. */
  data: Buffer;
}

/** NewMessage: what a host knows of a message it accepts; the store adds the queue id and the time. */
export type NewMessage = Omit<StoredMessage, 'queueId' | 'at'>;

/** MessageSink: where a host puts the messages it accepts; `add` gives the stored entry (its queue id). */
export interface MessageSink {
  add(m: NewMessage): StoredMessage;
}

/** MessageStore: see the module comment. One per lab, so queue ids do not repeat across its hosts. */
export class MessageStore implements MessageSink {
  /** messages: oldest first; entries leave from the front once over MAX_STORED_MESSAGES or MAX_STORED_OCTETS. */
  readonly messages: StoredMessage[] = [];
  private octets = 0;
  private count = 0n;

  /** add: store `m` under a new queue id, dropping the oldest entries beyond the bounds. */
  add(m: NewMessage): StoredMessage {
    const stored = { ...m, queueId: this.nextId(), at: Date.now() };
    this.messages.push(stored);
    this.octets += m.data.length;
    while (
      this.messages.length > MAX_STORED_MESSAGES ||
      (this.octets > MAX_STORED_OCTETS && this.messages.length > 1)
    )
      this.octets -= this.messages.shift()!.data.length;
    return stored;
  }

  /**
   * nextId: Postfix's short ids (the time in microseconds, then the queue
   * file's inode) look random. The count times an odd number modulo 16^10
   * looks as random, is a bijection so it never repeats within 2^40
   * messages, and is the same in every run, so documented outputs hold.
   */
  private nextId(): string {
    this.count++;
    return ((this.count * ID_MIX) % ID_SPACE).toString(16).toUpperCase().padStart(10, '0');
  }
}

const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');

/**
 * IncomingMessage: one message in DATA mode. `add` takes each line (its
 * CRLF removed) until the lone "." that ends it (RFC 5321 §4.5.2: a leading
 * dot is removed from any other line). Past `limit` octets (lines with
 * their CRLF, after unstuffing, as SIZE= counts them: RFC 1870 §3) it
 * keeps counting but no longer keeps bytes.
 */
export class IncomingMessage {
  private readonly parts: Buffer[] = [];
  private octets = 0;

  constructor(private readonly limit: number) {}

  /** add: one line; 'end' for the final dot, else 'more'. */
  add(line: Buffer): 'end' | 'more' {
    if (line.length === 1 && line[0] === DOT) return 'end';
    const text = line[0] === DOT ? line.subarray(1) : line;
    this.octets += text.length + CRLF.length;
    if (this.tooBig) this.parts.length = 0;
    // A copy: the line may be a view of a larger socket chunk that should not be held.
    else this.parts.push(Buffer.from(text), CRLF);
    return 'more';
  }

  /** tooBig: the message passed the limit (552 5.3.4 after the final dot). */
  get tooBig(): boolean {
    return this.octets > this.limit;
  }

  /** data: the message so far (empty once it is too big). */
  data(): Buffer {
    return Buffer.concat(this.parts);
  }
}
