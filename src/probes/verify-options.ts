/** What `verify` can be told, and what a run of it resolves once. */
import { hostname } from 'node:os';
import type { DnsTransport } from '../dns/transport.js';
import type { ProbeError } from '../errors.js';
import type { AddressVerdict, Reason } from '../schema/verify.js';
import type { TranscriptEntry } from '../session/transcript.js';
import type { Deadline } from '../time/deadline.js';
import type { Run, RunOptions } from './outcome.js';

/** VerifyInput: an address, or a line of --file with its number (a bad line gets the verdict invalid, not an error). */
export type VerifyInput = string | { text: string; line?: number };

/** Candidate: one host address to verify at, in the order to try. */
export interface Candidate {
  /** The MX name, the --server host, or the address literal. */
  host: string;
  address: string;
  port: number;
}

/** Found: the hosts to ask, or a final answer for every address of the domain (null MX, NXDOMAIN). */
export type Found =
  | { candidates: Candidate[] }
  | { final: { verdict: AddressVerdict['verdict']; reason: Reason; note: string } };

/** MxRoute: the MX walk, for the domains without --server (verify-route.ts, loaded when needed). */
export interface MxRoute {
  find(domain: string, port: number, deadline: Deadline): Promise<Found>;
  /** Ends the DNS transport the walks share. */
  close(): Promise<void>;
}

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
  /** Verify at these hosts, in order, instead of the MX (--server). */
  servers?: { host: string; port: number }[];
  onProgress?: (done: number, total: number) => void;
  /** Each address's verdict as soon as it is final (for NDJSON streams). */
  onVerdict?: (verdict: AddressVerdict) => void;
  /** With --transcript: every session's lines as they happen, labelled "host address #session". */
  onTranscript?: (entry: TranscriptEntry, label?: string) => void;
}

/** Ctx: the options with what the run resolved once. */
export interface VerifyCtx {
  options: VerifyOptions;
  from: string;
  /** The sender's local part is not ASCII: it needs SMTPUTF8 (RFC 6531 §3.4). */
  fromUtf8: boolean;
  /** The MX walk, when some domain needs one (closed when the run ends). */
  route?: MxRoute;
  run: Run;
  /** Host addresses ("address:port") that could not be used in this run, and why: not dialled again. */
  failedHosts: Map<string, ProbeError>;
  /** One domain's work at a host address at a time. */
  hostLocks: Map<string, Promise<void>>;
}
