/**
 * queueIdOf: the id a server gave an accepted message, read from the reply to the end of data,
 * pure. Each MTA words it its own way; the id is what its logs and a postmaster search by.
 */
import { replyText, type Reply } from './reply.js';

// Most specific first; each captures the id alone.
const PATTERNS: RegExp[] = [
  // Postfix: "250 2.0.0 Ok: queued as 4XyZ1c2d3F"
  /\bqueued as ([A-Za-z0-9]+)/i,
  // Exim: "250 OK id=1tQ2ab-000123-Xy"
  /\bid=([A-Za-z0-9-]+)/,
  // Exchange / Microsoft 365: "250 2.6.0 <…> [InternalId=1234567, Hostname=…] Queued mail for delivery"
  /\bInternalId=(\d+)/,
  // Gmail: "250 2.0.0 OK  1700000000 a1b2c3.45 - gsmtp"
  /\bOK\s+\d+\s+(\S+)\s+-\s+gsmtp\b/,
  // qmail: "250 ok 1700000000 qp 12345"
  /\bqp (\d+)\b/,
  // Sendmail: "250 2.0.0 4B2K3abc012345 Message accepted for delivery"
  /^(?:\d\.\d{1,3}\.\d{1,3} )?([A-Za-z0-9]{8,20}) Message accepted for delivery/,
];

/** queueIdOf: see the module comment; null for a refusal or a reply that names no id. */
export function queueIdOf(reply: Reply): string | null {
  if (reply.code < 200 || reply.code >= 300) return null;
  const text = replyText(reply);
  for (const pattern of PATTERNS) {
    const m = pattern.exec(text);
    if (m) return m[1]!;
  }
  return null;
}
