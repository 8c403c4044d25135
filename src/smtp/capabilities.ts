/**
 * EHLO reply parsing (RFC 5321 §4.1.1.1): the first line names the server,
 * each further line is `keyword [params]`. Known extensions get structure;
 * everything else is kept raw so nothing the server said is lost.
 */
import type { Reply } from './reply.js';
import type { Capabilities, CapabilityChange, Extension } from '../schema/smtp.js';

export type { Capabilities, CapabilityChange, Extension };

const FLAGS = {
  PIPELINING: 'pipelining',
  '8BITMIME': 'eightBitMime',
  SMTPUTF8: 'smtpUtf8',
  CHUNKING: 'chunking',
  BINARYMIME: 'binaryMime',
  DSN: 'dsn',
  ENHANCEDSTATUSCODES: 'enhancedStatusCodes',
  STARTTLS: 'starttls',
  REQUIRETLS: 'requireTls',
  VRFY: 'vrfy',
  ETRN: 'etrn',
} as const satisfies Record<string, keyof Capabilities>;

/** NO_EXTENSIONS: what a server that answered HELO, not EHLO, offers: nothing (RFC 5321 §4.1.1.1). */
export const NO_EXTENSIONS: Capabilities = parseCapabilities({ code: 250, lines: [''] });

/** parseCapabilities: structure from an EHLO 250 reply. */
export function parseCapabilities(reply: Reply): Capabilities {
  const [first = '', ...rest] = reply.lines;
  const caps: Capabilities = {
    hostname: first.trim().split(/\s+/)[0] ?? '',
    pipelining: false,
    eightBitMime: false,
    smtpUtf8: false,
    chunking: false,
    binaryMime: false,
    dsn: false,
    enhancedStatusCodes: false,
    starttls: false,
    requireTls: false,
    vrfy: false,
    etrn: false,
    extensions: [],
    other: [],
  };
  for (const line of rest) {
    const [word = '', ...params] = line.trim().split(/\s+/);
    if (word === '') continue;
    const ext = { keyword: word.toUpperCase(), params };
    caps.extensions.push(ext);
    if (!applyKnown(caps, ext)) caps.other.push(ext);
  }
  return caps;
}

function applyKnown(caps: Capabilities, ext: Extension): boolean {
  const { keyword, params } = ext;
  if (keyword in FLAGS) {
    caps[FLAGS[keyword as keyof typeof FLAGS]] = true;
    return true;
  }
  if (keyword === 'SIZE') {
    const { size, invalid } = parseSize(params);
    caps.size = size;
    if (invalid === undefined) delete caps.sizeInvalid;
    else caps.sizeInvalid = invalid;
    return true;
  }
  // Old Microsoft/Netscape clients needed "AUTH=PLAIN LOGIN"; servers still send both forms.
  if (keyword === 'AUTH' || keyword.startsWith('AUTH=')) {
    const mechs = keyword === 'AUTH' ? params : [keyword.slice(5), ...params];
    const merged = new Set([
      ...(caps.auth ?? []),
      ...mechs.filter(Boolean).map((m) => m.toUpperCase()),
    ]);
    caps.auth = [...merged];
    return true;
  }
  return false;
}

/**
 * parseSize: the SIZE keyword's parameter (RFC 1870 §4: `size-param ::= [1*DIGIT]`).
 * None, or 0, is "no fixed limit". Anything but ASCII digits ("0x10", "-1", "1e6",
 * "10 MB") is no limit given either, not a number read generously: `invalid` keeps
 * the text as sent. So does a digit string too long to hold exactly (past 2^53 - 1).
 */
function parseSize(params: string[]): { size: number; invalid?: string } {
  if (params.length === 0) return { size: 0 };
  const text = params.join(' ');
  if (params.length > 1 || !/^[0-9]+$/.test(text)) return { size: 0, invalid: text };
  const n = Number(text);
  return Number.isSafeInteger(n) ? { size: n } : { size: 0, invalid: text };
}

/** diffCapabilities: keywords (with AUTH mechanisms spelled out) present on one side only. */
export function diffCapabilities(before: Capabilities, after: Capabilities): CapabilityChange {
  const words = (c: Capabilities): Set<string> =>
    new Set([
      ...c.extensions
        .filter((e) => e.keyword !== 'AUTH' && !e.keyword.startsWith('AUTH='))
        .map((e) => e.keyword),
      ...(c.auth ?? []).map((m) => `AUTH ${m}`),
    ]);
  const a = words(before);
  const b = words(after);
  return { added: [...b].filter((w) => !a.has(w)), removed: [...a].filter((w) => !b.has(w)) };
}
