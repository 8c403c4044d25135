/**
 * What our two HTTPS clients (the DoH transport and the MTA-STS policy fetch, both undici) read
 * the same way: one response header, and a request that got no response, in words.
 */
import type { Dispatcher } from 'undici';

/** header: one response header as a string (the first, if repeated). */
export function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** noResponseText: why a request got no response (not TLS: see tlsFailureReason), with where it went. */
export function noResponseText(err: unknown, where: string): string {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const text = e instanceof Error ? e.message.trim() : String(err);
  const meaning = code === 'ECONNREFUSED' ? 'connection refused (RST)' : code;
  return `${meaning ? `${meaning}: ` : ''}${text} at ${where}`;
}
