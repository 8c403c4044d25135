/**
 * AddressResolver: a host name to the addresses to try, in order. The default
 * asks the system (getaddrinfo: /etc/hosts, then the configured DNS), which is
 * what a user typing `caps mail.example.com` expects; the DNS layer offers one
 * over its own resolver (dnsAddressResolver in src/dns/addresses.ts), so `--resolver` can govern it.
 */
import { lookup } from 'node:dns/promises';
import { ProbeError } from '../errors.js';

/** AddressResolver: addresses of `host` (IPv6 and IPv4 in the order to try); rejects with a ProbeError at stage `resolve`. */
export type AddressResolver = (host: string, signal: AbortSignal) => Promise<string[]>;

/** systemAddressResolver: getaddrinfo, verbatim order. It cannot be cancelled; a fired signal only stops the wait for it. */
export const systemAddressResolver: AddressResolver = async (host, signal) => {
  try {
    const found = await lookup(host, { all: true, verbatim: true });
    signal.throwIfAborted();
    return found.map((a) => a.address);
  } catch (err) {
    if (err instanceof ProbeError || signal.aborted) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const notFound = code === 'ENOTFOUND' || code === 'ENODATA';
    throw new ProbeError({
      code: notFound ? 'RESOLVE_NOT_FOUND' : 'RESOLVE_FAILED',
      stage: 'resolve',
      target: host,
      cause: err,
      message: notFound
        ? `${host} has no address (A/AAAA)`
        : `cannot resolve ${host}: ${code ?? String(err)}`,
    });
  }
};
