/**
 * Transaction: the mail transaction of one lab connection (RFC 5321 §3.3),
 * pure: MAIL FROM and RCPT TO with their parameters, the recipient policies
 * (relay, greylisting, caps, unknown users), and on a host that accepts mail
 * DATA, the message's lines and its place in the host's MessageSink. The
 * Conversation owns the session around it (greeting, hello, TLS, AUTH,
 * pacing) and hands it the commands.
 */
import { parseAddress, resolveRecipient, type Address, type Directory } from './directory.js';
import { isAscii, mailParams, messageLimit, rcptParams } from './envelope.js';
import { GreylistStore } from './greylist.js';
import { IncomingMessage, MessageStore, type MessageSink } from './messages.js';
import type { Greylisting, Personality } from './personality.js';
import { fill, reply, type Step } from './step.js';

/** MAX_RECIPIENTS: accepted recipients per transaction; the next get 452 4.5.3 (Postfix's smtpd_recipient_limit). */
export const MAX_RECIPIENTS = 1_000;

/** TransactionHost: what a transaction shares with its host and knows of its connection (see ConversationHost). */
export interface TransactionHost {
  /** client: the client's IP address (greylisting keys on it). */
  client?: string;
  /** greylist: the host's triplet memory, shared by its connections; default one of this transaction's own. */
  greylist?: GreylistStore;
  /** conn, remote: the connection's number and the client's "address:port", kept with each message accepted. */
  conn?: number;
  remote?: string;
  /** messages: where accepted messages go (Personality.acceptsMail); default a store of this transaction's own. */
  messages?: MessageSink;
}

/** SessionFacts: what the session around a message says about it. */
export interface SessionFacts {
  tls: boolean;
  authUser: string | null;
}

interface Recipient {
  /** path: as given, without angle brackets. */
  path: string;
  params: string[];
}

const bare = (path: string): string => path.replace(/^<|>$/g, '');
const needsUtf8 = (): Step => reply(553, '5.6.7 Must declare SMTPUTF8 to send unicode address');

/** Transaction: see the module comment. One per connection, reset between transactions. */
export class Transaction {
  /** mailFrom: the reverse path (with its brackets) once MAIL (or SEND/SOML/SAML) opened a transaction. */
  mailFrom: string | null = null;
  private mailParams: string[] = [];
  private smtpUtf8 = false;
  private recipients: Recipient[] = [];
  /** rcptsInTransaction: RCPT commands since MAIL, accepted or not (RcptPolicy.maxRecipients). */
  private rcptsInTransaction = 0;
  private incoming: IncomingMessage | null = null;
  // Made on first use: most hosts never greylist or take mail, and a connection should cost little.
  private greylistStore?: GreylistStore;
  private messages?: MessageSink;

  constructor(
    private readonly p: Personality,
    private readonly dir: Directory,
    private readonly hostname: string,
    private readonly host: TransactionHost,
  ) {
    this.greylistStore = host.greylist;
    this.messages = host.messages;
  }

  /** inData: between DATA's 354 and the final dot. */
  get inData(): boolean {
    return this.incoming !== null;
  }

  /** reset: no transaction (RSET, HELO/EHLO, a new MAIL, TLS starting, the end of a message). */
  reset(): void {
    this.mailFrom = null;
    this.mailParams = [];
    this.smtpUtf8 = false;
    this.recipients = [];
    this.rcptsInTransaction = 0;
  }

  /** openLegacy: SEND, SOML or SAML (RFC 821) opened a transaction with `arg` as its reverse path. */
  openLegacy(arg: string): void {
    this.mailFrom = arg;
  }

  /** mail: MAIL FROM's argument, its parameters judged against `offered` (envelope.ts). The caller checked the hello. */
  mail(arg: string, offered: Set<string>): Step {
    if (this.mailFrom !== null) return reply(503, '5.5.1 Error: nested MAIL command');
    const m = /^FROM:\s*(<[^<>]*>)(?:\s+(.*))?$/i.exec(arg);
    if (!m) return reply(501, '5.5.4 Syntax: MAIL FROM:<address>');
    const params = mailParams(m[2] ?? '', offered, messageLimit(this.p.extensions ?? []));
    if ('code' in params) return reply(params.code, params.text);
    // RFC 6531 §3.4: a UTF-8 address only in a transaction that declared SMTPUTF8.
    if (!isAscii(m[1]!) && !params.smtpUtf8) return needsUtf8();
    this.reset();
    this.mailFrom = m[1]!;
    this.mailParams = params.params;
    this.smtpUtf8 = params.smtpUtf8;
    return reply(250, '2.1.0 Ok');
  }

