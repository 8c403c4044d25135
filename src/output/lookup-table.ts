/**
 * The vrfy/expn result for a person: one row per name asked (query, line
 * sent, meaning, the mailbox or members the server returned, its reply),
 * then the connection in one line and the disclosure finding.
 */
import type { LookupItem, LookupResult, NamedMailboxOutput } from '../schema/lookup.js';
import type { LookupMeaning } from '../smtp/lookup-meaning.js';
import { formatReply } from '../smtp/reply.js';
import { DEFAULT_WIDTH, fitTable, type Cell, type CellInput, type TableStyle } from './table.js';
import { printable, type Paint } from './terminal.js';
import { wrapText } from './wrap.js';

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

function sentCell(item: LookupItem, p: Paint): Cell {
  if (item.command === null) return { text: '—', paint: p.dim };
  const where = item.reconnected ? `\n${p.dim(`(session ${item.session}, after 421)`)}` : '';
  return { text: `${printable(item.command)}${where}` };
}

/** renderLookup: the table, the connection line, the control lookup, the disclosure finding and the counts. */
export function renderLookup(r: LookupResult, style: TableStyle): string {
  const p = style.paint;
  const width = style.width ?? DEFAULT_WIDTH;
  const body = r.items.map((item): CellInput[] => [
    printable(item.query),
    sentCell(item, p),
    { text: item.meaning, paint: meaningColour(p, item.meaning) },
    foundText(item),
    item.reply
      ? formatReply(item.reply).map(printable).join('\n')
      : { text: printable(item.note ?? ''), paint: p.dim },
  ]);
  // Narrow terminals: the line sent joins the query, then the server's reply moves under the row.
  const rows = fitTable(
    style,
    [
      { head: 'query' },
      { head: 'sent', fold: 0, foldOrder: 1 },
      { head: 'meaning', fit: 'keep' },
      { head: r.verb === 'EXPN' ? 'members' : 'mailbox' },
      { head: 'reply', min: 26, fold: 'under', foldOrder: 2 },
    ],
    body,
  );
  const out = [connectionLine(r)];
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
  return `${rows}\n\n${out.map((l) => wrapText(l, width, '  ')).join('\n')}\n`;
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
