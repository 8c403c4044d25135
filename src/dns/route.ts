/**
 * The transport of a run whose resolvers may mix plain DNS and DNS over HTTPS (`--resolver
 * 127.0.0.1 --resolver https://dns.example/dns-query`): a query for a server with a URL goes to
 * that URL's DohTransport, made on first use and shared by every resolver of the run (one
 * kept-alive connection, not one per domain); the rest go to the plain transport.
 */
import type { TrustStore } from '../net/tls.js';
import { type DohTransport, dohTransport } from './doh.js';
import type { DnsTransport } from './transport.js';

/** RoutedTransport: a DnsTransport that must be closed: undici keeps idle HTTPS connections, and their timers would hold the process open. */
export interface RoutedTransport extends DnsTransport {
  close(): Promise<void>;
}

/** routedTransport: see the module comment; `trust` is what DoH servers' certificates are checked against. */
export function routedTransport(plain: DnsTransport, trust?: TrustStore): RoutedTransport {
  const doh = new Map<string, DohTransport>();
  const https = (url: string): DohTransport => {
    let t = doh.get(url);
    if (!t) {
      t = dohTransport(url, trust ? { trust } : {});
      doh.set(url, t);
    }
    return t;
  };
  return {
    protocol: (tcp, server) => (server.url ? 'https' : plain.protocol(tcp, server)),
    exchange: (query, server, opts) =>
      server.url
        ? https(server.url).exchange(query, server, opts)
        : plain.exchange(query, server, opts),
    async close() {
      const open = [...doh.values()];
      doh.clear();
      await Promise.all(open.map((t) => t.close()));
    },
  };
}
