/**
 * capsFindings: what in a caps result deserves an admin's or auditor's look.
 * Pure: it reads the result and says nothing it cannot show evidence for.
 */
import type { CapsResult, Finding } from '../schema/caps.js';

/** EXPIRY_WARNING_DAYS: certificates closer than this to expiry are flagged (ACME renews at 30 days left). */
export const EXPIRY_WARNING_DAYS = 14;

/** PLAINTEXT_MECHS: RFC 4954 §4 / RFC 8314: mechanisms that send the password itself. */
export const PLAINTEXT_MECHS: ReadonlySet<string> = new Set(['PLAIN', 'LOGIN']);

/** isOldProtocol: SSL, TLS 1.0 or 1.1, which RFC 8996 deprecates. */
export const isOldProtocol = (protocol: string): boolean => /^(SSLv|TLSv1(\.1)?$)/.test(protocol);

/** capsFindings: see the module comment. */
export function capsFindings(r: CapsResult): Finding[] {
  const out: Finding[] = [];
  const before = r.capabilities;
  const after = r.capabilitiesAfterTls;
  const clearAuth = r.tls?.mode === 'implicit' ? [] : (before?.auth ?? []);
  const plain = clearAuth.filter((m) => PLAINTEXT_MECHS.has(m));
  if (plain.length > 0) {
    out.push({
      id: 'auth-plaintext-without-tls',
      severity: 'high',
      message: `AUTH ${plain.join(' ')} offered before TLS: passwords can cross the network in clear`,
    });
  } else if (clearAuth.length > 0) {
    out.push({
      id: 'auth-without-tls',
      severity: 'medium',
      message: `AUTH ${clearAuth.join(' ')} offered before TLS`,
    });
  }
  if (before?.auth && after && !after.auth) {
    out.push({
      id: 'auth-only-before-tls',
      severity: 'medium',
      message: 'AUTH is offered only before TLS, not after it',
    });
  }
  if (before && !before.starttls && r.tls?.mode !== 'implicit') {
    out.push({
      id: 'no-starttls',
      severity: 'medium',
      message: 'STARTTLS not offered: mail to this host travels in clear',
    });
  }
  if (r.tls?.outcome === 'refused' || r.tls?.outcome === 'failed') {
    out.push({
      id: 'starttls-broken',
      severity: 'high',
      message: `STARTTLS advertised but ${r.tls.outcome}: senders fall back to clear text or defer`,
    });
  }
  out.push(...tlsFindings(r));
  for (const e of r.census ?? []) {
    if (e.support !== 'implemented' || !e.reply) continue;
    if (e.verb === 'VRFY' || e.verb === 'EXPN') {
      out.push({
        id: `${e.verb.toLowerCase()}-enabled`,
        severity: 'low',
        message: `${e.verb} answers lookups (${e.reply.code}): user names can be enumerated`,
      });
    } else if (e.verb === 'TURN') {
      out.push({
        id: 'turn-enabled',
        severity: 'high',
        message:
          "TURN accepted: anyone can take this server's queued mail (RFC 2821 removed TURN for this)",
      });
    }
  }
  return out;
}

function tlsFindings(r: CapsResult): Finding[] {
  const info = r.tls?.info;
  if (!info) return [];
  const out: Finding[] = [];
  if (isOldProtocol(info.protocol)) {
    out.push({
      id: 'tls-old-protocol',
      severity: 'medium',
      message: `negotiated ${info.protocol}; RFC 8996 deprecates anything before TLS 1.2`,
    });
  }
  const leaf = info.chain[0];
  if (leaf && leaf.daysLeft < 0)
    out.push({
      id: 'cert-expired',
      severity: 'high',
      message: `certificate expired ${-leaf.daysLeft} days ago (${leaf.validTo})`,
    });
  else if (leaf && leaf.daysLeft < EXPIRY_WARNING_DAYS)
    out.push({
      id: 'cert-expiring',
      severity: 'medium',
      message: `certificate expires in ${leaf.daysLeft} days (${leaf.validTo})`,
    });
  if (leaf?.selfSigned)
    out.push({ id: 'cert-self-signed', severity: 'low', message: 'certificate is self-signed' });
  if (!info.nameMatch.ok)
    out.push({
      id: 'cert-name-mismatch',
      severity: 'medium',
      // The error already names the host ("mx.test is not among the certificate's names (…)").
      message: `certificate name mismatch: ${info.nameMatch.error ?? `not for ${info.nameMatch.name}`}`,
    });
  if (!info.trusted.ok)
    out.push({
      id: 'cert-untrusted',
      severity: 'medium',
      message: `certificate does not chain to a trusted root: ${info.trusted.error ?? ''}`.trim(),
    });
  return out;
}
