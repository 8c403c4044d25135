/**
 * SMTP AUTH (RFC 4954) for PLAIN (RFC 4616) and LOGIN, pure: which mechanism to use from what
 * EHLO offered, the client's responses, and every form the password travels in, so the
 * transcript can hide each of them. No secret is ever part of a value this module returns
 * for display.
 */

/** AUTH_MECHANISMS: the mechanisms `send` speaks, in the order it prefers them. */
export const AUTH_MECHANISMS = ['PLAIN', 'LOGIN'] as const;
export type AuthMechanism = (typeof AUTH_MECHANISMS)[number];

/** Credentials: the user and the password (read from the environment or a prompt, never a flag). */
export interface Credentials {
  user: string;
  password: string;
}

/** chooseMechanism: `wanted` when offered, else the first of ours the server offers; null when none fits. */
export function chooseMechanism(
  offered: readonly string[] | undefined,
  wanted?: AuthMechanism,
): AuthMechanism | null {
  const upper = new Set((offered ?? []).map((m) => m.toUpperCase()));
  if (wanted) return upper.has(wanted) ? wanted : null;
  return AUTH_MECHANISMS.find((m) => upper.has(m)) ?? null;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** plainResponse: RFC 4616's message, no authorization identity: NUL user NUL password, in base64. */
export function plainResponse(c: Credentials): string {
  return b64(`\u0000${c.user}\u0000${c.password}`);
}

/** loginResponses: LOGIN's two answers, to "Username:" and to "Password:", in base64. */
export function loginResponses(c: Credentials): [string, string] {
  return [b64(c.user), b64(c.password)];
}

/** secretForms: the password as typed and as it goes on the wire, for Transcript.hide. */
export function secretForms(c: Credentials): string[] {
  return [c.password, b64(c.password), plainResponse(c)];
}
