/**
 * What `send` is asked to do, checked before anything is sent: the envelope (every address
 * parsed; one recipient domain when its MX is to be walked), the HELO name, the credentials'
 * user, the stop point against the session it needs, and the message itself — built from the
 * flags or read as is, encoded for DATA, refused with the line and the reason when it cannot go
 * (an overlong line, a NUL, a bad header).
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { assertSafe, invalidInput } from '../errors.js';
import { formatEndpoint } from '../net/target.js';
import type { MessageReport } from '../schema/send.js';
import { defaultHeloName, checkHeloName } from '../session/helo-name.js';
import type { StartTlsPolicy } from '../session/establish.js';
import { type Mailbox, parseMailbox } from '../smtp/address.js';
import type { AuthMechanism, Credentials } from '../smtp/auth.js';
import { type DataEncoding, encodeData } from '../smtp/data.js';
import { type DsnRequest, mailParameters } from '../smtp/mail-params.js';
import { NO_EXTENSIONS } from '../smtp/capabilities.js';
import { buildMessage, defaultBody } from '../smtp/message.js';
import type { QuitAfter } from '../vocabulary.js';
import type { RunOptions } from './outcome.js';
import type { DnsTransport } from '../dns/transport.js';

/** MessageSource: a message built from the flags, or a complete one (--data FILE) sent as is. */
export type MessageSource =
  | { kind: 'built'; subject?: string; headers?: readonly string[]; body?: string | Buffer }
  | { kind: 'data'; bytes: Buffer };

/** SendOptions: everything `send` can be told. */
export interface SendOptions extends RunOptions {
  /** The reverse path; "" is the null sender <>. */
  from: string;
  to: readonly string[];
  /** --server: this host instead of the recipient domain's MX. */
  server?: { host: string; port: number };
  /** The SMTP port of the MX hosts (default 25, 465 with implicitTls). */
  port?: number;
  /** DNS servers for the MX walk, as IP[:port] or a DoH URL; default /etc/resolv.conf. */
  resolvers?: string[];
  dnsTransport?: DnsTransport;
  dnsTimeoutMs?: number;
  helo?: string;
  starttls?: StartTlsPolicy;
  implicitTls?: boolean;
  tlsVerify?: boolean;
  /** The name the certificate must match with --server (default the server's host). */
  tlsName?: string;
  message: MessageSource;
  quitAfter?: QuitAfter;
  auth?: Credentials & { mechanism?: AuthMechanism };
  /** Send credentials over a session without TLS. */
  allowPlainAuth?: boolean;
  dsn?: DsnRequest;
  /** When the message says it was sent (default now); tests fix it. */
  now?: Date;
}

/** SendPlan: the checked request. */
export interface SendPlan {
  from: string;
  to: Mailbox[];
  /** The domain whose MX is walked; null with --server. */
  mxDomain: string | null;
  route: string;
  helo: string | undefined;
  smtpUtf8: boolean;
  encoded: DataEncoding;
  report: MessageReport;
}

/** planSend: see the module comment; throws INVALID_INPUT with what to change. */
export function planSend(o: SendOptions): SendPlan {
  const fromBox = o.from === '' ? undefined : parseMailbox(o.from);
  if (o.to.length === 0) throw invalidInput('give at least one --to address');
  const to = o.to.map((t) => parseMailbox(t));
  const helo = o.helo === undefined ? undefined : checkHeloName(o.helo);
  if (o.auth) assertSafe('--auth-user', o.auth.user);
  checkStop(o);
  const domains = [...new Set(to.map((b) => b.domain.toLowerCase()))];
  if (!o.server && domains.length > 1)
    throw invalidInput(
      `the recipients are in ${domains.length} domains (${domains.join(', ')}), each with its own MX: send once per domain, or give --server`,
    );
  const route = o.server
    ? `server ${formatEndpoint(o.server.host, o.server.port)}`
    : `MX of ${domains[0]!}`;
  const from = fromBox?.address ?? '';
  const encoded = encode(o, from, to, route, helo);
  const smtpUtf8 = fromBox?.smtputf8 === true || to.some((b) => b.smtputf8);
  // The DSN values' own syntax, against a server that offers everything: a mistake in the flags.
  const syntax = mailParameters(
    { ...NO_EXTENSIONS, eightBitMime: true, smtpUtf8: true, dsn: true },
    { size: encoded.size, eightBit: encoded.eightBit, smtpUtf8, ...(o.dsn ? { dsn: o.dsn } : {}) },
  );
  if (!syntax.ok) throw invalidInput(syntax.reason);
  return {
    from,
    to,
    mxDomain: o.server ? null : domains[0]!,
    route,
    helo,
    smtpUtf8,
    encoded,
    report: {
      source: o.message.kind === 'data' ? 'data-file' : 'built',
      size: encoded.size,
      lines: encoded.lines,
      eightBit: encoded.eightBit,
      smtpUtf8,
      messageId: headerValue(encoded.bytes, 'Message-ID'),
      subject: headerValue(encoded.bytes, 'Subject'),
    },
  };
}

/** checkStop: a stop point the session will never reach is a mistake in the flags. */
function checkStop(o: SendOptions): void {
  if (o.quitAfter === 'auth' && !o.auth)
    throw invalidInput(
      '--quit-after auth needs --auth-user: without it there is no AUTH to stop after',
    );
  if (o.quitAfter === 'tls' && !o.implicitTls && o.starttls === 'off')
    throw invalidInput('--quit-after tls needs TLS: drop --starttls off, or use --implicit-tls');
  if (o.auth?.mechanism && !o.auth.user) throw invalidInput('--auth-mech needs --auth-user');
}

function encode(
  o: SendOptions,
  from: string,
  to: Mailbox[],
  route: string,
  helo: string | undefined,
): DataEncoding {
  let bytes: Buffer;
  if (o.message.kind === 'data') {
    bytes = o.message.bytes;
  } else {
    const now = o.now ?? new Date();
    const host = helo ?? defaultHeloName(undefined);
    const built = buildMessage({
      from,
      to: to.map((b) => b.address),
      ...(o.message.subject === undefined ? {} : { subject: o.message.subject }),
      ...(o.message.headers ? { headers: o.message.headers } : {}),
      body:
        o.message.body ??
        defaultBody({ from, to: to.map((b) => b.address), route, hostname: hostname(), now }),
      // A Message-ID's right side is a name of ours; a bracketed literal is not a domain.
      hostname: host.startsWith('[') ? hostname() : host,
      now,
      unique: randomBytes(6).toString('hex'),
    });
    if (!built.ok) throw invalidInput(built.reason);
    bytes = built.bytes;
  }
  const encoded = encodeData(bytes);
  if (!encoded.ok)
    throw invalidInput(
      `${o.message.kind === 'data' ? '--data file' : 'the message'}: ${encoded.reason}; nothing was sent`,
    );
  return encoded;
}

/** headerValue: a header field's value (unfolded) from the encoded message; null without one. */
function headerValue(encoded: Buffer, name: string): string | null {
  const end = encoded.indexOf('\r\n\r\n');
  const head = encoded.subarray(0, end === -1 ? encoded.length : end).toString('utf8');
  const unfolded = head.replace(/\r\n[ \t]/g, ' ');
  const prefix = `${name.toLowerCase()}:`;
  const line = unfolded.split('\r\n').find((l) => l.toLowerCase().startsWith(prefix));
  return line === undefined ? null : line.slice(prefix.length).trim();
}
