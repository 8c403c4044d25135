/** The DNS layer: names, wire format, transports, the tracing resolver. */
export { normalizeDomain, parseResolverAddress, DNS_PORT, MAX_LABEL_OCTETS, MAX_NAME_OCTETS, type ServerAddress } from './name.js';
export { Resolver, DNS_TIMEOUT_MS, DNS_RETRIES, MAX_CNAME_HOPS, type ResolverOptions } from './resolver.js';
export { UDP_TRANSPORT, TCP_TRANSPORT, TransportError, type DnsTransport, type ExchangeOptions } from './transport.js';
export { encodeQuery, decodeResponse, EDNS_UDP_SIZE, type Query, type Response } from './wire.js';
export { systemResolvers } from './system.js';