  /**
   * rcpt: RCPT TO's argument, with the checks in Postfix's order: syntax,
   * recipient cap, relay, greylisting, user (see RcptPolicy). The relay check
   * looks at where the address really goes (directory.ts resolveRecipient:
   * quotes, a second @, the percent hack, bang paths, a source route), so no
   * trick gets an outside recipient past it; the refusal quotes the path as
   * sent, as Postfix does.
   */
  rcpt(arg: string, offered: Set<string>): Step {
    if (this.mailFrom === null) return reply(503, '5.5.1 Error: need MAIL command');
    const m = /^TO:\s*(<[^<>]*>)(?:\s+(.*))?$/i.exec(arg);
    if (!m) return reply(501, '5.5.4 Syntax: RCPT TO:<address>');
    const parsed = parseAddress(m[1]!);
    if (!parsed) return reply(501, '5.1.3 Bad recipient address syntax');
    const params = rcptParams(m[2] ?? '', offered);
    if (!Array.isArray(params)) return reply(params.code, params.text);
    if (!isAscii(m[1]!) && !this.smtpUtf8) return needsUtf8();
    const policy = this.p.rcpt ?? {};
    // RFC 5321 §4.5.3.1.10: 452 for recipients over the server's limit; the client may go on in a new transaction.
    if (
      (policy.maxRecipients !== undefined && ++this.rcptsInTransaction > policy.maxRecipients) ||
      this.recipients.length >= MAX_RECIPIENTS
    )
      return reply(452, '4.5.3 Error: too many recipients');
    const a = resolveRecipient(parsed, (x) => this.dir.isOurs(x));
    if (!this.dir.isOurs(a)) {
      if (!policy.openRelay) return reply(554, `5.7.1 ${m[1]}: Relay access denied`);
      return this.accept(m[1]!, params);
    }
    const shown = this.dir.address(a);
    if (policy.greylist && this.greylisted(a, policy.greylist))
      return fill(policy.greylist.reply, this.hostname, shown, a.domain ?? this.hostname);
    if (!policy.catchAll && !this.dir.deliverable(a)) {
      return policy.unknown
        ? fill(policy.unknown, this.hostname, shown)
        : reply(550, `5.1.1 ${shown}: Recipient address rejected: User unknown`);
    }
    return this.accept(m[1]!, params);
  }

  /**
   * data: DATA in Postfix's words: 354, after which every line is content
   * (`content`), on a host that accepts mail; a refusal anywhere else, for
   * probes never send mail. BDAT is refused on every host, and closes: its
   * chunk follows on the same byte stream, and the lab frames only lines.
   */
  data(chunked: boolean, arg: string): Step {
    if (!this.p.acceptsMail || chunked) {
      const refusal = reply(
        554,
        this.p.acceptsMail
          ? '5.5.1 Error: lab hosts take mail by DATA only, not BDAT'
          : '5.5.0 Error: lab hosts never accept mail',
      );
      return chunked ? { ...refusal, after: 'close' } : refusal;
    }
    if (this.recipients.length === 0)
      return this.mailFrom === null
        ? reply(503, '5.5.1 Error: need RCPT command')
        : reply(554, '5.5.1 Error: no valid recipients');
    if (arg) return reply(501, '5.5.4 Syntax: DATA');
    this.incoming = new IncomingMessage(messageLimit(this.p.extensions ?? []));
    return reply(354, 'End data with <CR><LF>.<CR><LF>');
  }

  /**
   * content: one line of the message (CRLF removed, bytes untouched). Null
   * until the final dot, then the reply: 250 with the queue id, or 552 5.3.4
   * when the message passed the size limit. Either way the transaction ends.
   */
  content(line: Buffer, session: SessionFacts): Step | null {
    const incoming = this.incoming;
    if (!incoming || incoming.add(line) === 'more') return null;
    this.incoming = null;
    const step = incoming.tooBig
      ? reply(552, '5.3.4 Error: message file too big')
      : reply(250, `2.0.0 Ok: queued as ${this.store(incoming.data(), session)}`);
    this.reset();
    return step;
  }

  private store(data: Buffer, session: SessionFacts): string {
    this.messages ??= new MessageStore();
    return this.messages.add({
      host: this.hostname,
      conn: this.host.conn ?? 0,
      remote: this.host.remote ?? '',
      ...session,
      from: bare(this.mailFrom ?? ''),
      recipients: this.recipients.map((r) => r.path),
      mailParams: this.mailParams,
      rcptParams: this.recipients.map((r) => r.params),
      data,
    }).queueId;
  }

  private accept(path: string, params: string[]): Step {
    this.recipients.push({ path: bare(path), params });
    return reply(250, '2.1.5 Ok');
  }

  /** greylisted: whether this RCPT's triplet is still to be deferred. */
  private greylisted(a: Address, g: Greylisting): boolean {
    const triplet = {
      client: this.host.client ?? '',
      sender: bare(this.mailFrom ?? ''),
      recipient: `${a.local}@${a.domain ?? this.hostname}`,
    };
    this.greylistStore ??= new GreylistStore();
    return this.greylistStore.check(triplet, g.delayMs) === 'defer';
  }
}
