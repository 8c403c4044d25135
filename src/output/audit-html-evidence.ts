/**
 * One audited address as evidence: what it is, how the connection went, and for each check the
 * commands sent and the replies got (VRFY/EXPN, the relay trial that decided, the recipient
 * probes), and the certificate's facts. Every value a server chose goes through `html`.
 *
 * The evidence is one `<pre>` of labelled lines, not a tree of elements: a 10,000-site report
 * holds thousands of these, and the browser's parse time grows with elements, not with text.
 */
import type {
  AuditAddress,
  AuditCaps,
  AuditExpn,
  AuditFinding,
  AuditRelay,
  AuditTls,
  AuditVrfy,
  RecipientProbe,
  RelayTrial,
} from '../schema/audit.js';
import {
  type Html,
  type HtmlValue,
  html,
  joinHtml,
  replyBrief,
  wireExchange,
} from './audit-html-text.js';
import { CHECK_WORDS, type Check, checkWord } from './audit-html-words.js';

const LABEL_WIDTH = 11;

/** line: a labelled line of the evidence ("banner     mx1 ESMTP …"). */
function line(label: string, value: HtmlValue): Html {
  return html`${label.padEnd(LABEL_WIDTH)}${value}`;
}

/** verdict: the check's word for this address, coloured as in the table. */
function verdict(a: AuditAddress, check: Check): Html {
  const w = checkWord(a, check) ?? '—';
  const tone = (CHECK_WORDS[check] as Record<string, string>)[w] ?? '';
  return html`<b class="${tone}">${w}</b>`;
}

function list(values: readonly string[]): string {
  return values.length > 0 ? values.join(' ') : '(none)';
}

function capsLines(c: AuditCaps): Html[] {
  const size = c.size === null ? 'not offered' : c.size === 0 ? 'no limit' : `${c.size} octets`;
  const after = c.authAfterTls ? list(c.authAfterTls) : '(no TLS session)';
  return [
    line('banner', c.banner ?? '(none)'),
    line(c.verb, list(c.extensions)),
    line('AUTH', `before TLS: ${list(c.authBeforeTls)}; after TLS: ${after}`),
    line(
      'SIZE',
      `${size} · SMTPUTF8 ${c.smtputf8 ? 'yes' : 'no'} · PIPELINING ${c.pipelining ? 'yes' : 'no'}`,
    ),
  ];
}

function tlsLines(a: AuditAddress, t: AuditTls): Html[] {
  const c = t.certificate;
  const how = `${t.outcome}${t.protocol ? `, ${t.protocol}` : ''}${t.error ? `: ${t.error}` : ''}`;
  const out = [line('STARTTLS', html`${verdict(a, 'tls')} (${how})`)];
  if (c) {
    const trust = `${c.trusted ? 'trusted' : 'not trusted'}${c.selfSigned ? ', self-signed' : ''}${c.trustError ? `: ${c.trustError}` : ''}`;
    out.push(
      line('subject', c.subject),
      line('names', list(c.names)),
      line('issuer', c.issuer),
      line('valid to', `${c.validTo} (${c.daysLeft} days left)`),
      line('trust', trust),
    );
  }
  return out;
}

function vrfyLines(a: AuditAddress, v: AuditVrfy): HtmlValue[] {
  return [
    line('VRFY', html`${verdict(a, 'vrfy')} (made-up control name: ${v.control})`),
    ...v.evidence.flatMap((e) => wireExchange(e.command, e.reply)),
  ];
}

function expnLines(a: AuditAddress, x: AuditExpn): HtmlValue[] {
  const shown = x.lists.filter((l) => l.members.length > 0);
  const members = shown.map((l) => `${l.list}: ${l.members.join(', ')}`).join('; ');
  return [
    line('EXPN', html`${verdict(a, 'expn')}${members ? ` — ${members}` : ''}`),
    ...x.lists.flatMap((l) => wireExchange(l.command, l.reply)),
  ];
}

function trialLines(t: RelayTrial): string[] {
  return [
    ...wireExchange(`MAIL FROM:<${t.mailFrom}>`, t.mail),
    ...(t.rcpt ? wireExchange(`RCPT TO:<${t.rcptTo}>`, t.rcpt) : []),
  ];
}

function trialBrief(t: RelayTrial): string {
  const rcpt = t.rcpt ? `RCPT ${replyBrief(t.rcpt)}` : 'RCPT not sent';
  return `${''.padEnd(LABEL_WIDTH)}${t.variant}: MAIL ${replyBrief(t.mail)} · ${rcpt}`;
}

/** relayLines: the verdict, the trial that decided it in full, every other trial in one line. */
function relayLines(a: AuditAddress, r: AuditRelay): HtmlValue[] {
  const d = r.decidedBy;
  const others = r.trials.filter((t) => !(d && t.variant === d.variant && t.rcptTo === d.rcptTo));
  return [
    line('relay', html`${verdict(a, 'relay')}${d ? ` — decided by ${d.variant}` : ''}`),
    ...(d ? trialLines(d) : []),
    ...others.map(trialBrief),
  ];
}

function recipientLines(rs: readonly RecipientProbe[]): HtmlValue[] {
  return [
    line('recipients', 'made-up mailboxes at the domains this address serves'),
    ...rs.flatMap((r) => [
      ...wireExchange(`RCPT TO:<${r.rcptTo}>`, r.reply),
      `${''.padEnd(LABEL_WIDTH)}${r.accepts ? 'accepts a mailbox that cannot exist' : 'refused'} (${r.domain})`,
    ]),
  ];
}

/** findingItems: findings as list items, severity first; `withAddress` names the address each is about. */
export function findingItems(
  findings: readonly (AuditFinding & { address?: string | null })[],
  withAddress = true,
): Html {
  const items = findings.map(
    (f) =>
      html`<li><b class="${f.severity}">${f.severity}</b> ${f.id}: ${f.message} (${f.ref}${withAddress && f.address ? `; ${f.address}` : ''})`,
  );
  return html`<ul class="f">${items}</ul>`;
}

/** addressHeading: the address, the names that led to it and how the connection went. */
export function addressHeading(a: AuditAddress): Html {
  const tone = a.status === 'ok' ? 'g' : 'b';
  const sessions = `${a.sessions} session${a.sessions === 1 ? '' : 's'}`;
  return html`<h4>${a.key} ${joinHtml(a.names, ', ')} · <span class="${tone}">${a.status}</span> · ${Math.round(a.ms)} ms · ${sessions}</h4>`;
}

/**
 * addressEvidence: the whole record of one address. `withFindings` adds its findings (a site's
 * details list them already, with the site's own).
 */
export function addressEvidence(a: AuditAddress, withFindings: boolean): Html {
  const e = a.error;
  const lines: HtmlValue[] = [
    ...(e ? [line('error', `${e.code} at ${e.stage}: ${e.message}`)] : []),
    ...(a.caps ? capsLines(a.caps) : []),
    ...(a.tls ? tlsLines(a, a.tls) : []),
    ...(a.vrfy ? vrfyLines(a, a.vrfy) : []),
    ...(a.expn ? expnLines(a, a.expn) : []),
    ...(a.relay ? relayLines(a, a.relay) : []),
    ...(a.recipients.length > 0 ? recipientLines(a.recipients) : []),
  ];
  const findings = withFindings && a.findings.length > 0 ? findingItems(a.findings, false) : '';
  return html`${addressHeading(a)}${findings}${lines.length > 0 ? html`<pre>${joinHtml(lines, '\n')}</pre>` : ''}`;
}
