/**
 * HTML text for the audit report, escaped by construction: the `html` tag escapes every value it
 * interpolates unless that value is already `Html`, so a banner, a reply, a host name or a
 * certificate subject (all chosen by the server being audited) can only ever land in the page as
 * text. Control bytes are shown as \xNN first, as on the terminal.
 */
import type { Reply } from '../schema/smtp.js';
import { printable } from './terminal.js';

/** Html: markup that is already safe to place in the page (built by `html` or `trusted`). */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** escapeText: `text` safe in an element or a quoted attribute; control bytes become \xNN. */
export function escapeText(text: string): string {
  return printable(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** HtmlValue: what `html` interpolates: text is escaped, Html kept, arrays joined, nullish dropped. */
export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

function piece(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.markup;
  if (Array.isArray(value)) return value.map(piece).join('');
  return escapeText(String(value));
}

/** html: a template tag that escapes every interpolated value that is not already Html. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += piece(values[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** trusted: markup written by this program (never server text) taken as it is. */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** joinHtml: the values, escaped as `html` would, with `sep` (this program's text: a newline stays one) between them. */
export function joinHtml(values: readonly HtmlValue[], sep: string): Html {
  return new Html(values.map(piece).join(sep.replace(/[&<>"']/g, (c) => ENTITIES[c]!)));
}

/** wireReply: a reply as it crossed the wire, one line each ("250-…", "250 …"), prefixed "<<< ". */
export function wireReply(reply: Reply): string[] {
  return reply.lines.map(
    (l, i) => `<<< ${reply.code}${i === reply.lines.length - 1 ? ' ' : '-'}${l}`,
  );
}

/** wireExchange: a command and its reply, as a transcript reads (">>> VRFY x", "<<< 252 …"). */
export function wireExchange(command: string, reply: Reply | null): string[] {
  return [`>>> ${command}`, ...(reply ? wireReply(reply) : ['(no reply)'])];
}

/** replyBrief: the code, enhanced code and first line, for a one-line account of a reply. */
export function replyBrief(reply: Reply): string {
  const first = reply.lines[0] ?? '';
  return reply.lines.length > 1 ? `${reply.code} ${first} …` : `${reply.code} ${first}`;
}
