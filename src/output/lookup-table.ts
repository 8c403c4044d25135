/**
 * The vrfy/expn result for a person: one row per name asked (query, line
 * sent, meaning, the mailbox or members the server returned, its reply),
 * then the connection in one line and the disclosure finding.
 */
import type { LookupItem, LookupResult, NamedMailboxOutput } from '../schema/lookup.js';
import type { LookupMeaning } from '../smtp/lookup-meaning.js';
import { formatReply } from '../smtp/reply.js';
import { table, type TableStyle } from './caps-table.js';
import { printable, type Paint } from './terminal.js';

/** meaningColour: green for what a server gives away, red for a no, yellow for "can't tell", dim for silence. */
export function meaningColour(p: Paint, meaning: LookupMeaning): (s: string) => string {
  switch (meaning) {
    case 'exists':
    case 'will-forward':
      return p.green;
    case 'no-such-user':
    case 'not-local':
      return p.red;
    case 'cannot-verify':
    case 'ambiguous':
    case 'temporary':
    case 'server-closing':
      return p.yellow;
    default:
      return p.dim;
  }
}

const mailboxText = (m: NamedMailboxOutput): string =>
  printable(m.name ? `${m.name} <${m.address}>` : m.address);

/** foundText: the mailbox, members, forward path or candidates an item's reply carried. */
function foundText(item: LookupItem): string {
  if (item.members) return item.members.map(mailboxText).join('\n');
  if (item.mailbox) return mailboxText(item.mailbox);
  if (item.forwardPath) return `→ ${printable(item.forwardPath)}`;
  if (item.candidates) return ['one of:', ...item.candidates.map(mailboxText)].join('\n');
  return '';
}

function sentText(item: LookupItem, p: Paint, fit: (text: string) => string): string {
  if (item.command === null) return p.dim('—');
  const where = item.reconnected ? `\n${p.dim(`(session ${item.session}, after 421)`)}` : '';
  return `${fit(printable(item.command))}${where}`;
}

/**
 * breakLongWords: cli-table3 cuts a word longer than its cell with "…"; an
 * address is evidence, so split such words across lines instead.
 */
export function breakLongWords(text: string, cellWidth: number | null | undefined): string {
  const max = Math.max(8, (cellWidth ?? 80) - 2);
  return text
    .split('\n')
    .map((line) =>
      line
        .split(' ')
        .map((word) => {
          if (word.length <= max) return word;
          const pieces: string[] = [];
          for (let i = 0; i < word.length; i += max) pieces.push(word.slice(i, i + max));
          return pieces.join('\n');
        })
        .join(' '),
    )
    .join('\n');
}

/** renderLookup: the table, the connection line, the control lookup, the disclosure finding and the counts. */
export function renderLookup(r: LookupResult, style: TableStyle): string {
  const p = style.paint;
  const rows = table(
    style,
    ['query', 'sent', 'meaning', r.verb === 'EXPN' ? 'members' : 'mailbox', 'reply'],
    [12, 30, 17, 28],
  );
  const widths = rows.options.colWidths;
  const fit = (text: string, col: number): string => breakLongWords(text, widths[col]);
  for (const item of r.items) {
    const reply = item.reply
      ? fit(formatReply(item.reply).map(printable).join('\n'), 4)
      : p.dim(fit(printable(item.note ?? ''), 4));
    const meaning = meaningColour(p, item.meaning)(item.meaning);
    rows.push([
      fit(printable(item.query), 0),
      sentText(item, p, (t) => fit(t, 1)),
      meaning,
      fit(foundText(item), 3),
      reply,
    ]);
  }
  const out = [rows.toString(), '', connectionLine(r)];
  if (r.control)
    out.push(
      `${p.bold('Control:')} ${printable(r.control.command)} → ${printable(formatReply(r.control.reply).join(' / '))} (${r.control.meaning})`,
    );
  const colour = r.discloses === true ? p.red : r.discloses === false ? p.green : p.yellow;
  out.push(`${p.bold('Disclosure:')} ${colour(printable(r.disclosure))}`);
  out.push(
    `${p.bold('Summary:')} ${Object.entries(r.counts)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')}`,
  );
  return `${out.join('\n')}\n`;
}

function connectionLine(r: LookupResult): string {
  const parts: string[] = [];
  if (r.banner) parts.push(printable(formatReply(r.banner)[0] ?? ''));
  if (r.hello) parts.push(`${r.hello} ${printable(r.helo)}`);
  parts.push(
    r.tls
      ? r.tls.outcome === 'ok'
        ? `STARTTLS ${r.tls.protocol ?? 'ok'}`
        : `STARTTLS refused (${r.tls.reply?.code ?? '?'}), in clear`
      : 'no TLS',
  );
  parts.push(`${r.sessions} session${r.sessions === 1 ? '' : 's'}`);
  if (r.domain) parts.push(`domain ${printable(r.domain)}`);
  return parts.join(' · ');
}
