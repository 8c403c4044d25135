/**
 * The DNS layer: names checked before anything is sent, wire format, a
 * pluggable transport (UDP/TCP by default), and a resolver that keeps the
 * trace of every exchange.
 */
export {
  normalizeDomain,
  parseResolverAddress,
  DNS_PORT,
  MAX_LABEL_OCTETS,
  MAX_NAME_OCTETS,
  type ServerAddress,
} from './name.js';
export {
  Resolver,
  DNS_TIMEOUT_MS,
  DNS_RETRIES,
  MAX_CNAME_HOPS,
  type ResolverOptions,
} from './resolver.js';
export {
  UDP_TCP_TRANSPORT,
  TransportError,
  MAX_TCP_MESSAGE_OCTETS,
  type DnsTransport,
  type ExchangeOptions,
  type TransportFailure,
} from './transport.js';
export {
  encodeQuery,
  decodeResponse,
  answerMismatch,
  EDNS_UDP_SIZE,
  DNS_HEADER_OCTETS,
  type Query,
  type Response,
} from './wire.js';
export { toRecord, characterString, rrtypeName, type DecodedAnswer } from './records.js';
export { followChain, canonicalName, isOfType, type ChainStep } from './chain.js';
export { systemResolvers, parseResolvConf, RESOLV_CONF } from './system.js';
