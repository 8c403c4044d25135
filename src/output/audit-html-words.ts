/**
 * One word per check for one audited address (and the worst of them for a site), as the report's
 * table shows them: what VRFY, EXPN, the relay trials and STARTTLS came to, with a tone
 * (b bad, w worth a look, g fine) the page colours.
 */
import { EXPIRY_WARNING_DAYS } from '../probes/findings.js';
import type { AuditAddress, AuditSite, AuditTls } from '../schema/audit.js';

/** Tone: the class a word is shown with: b bad, w worth a look, g fine, '' not asked. */
export type Tone = 'b' | 'w' | 'g' | '';

/** Word: what one check came to. */
export interface Word {
  word: string;
  tone: Tone;
}

/** CHECK_WORDS: each check's words, worst first, with their tones. */
export const CHECK_WORDS = {
  vrfy: { discloses: 'b', 'blanket-252': 'w', unknown: 'w', policy: 'g', disabled: 'g' },
  expn: { discloses: 'b', unknown: 'w', refused: 'g', 'not-implemented': 'g' },
  relay: { open: 'b', unknown: 'w', closed: 'g' },
  tls: {
    none: 'b',
    failed: 'b',
    expired: 'b',
    untrusted: 'b',
    refused: 'w',
    expiring: 'w',
    ok: 'g',
  },
} as const satisfies Record<string, Record<string, Tone>>;

/** Check: a column of the table. */
export type Check = keyof typeof CHECK_WORDS;

/**
 * tlsWord: STARTTLS and its certificate in one word. `none` is STARTTLS not offered; `untrusted`
 * covers a self-signed or otherwise unverifiable chain; `expiring` is under EXPIRY_WARNING_DAYS.
 */
export function tlsWord(tls: AuditTls): keyof typeof CHECK_WORDS.tls {
  if (tls.outcome === 'not-offered') return 'none';
  if (tls.outcome !== 'ok') return tls.outcome;
  const cert = tls.certificate;
  if (!cert) return 'ok';
  if (cert.daysLeft < 0) return 'expired';
  if (!cert.trusted) return 'untrusted';
  return cert.daysLeft < EXPIRY_WARNING_DAYS ? 'expiring' : 'ok';
}

/** checkWord: the word for one check of one address, or null when that check did not run. */
export function checkWord(a: AuditAddress, check: Check): string | null {
  switch (check) {
    case 'vrfy':
      return a.vrfy?.exposure ?? null;
    case 'expn':
      return a.expn?.exposure ?? null;
    case 'relay':
      return a.relay?.verdict ?? null;
    case 'tls':
      return a.tls ? tlsWord(a.tls) : null;
  }
}

/** worstOf: the worst of `words` for `check` (unknown words and null ignored); '—' when none. */
function worstOf(check: Check, words: readonly (string | null)[]): Word {
  const tones = CHECK_WORDS[check] as Record<string, Tone>;
  const order = Object.keys(tones);
  let best = order.length;
  for (const w of words) {
    const i = w === null ? -1 : order.indexOf(w);
    if (i >= 0 && i < best) best = i;
  }
  if (best === order.length) return { word: '—', tone: '' };
  const word = order[best]!;
  return { word, tone: tones[word]! };
}

/** worstWord: the worst of several addresses' words for `check`; '—' with no tone when none ran. */
export function worstWord(addresses: readonly AuditAddress[], check: Check): Word {
  return worstOf(
    check,
    addresses.map((a) => checkWord(a, check)),
  );
}

/**
 * siteWord: a site's word for `check`. VRFY, EXPN and relay are the site's own `exposure` (the
 * audit's verdict, there even when an address record is missing); TLS is the worse of its
 * STARTTLS exposure and its addresses' certificates, which `exposure` does not cover.
 */
export function siteWord(site: AuditSite, addresses: readonly AuditAddress[], check: Check): Word {
  if (check !== 'tls') return worstOf(check, [site.exposure[check]]);
  const starttls = site.exposure.starttls;
  const fromSite = starttls === 'not-offered' ? 'none' : starttls;
  return worstOf(check, [fromSite, ...addresses.map((a) => checkWord(a, check))]);
}
