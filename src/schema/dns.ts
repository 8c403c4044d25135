/**
 * Schemas of what the DNS layer shows: records, each query/answer exchange
 * (the trace), and a lookup's outcome with its CNAME chain. Defined once
 * here; src/dns/ produces these values, probes and renderers consume them.
 */
import { z } from 'zod';
import { QUERY_TYPES, type QueryType } from '../vocabulary.js';

/** RecordSchema: one resource record, by type; anything we do not interpret is kept as text. */
export const RecordSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('A'), name: z.string(), ttl: z.number().int(), address: z.string() }),
  z.object({
    type: z.literal('AAAA'),
    name: z.string(),
    ttl: z.number().int(),
    address: z.string(),
  }),
  z.object({
    type: z.literal('CNAME'),
    name: z.string(),
    ttl: z.number().int(),
    target: z.string(),
  }),
  z.object({
    type: z.literal('MX'),
    name: z.string(),
    ttl: z.number().int(),
    preference: z.number().int(),
    exchange: z.string().describe('"." for a null MX (RFC 7505)'),
  }),
  z.object({
    type: z.literal('OTHER'),
    name: z.string(),
    ttl: z.number().int(),
    rrtype: z.string(),
    data: z.string(),
  }),
]);
export type DnsRecord = z.infer<typeof RecordSchema>;

/** QueryTypeSchema: the record types the resolver asks for. */
export const QueryTypeSchema = z.enum(QUERY_TYPES);
export type { QueryType };

/** ExchangeSchema: one query sent to one server and what came back (or did not). */
export const ExchangeSchema = z.object({
  server: z.string().describe('address:port of the DNS server, or its DoH URL'),
  transport: z.enum(['udp', 'tcp', 'https']),
  question: z.object({ name: z.string(), type: QueryTypeSchema }),
  attempt: z.number().int().min(1),
  outcome: z.enum(['answer', 'truncated', 'timeout', 'malformed', 'network-error']),
  rcode: z.string().optional().describe('NOERROR, NXDOMAIN, SERVFAIL, REFUSED, …'),
  flags: z
    .object({ aa: z.boolean(), tc: z.boolean(), rd: z.boolean(), ra: z.boolean(), ad: z.boolean() })
    .optional(),
  answers: z.array(RecordSchema),
  authority: z.array(RecordSchema),
  rttMs: z.number(),
  error: z.string().optional(),
});
export type DnsExchange = z.infer<typeof ExchangeSchema>;

/**
 * LookupSchema: the outcome of asking for one name and type, CNAMEs followed.
 * `nodata` is NOERROR with no record of the type (RFC 2308 §2.2); `nxdomain`
 * means the name does not exist at all (RFC 2308 §2.1).
 */
export const LookupSchema = z.object({
  name: z.string().describe('the name asked for (A-labels)'),
  type: QueryTypeSchema,
  status: z.enum(['ok', 'nodata', 'nxdomain', 'servfail', 'refused', 'timeout', 'error']),
  cnameChain: z
    .array(z.string())
    .describe('names passed through, the asked name first, when CNAMEs were followed'),
  records: z.array(RecordSchema).describe('records of the asked type, at the end of the chain'),
  authenticated: z
    .literal(true)
    .optional()
    .describe(
      'present when every answer of the lookup had the AD bit: the resolver says it validated them with DNSSEC (only as trustworthy as that resolver and the path to it)',
    ),
  error: z.string().optional(),
});
export type Lookup = z.infer<typeof LookupSchema>;

/** DomainNameSchema: a domain as given and in both IDNA forms. */
export const DomainNameSchema = z.object({
  input: z.string(),
  ascii: z.string().describe('A-labels (punycode), what DNS sees'),
  unicode: z.string().describe('U-labels, what a person reads'),
});
export type DomainName = z.infer<typeof DomainNameSchema>;
