/** What `verify` can be told, and what a run of it resolves once. */
import { hostname } from 'node:os';
import type { ServerAddress } from '../dns/name.js';
import type { DnsTransport } from '../dns/transport.js';
import type { Run, RunOptions } from './outcome.js';

/**
 * defaultFrom: postmaster at this machine's FQDN — a domain that resolves
 * (servers with reject_unknown_sender_domain refuse made-up ones) and a
 * mailbox every site must have (RFC 5321 §4.5.1); without a FQDN, the null
 * path <>, which some servers accept for one recipient only (see docs).
 */
export function defaultFrom(): string {
  const name = hostname().toLowerCase();
  return /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(name) ? `postmaster@${name}` : '';
}

/** VerifyOptions: what `verify` can be told. */
export interface VerifyOptions extends RunOptions {
  resolvers?: string[];
  port?: number;
  from?: string;
  helo?: string;
  starttls?: boolean;
  pipelining?: boolean;
  maxErrors?: number;
  catchAll?: boolean;
  /** Sessions per MX host at once (default 1). */
  connections?: number;
  /** Methods in order: ['rcpt'] (default), ['vrfy', 'rcpt'] (VRFY first where the server answers it), or ['vrfy']. */
  methods?: ('vrfy' | 'rcpt')[];
  /** Retry greylisted addresses once after this many ms. */
  retryAfterMs?: number;
  dnsTimeoutMs?: number;
  /** How DNS queries travel (default UDP, TCP after truncation); tests plug in an in-memory zone. */
  dnsTransport?: DnsTransport;
  onProgress?: (done: number, total: number) => void;
}

/** Ctx: the options with what the run resolved once. */
export interface VerifyCtx {
  options: VerifyOptions;
  from: string;
  servers: ServerAddress[];
  run: Run;
}
