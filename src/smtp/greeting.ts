/** What a greeting says beyond its code, pure. */
import type { Reply } from './reply.js';

/** bannerHostname: the domain a 220 greeting claims (RFC 5321 §4.3.1: "220 domain text"), if it looks like one. */
export function bannerHostname(banner: Reply): string | null {
  // "554 5.7.1 mx.example.com …": an RFC 3463 code, when there is one, comes before the domain.
  const word = banner.lines[0]?.trim().split(/\s+/)[banner.enhanced ? 1 : 0] ?? '';
  return /^(?:[a-z0-9_-]+\.)+[a-z0-9_-]+\.?$/i.test(word) || /^\[[^\]]+\]$/.test(word)
    ? word
    : null;
}
