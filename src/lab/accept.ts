/**
 * The lab's bookkeeping per connection: `acceptor` plays each accepted
 * socket with the engine and records what happens in the lab's logs — every
 * command line (LabLogEntry), every session (LabSession) and every message a
 * host accepted (StoredMessage) — so tests can count sessions, prove that a
 * probe never attempted mail, and read back what was sent.
 */
import type { Socket } from 'node:net';
import type { LabPki } from './certs.js';
import { LabConnection } from './connection.js';
import type { DnsQueryLog } from './dns-server.js';
import { GreylistStore } from './greylist.js';
import type { LabHostSpec } from './hosts.js';
import type { MessageStore } from './messages.js';

/** MAX_LOG_ENTRIES: `lab.log`, `lab.sessions` and `lab.dnsLog` each keep the newest entries up to this many, so a long-running lab stays small. */
export const MAX_LOG_ENTRIES = 10_000;

/**
 * LabLogEntry: one line a lab host received (CRLF removed), as received but
 * for AUTH's secrets: its initial response and every line of the exchange
 * after it show as `<redacted>`. Message content after DATA is never logged.
 * Lines that came after the host stopped answering (its 221 or 421) are
 * logged as it would have read them.
 */
export interface LabLogEntry {
  /** at: Date.now() when the host read it (a host that paces its replies reads later than the line came). */
  at: number;
  /** host: the host name (`esmtp.lab.test`). */
  host: string;
  personality: string;
  /** conn: the connection's number, counting from 1 across the lab. */
  conn: number;
  /** remote: the client's "address:port". */
  remote: string;
  /** tls: whether the line came over TLS. */
  tls: boolean;
  line: string;
}

/**
 * LabSession: one connection a lab host accepted, filled in as it goes (so
 * an open session's entry still changes). Tests count sessions from these
 * and prove no mail was attempted (`data` stays 0).
 */
export interface LabSession {
  /** conn: the connection's number, as in LabLogEntry. */
  conn: number;
  host: string;
  personality: string;
  /** remote: the client's "address:port". */
  remote: string;
  /** openedAt, closedAt: Date.now() when accepted and when gone (null while open). */
  openedAt: number;
  closedAt: number | null;
  /** commands: lines logged (commands, and AUTH exchange responses); message content is not counted. */
  commands: number;
  /** data: DATA and BDAT commands received (a probe should never send one; most hosts refuse them). */
  data: number;
  /** messages: messages the host accepted in this session (Personality.acceptsMail). */
  messages: number;
  /** replies: replies written (greeting included); lastReply: the last one's code. */
  replies: number;
  lastReply: number | null;
  /** closedBy: who hung up first: the host (after QUIT, on a 421, …) or the client; null while open. */
  closedBy: 'server' | 'client' | null;
}

/** Logs: what the lab records (see Lab). */
export interface Logs {
  log: LabLogEntry[];
  dnsLog: DnsQueryLog[];
  sessions: LabSession[];
  /** messages: the mail accepted, in the lab's one store (so queue ids never repeat). */
  messages: MessageStore;
}

/** Accepting: what the acceptor needs of the running lab: the certificates (once made) and the live connections, for close(). */
export interface Accepting {
  pki?: LabPki;
  connections: Set<LabConnection>;
}

/**
 * acceptor: per host, the handler that plays each accepted socket with the
 * engine and logs what it hears. A host's greylisting memory outlives its
 * connections (a retry comes in a new session).
 */
export function acceptor(r: Accepting, logs: Logs): (h: LabHostSpec) => (socket: Socket) => void {
  let conns = 0;
  return (h) => {
    const greylist = h.personality.rcpt?.greylist ? new GreylistStore() : undefined;
    return (socket) => {
      // Only with a fixed port can a client arrive before the certificates exist; it is turned away.
      if (!r.pki) return void socket.destroy();
      const pki = r.pki;
      const entry = {
        host: h.name,
        personality: h.personality.name,
        conn: ++conns,
        remote: `${socket.remoteAddress}:${socket.remotePort}`,
      };
      const session: LabSession = {
        ...entry,
        openedAt: Date.now(),
        closedAt: null,
        commands: 0,
        data: 0,
        messages: 0,
        replies: 0,
        lastReply: null,
        closedBy: null,
      };
      record(logs.sessions, session);
      const c: LabConnection = new LabConnection(socket, {
        personality: h.personality,
        hostname: h.name,
        mailDomains: h.mailDomains,
        conn: entry.conn,
        ...(greylist ? { greylist } : {}),
        ...(h.personality.acceptsMail
          ? {
              messages: {
                add: (m) => {
                  session.messages++;
                  return logs.messages.add(m);
                },
              },
            }
          : {}),
        ...(h.personality.starttls ? { tlsContext: () => pki.leaf(h).then((l) => l.context) } : {}),
        log: (line, tls) => {
          session.commands++;
          if (/^(DATA|BDAT)\b/i.test(line)) session.data++;
          record(logs.log, { ...entry, at: Date.now(), tls, line });
        },
        onReply: (code) => {
          session.replies++;
          session.lastReply = code;
        },
        onClose: (by) => {
          Object.assign(session, { closedAt: Date.now(), closedBy: by });
          r.connections.delete(c);
        },
      });
      r.connections.add(c);
      c.start();
    };
  };
}

/** record: append to a log, dropping the oldest half once it is full. */
export function record<T>(log: T[], entry: T): void {
  // Drop the oldest half at once: one splice per 5,000 lines instead of a shift per line.
  if (log.length >= MAX_LOG_ENTRIES) log.splice(0, MAX_LOG_ENTRIES / 2);
  log.push(entry);
}
