/**
 * addressFindings: what an audited address shows, each finding with a severity and the RFC or
 * reason behind it. Pure: it reads the record and claims nothing the record cannot show. The
 * certificate's name is judged per site (siteFindings in mx/consistency.ts), because one
 * address may serve several MX names.
 */
import type { AuditAddress, AuditFinding } from '../schema/audit.js';
import { relayFindings } from '../smtp/relay.js';
import { EXPIRY_WARNING_DAYS, isOldProtocol, PLAINTEXT_MECHS } from './findings.js';

/** addressFindings: see the module comment. */
export function addressFindings(a: AuditAddress): AuditFinding[] {
  const out: AuditFinding[] = [];
  if (a.status !== 'ok' && !a.caps && !a.tls) {
    out.push({
      id: 'unreachable',
      severity: 'medium',
      // The error names the address already.
      message: `${a.error?.message ?? `${a.key}: ${a.status}`}; senders move on to the next address or queue`,
      ref: 'RFC 5321 §5.1',
    });
  }
  out.push(...capsFindings(a), ...tlsFindings(a));
  if (a.vrfy?.exposure === 'discloses') {
    out.push({
      id: 'vrfy-discloses',
      severity: 'medium',
      message: `VRFY discloses mailboxes: ${vrfyEvidence(a.vrfy)}`,
      ref: 'RFC 5321 §7.3',
    });
  }
  if (a.expn?.exposure === 'discloses') {
    const shown = a.expn.lists.filter((l) => l.members.length > 0);
    out.push({
      id: 'expn-discloses',
      severity: 'medium',
      message: `EXPN discloses list members: ${shown.map((l) => `${l.list} (${l.members.length})`).join(', ') || 'forwarding paths'}`,
      ref: 'RFC 5321 §7.3',
    });
  }
  if (a.relay) out.push(...relayFindings(a.relay));
  return out;
}

function capsFindings(a: AuditAddress): AuditFinding[] {
  const clear = a.caps?.authBeforeTls ?? [];
  const plain = clear.filter((m) => PLAINTEXT_MECHS.has(m.toUpperCase()));
  if (plain.length > 0) {
    return [
      {
        id: 'auth-plaintext-without-tls',
        severity: 'high',
        message: `AUTH ${plain.join(' ')} offered before TLS: passwords can cross the network in clear`,
        ref: 'RFC 4954 §4, RFC 8314',
      },
    ];
  }
  if (clear.length > 0) {
    return [
      {
        id: 'auth-without-tls',
        severity: 'low',
        message: `AUTH ${clear.join(' ')} offered before TLS`,
        ref: 'RFC 4954 §4',
      },
    ];
  }
  return [];
}

function tlsFindings(a: AuditAddress): AuditFinding[] {
  const t = a.tls;
  if (!t) return [];
  if (t.outcome === 'not-offered') {
    return [
      {
        id: 'no-starttls',
        severity: 'medium',
        message: 'STARTTLS not offered: mail to this address travels in clear',
        ref: 'RFC 3207',
      },
    ];
  }
  if (t.outcome !== 'ok') {
    return [
      {
        id: 'starttls-broken',
        severity: 'high',
        message: `STARTTLS offered but ${t.outcome}${t.error ? ` (${t.error})` : ''}: senders fall back to clear text or defer`,
        ref: 'RFC 3207 §4',
      },
    ];
  }
  const out: AuditFinding[] = [];
  if (t.protocol && isOldProtocol(t.protocol)) {
    out.push({
      id: 'tls-old-protocol',
      severity: 'medium',
      message: `negotiated ${t.protocol}`,
      ref: 'RFC 8996',
    });
  }
  const c = t.certificate;
  if (!c) return out;
  if (c.daysLeft < 0) {
    out.push({
      id: 'cert-expired',
      severity: 'high',
      message: `certificate expired ${-c.daysLeft} days ago (${c.validTo})`,
      ref: 'RFC 5280 §4.1.2.5',
    });
  } else if (c.daysLeft < EXPIRY_WARNING_DAYS) {
    out.push({
      id: 'cert-expiring',
      severity: 'medium',
      message: `certificate expires in ${c.daysLeft} days (${c.validTo})`,
      ref: 'RFC 5280 §4.1.2.5',
    });
  }
  if (c.selfSigned) {
    out.push({
      id: 'cert-self-signed',
      severity: 'low',
      message: 'certificate is self-signed',
      ref: 'RFC 7672 §3.2 (PKIX senders refuse it)',
    });
  } else if (!c.trusted) {
    out.push({
      id: 'cert-untrusted',
      severity: 'medium',
      message: `certificate does not chain to a trusted root${c.trustError ? `: ${c.trustError}` : ''}`,
      ref: 'RFC 8461 §4.2 (MTA-STS senders refuse it)',
    });
  }
  return out;
}

/** vrfyEvidence: the codes for the real and the made-up name (the made-up one is random: not quoted). */
function vrfyEvidence(v: NonNullable<AuditAddress['vrfy']>): string {
  const [known, control] = v.evidence;
  return `${known?.command ?? 'VRFY postmaster'} → ${known?.reply.code ?? '—'}, a made-up name → ${control?.reply.code ?? '—'}`;
}
