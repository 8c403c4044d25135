/**
 * The send result for a person: the route (hosts tried, the session, TLS, AUTH), the
 * transaction as command → reply rows, and the outcome with the queue id and per-stage
 * timings. Every server-supplied string goes through printable().
 */
import { formatEndpoint } from '../net/target.js';
import type { SendResult } from '../schema/send.js';
import { formatReply, type Reply } from '../smtp/reply.js';
import { formatDuration } from '../time/duration.js';
import { type CellInput, type Column, fitTable, type TableStyle, timingsCell } from './table.js';
import { SETUP_STAGES } from '../vocabulary.js';
import { printable } from './terminal.js';

const KEY_VALUE: Column[] = [{ fit: 'keep' }, { min: 20 }];
const STEPS: Column[] = [
  { head: 'sent', min: 16 },
  { head: 'reply', min: 20 },
];

const replyLine = (r: Reply): string => formatReply(r).map(printable).join('\n');
const ms = (n: number | undefined): string => (n === undefined ? '' : formatDuration(n));

/** renderSend: the sections of a send result, as one string. */
export function renderSend(r: SendResult, style: TableStyle): string {
  const out = [section('Route', routeTable(r, style), style)];
  const steps = stepRows(r, style);
  if (steps.length > 0) out.push(section('Transaction', fitTable(style, STEPS, steps), style));
  out.push(section('Outcome', outcomeTable(r, style), style));
  return out.join('\n');
}

function section(title: string, body: string, style: TableStyle): string {
  return `${style.paint.bold(title)}\n${body}\n`;
}

function routeTable(r: SendResult, style: TableStyle): string {
  const p = style.paint;
  const rows: CellInput[][] = [['route', printable(r.route)]];
  for (const h of r.hosts) {
    const tries = h.attempts
      .map((a) => `${formatEndpoint(a.address, h.port)} ${a.status} (${ms(a.ms)})`)
      .join('\n');
    const label =
      h.preference !== null
        ? `MX ${h.preference}`
        : r.route.startsWith('MX')
          ? 'implicit MX'
          : 'server';
    // An IP literal is its own one address: the attempt line says it all.
    const name =
      h.attempts.length === 1 && h.attempts[0]!.address === h.host ? '' : printable(h.host);
    const text = [name, tries, h.error ? printable(h.error) : ''].filter(Boolean).join('\n');
    rows.push([label, h.status === 'ok' ? text : { text, paint: p.yellow }]);
  }
  if (r.banner) rows.push(['banner', replyLine(r.banner)]);
  const caps = r.capabilitiesAfterTls ?? r.capabilities;
  if (caps)
    rows.push([
      'extensions',
      caps.extensions.map((e) => printable([e.keyword, ...e.params].join(' '))).join(', ') ||
        '(none)',
    ]);
  if (r.tls) rows.push(['TLS', tlsText(r, style)]);
  else if (r.address)
    rows.push(['TLS', { text: 'none: the session ran in clear', paint: p.yellow }]);
  if (r.auth)
    rows.push([
      'AUTH',
      {
        text: `${r.auth.mechanism} as ${printable(r.auth.user)}: ${replyLine(r.auth.reply)}`,
        paint: r.auth.accepted ? p.green : p.red,
      },
    ]);
  return fitTable(style, KEY_VALUE, rows);
}

function tlsText(r: SendResult, style: TableStyle): CellInput {
  const tls = r.tls!;
  const mode = tls.mode === 'implicit' ? 'implicit TLS' : 'STARTTLS';
  if (tls.outcome !== 'ok' || !tls.info)
    return {
      text: `${mode} ${tls.outcome}${tls.error ? `: ${printable(tls.error)}` : ''}${tls.reply && tls.outcome === 'refused' ? `: ${replyLine(tls.reply)}` : ''}`,
      paint: style.paint.red,
    };
  const { info } = tls;
  const cert =
    info.nameMatch.ok && info.trusted.ok
      ? 'certificate trusted and matches'
      : `certificate ${[
          info.nameMatch.ok ? '' : `does not match ${printable(info.nameMatch.name)}`,
          info.trusted.ok ? '' : `not trusted (${printable(info.trusted.error ?? '')})`,
        ]
          .filter(Boolean)
          .join(', ')}`;
  return {
    text: `${mode}, ${info.protocol}, ${info.cipher}; ${cert}`,
    paint: info.nameMatch.ok && info.trusted.ok ? (s) => s : style.paint.yellow,
  };
}

function stepRows(r: SendResult, style: TableStyle): CellInput[][] {
  const p = style.paint;
  const row = (command: string, reply: Reply | null): CellInput[] => [
    printable(command),
    reply
      ? { text: replyLine(reply), paint: reply.code < 400 ? (s) => s : p.red }
      : { text: '(no reply)', paint: p.dim },
  ];
  const rows: CellInput[][] = [];
  if (r.mail) rows.push(row(r.mail.command, r.mail.reply));
  for (const rc of r.recipients) rows.push(row(rc.command, rc.reply));
  if (r.data) rows.push(row(r.data.command, r.data.reply));
  if (r.final)
    rows.push(row(`(message: ${r.message.lines} lines, ${r.message.size} octets) .`, r.final));
  return rows;
}

function outcomeTable(r: SendResult, style: TableStyle): string {
  const p = style.paint;
  const words: Record<SendResult['outcome'], [string, (s: string) => string]> = {
    accepted: ['accepted: the server took the message for every recipient', p.green],
    partial: ['partly accepted: some recipients were refused', p.yellow],
    stopped: [`stopped after ${r.quitAfter} (--quit-after), as asked`, p.green],
    refused: ['refused by the server', p.red],
    failed: ['failed: the session ended before the server took the message (see the error)', p.red],
    interrupted: ['interrupted (Ctrl-C or --timeout) before the server took the message', p.red],
  };
  const [text, paint] = words[r.outcome];
  const rows: CellInput[][] = [['outcome', { text, paint }]];
  if (r.queueId) rows.push(['queue id', printable(r.queueId)]);
  if (r.message.messageId) rows.push(['Message-ID', printable(r.message.messageId)]);
  rows.push(['message', messageText(r)]);
  if (r.parameters && (r.parameters.mail.length || r.parameters.rcpt.length))
    rows.push(['parameters', [...r.parameters.mail, ...r.parameters.rcpt].join(' ')]);
  // Stages that went as one PIPELINING group have one time, named for all of them.
  const grouped = {
    ...(r.pipelined
      ? { mail: r.data && r.timings.data === undefined ? 'mail+rcpt+data' : 'mail+rcpt' }
      : {}),
    ...(r.pipelined && r.timings.quit === undefined ? { rset: 'rset+quit' } : {}),
  };
  const order = [
    ...SETUP_STAGES,
    'auth',
    'mail',
    'rcpt',
    'data',
    'message',
    'rset',
    'quit',
    'total',
  ];
  rows.push(['timings', timingsCell(r.timings, order, grouped)]);
  return fitTable(style, KEY_VALUE, rows);
}

function messageText(r: SendResult): string {
  const m = r.message;
  const what = m.source === 'data-file' ? '--data file, sent as is' : 'built';
  const traits = [m.eightBit ? '8-bit' : '', m.smtpUtf8 ? 'SMTPUTF8' : ''].filter(Boolean);
  const subject = m.subject === null ? '' : `; Subject: ${printable(m.subject)}`;
  return `${m.size} octets, ${m.lines} lines (${[what, ...traits].join(', ')})${subject}`;
}
