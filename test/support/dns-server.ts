/**
 * startDnsServer: a tiny authoritative DNS server for tests, UDP and TCP on
 * the same ephemeral loopback port, answering from a zone given as data, and
 * misbehaving on demand (per transport, switchable while it runs): silence,
 * noise, a broken answer, a wrong-id packet before the right one, TC=1,
 * SERVFAIL, REFUSED, a TCP answer cut off mid-message, slowness. It records
 * every query it receives, so a test can prove what was (or was not) sent.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import dnsPacket from 'dns-packet';

/** Mode: how the server answers on one transport. */
export type Mode =
  | 'answer' // from the zone
  | 'silent' // never answers (TCP: keeps the connection open)
  | 'noise' // random bytes that answer nothing, then silence
  | 'garbage' // our id, QR and question, then an answer section that cannot be decoded
  | 'wrong-id-first' // a packet with the wrong id and one for another question, then the right answer
  | 'truncated' // UDP: TC=1 and no records; TCP: half the message, then close
  | 'servfail'
  | 'refused';

/** ZoneRecord: a record as dns-packet encodes it ({ name, type, ttl, data }). */
export type ZoneRecord = dnsPacket.Answer;

/** ZoneData: the records, the zone's apex (for the SOA of negative answers), and whether CNAMEs are chased. */
export interface ZoneData {
  origin: string;
  records: ZoneRecord[];
  /** chaseCnames: follow CNAMEs inside the zone as a recursive server would (default true); false answers the CNAME alone. */
  chaseCnames?: boolean;
}

/** SeenQuery: one query as the server received it. */
export interface SeenQuery {
  transport: 'udp' | 'tcp';
  id: number;
  name: string;
  type: string;
  rd: boolean;
  /** ednsUdpSize: the payload size of the query's OPT record, if it had one. */
  ednsUdpSize?: number;
}

/** TestDnsServer: the running server; `udp`, `tcp` and `delayMs` may be changed at any time. */
export interface TestDnsServer {
  readonly host: string;
  readonly port: number;
  /** server: { address, port } for a Resolver. */
  readonly server: { address: string; port: number };
  readonly queries: SeenQuery[];
  udp: Mode;
  tcp: Mode;
  /** delayMs: wait this long before answering (a slow server). */
  delayMs: number;
  /** sawQueries: resolves once at least `n` queries have arrived. */
  sawQueries(n: number): Promise<void>;
  close(): Promise<void>;
}

/** ServerOptions: initial modes, delay, and the loopback address to bind (127.0.0.1 or ::1). */
export interface ServerOptions {
  udp?: Mode;
  tcp?: Mode;
  delayMs?: number;
  host?: string;
}

const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 } as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const lc = (name: string): string => name.toLowerCase().replace(/\.$/, '');

/** soaOf: the zone's SOA, sent in the authority section of negative answers (RFC 2308 §3). */
function soaOf(origin: string): ZoneRecord {
  return {
    name: origin,
    type: 'SOA',
    ttl: 3600,
    data: {
      mname: `ns.${origin}`,
      rname: `hostmaster.${origin}`,
      serial: 2024010101,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum: 60,
    },
  };
}

/** answerFromZone: rcode, answers and authority for one question, CNAMEs chased within the zone when asked to. */
function answerFromZone(
  zone: ZoneData,
  qname: string,
  qtype: string,
): { rcode: keyof typeof RCODE; answers: ZoneRecord[]; authorities: ZoneRecord[] } {
  const answers: ZoneRecord[] = [];
  const seen = new Set<string>();
  let name = lc(qname);
  for (;;) {
    seen.add(name);
    const found = zone.records.filter((r) => lc(r.name) === name && r.type === qtype);
    if (found.length > 0)
      return { rcode: 'NOERROR', answers: [...answers, ...found], authorities: [] };
    const alias = zone.records.find((r) => lc(r.name) === name && r.type === 'CNAME');
    if (!alias || qtype === 'CNAME') break;
    answers.push(alias);
    const target = lc((alias as dnsPacket.StringAnswer).data);
    if (zone.chaseCnames === false || seen.has(target))
      return { rcode: 'NOERROR', answers, authorities: [] };
    name = target;
  }
  // A name exists when it owns records or has names below it (an empty non-terminal, RFC 8020).
  const exists = zone.records.some((r) => lc(r.name) === name || lc(r.name).endsWith(`.${name}`));
  return { rcode: exists ? 'NOERROR' : 'NXDOMAIN', answers, authorities: [soaOf(zone.origin)] };
}

/** respond: the bytes to send for one query in `mode` (in order), or [] for silence. */
function respond(
  zone: ZoneData,
  query: dnsPacket.DecodedPacket,
  mode: Mode,
  transport: 'udp' | 'tcp',
): Buffer[] {
  const q = query.questions?.[0];
  if (!q || mode === 'silent') return [];
  const id = query.id ?? 0;
  const rd = query.flag_rd ? dnsPacket.RECURSION_DESIRED : 0;
  const build = (over: {
    id?: number;
    rcode?: number;
    tc?: boolean;
    name?: string;
    answers?: ZoneRecord[];
    authorities?: ZoneRecord[];
  }): Buffer =>
    dnsPacket.encode({
      type: 'response',
      id: over.id ?? id,
      flags:
        dnsPacket.AUTHORITATIVE_ANSWER |
        rd |
        dnsPacket.RECURSION_AVAILABLE |
        (over.tc ? dnsPacket.TRUNCATED_RESPONSE : 0) |
        (over.rcode ?? 0),
      questions: [{ ...q, name: over.name ?? q.name }],
      answers: over.answers ?? [],
      authorities: over.authorities ?? [],
    });
  if (mode === 'noise') return [randomBytes(48)];
  if (mode === 'servfail') return [build({ rcode: RCODE.SERVFAIL })];
  if (mode === 'refused') return [build({ rcode: RCODE.REFUSED })];
  const zoneAnswer = answerFromZone(zone, q.name, q.type);
  const full = build({
    rcode: RCODE[zoneAnswer.rcode],
    answers: zoneAnswer.answers,
    authorities: zoneAnswer.authorities,
  });
  if (mode === 'garbage') {
    const head = build({});
    head.writeUInt16BE(1, 6); // ANCOUNT 1, and what follows is a name pointer to beyond the message
    return [Buffer.concat([head, Buffer.from([0xc0, 0xff, 0x00, 0x01, 0x00, 0x01, 0xde, 0xad])])];
  }
  if (mode === 'wrong-id-first')
    return [build({ id: id ^ 0x5a5a }), build({ name: `other.${zone.origin}` }), full];
  if (mode === 'truncated' && transport === 'udp') return [build({ tc: true })];
  return [full];
}

function seen(transport: 'udp' | 'tcp', query: dnsPacket.DecodedPacket): SeenQuery {
  const q = query.questions?.[0];
  const opt = query.additionals?.find((a): a is dnsPacket.OptAnswer => a.type === 'OPT');
  return {
    transport,
    id: query.id ?? 0,
    name: q?.name ?? '?',
    type: q?.type ?? '?',
    rd: query.flag_rd,
    ...(opt ? { ednsUdpSize: opt.udpPayloadSize } : {}),
  };
}

/** startDnsServer: see the module comment. */
export async function startDnsServer(
  zone: ZoneData,
  opts: ServerOptions = {},
): Promise<TestDnsServer> {
  const host = opts.host ?? '127.0.0.1';
  const queries: SeenQuery[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const tcpSockets = new Set<Socket>();
  let closed = false; // a slow answer due after close() is dropped, not sent on a closed socket
  const { udp, tcp } = await bindBoth(host);
  const port = udp.address().port;

  const state: TestDnsServer = {
    host,
    port,
    server: { address: host, port },
    queries,
    udp: opts.udp ?? 'answer',
    tcp: opts.tcp ?? 'answer',
    delayMs: opts.delayMs ?? 0,
    sawQueries: (n) =>
      queries.length >= n
        ? Promise.resolve()
        : new Promise((resolve) => waiters.push({ n, resolve })),
    close: async () => {
      closed = true;
      for (const s of tcpSockets) s.destroy();
      await Promise.all([
        new Promise<void>((r) => udp.close(() => r())),
        new Promise<void>((r) => tcp.close(() => r())),
      ]);
    },
  };
  const note = (q: SeenQuery): void => {
    queries.push(q);
    for (const w of waiters.splice(0)) {
      if (queries.length >= w.n) w.resolve();
      else waiters.push(w);
    }
  };

  udp.on('message', (msg, from) => {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    note(seen('udp', query));
    const mode = state.udp;
    void (async () => {
      if (state.delayMs > 0) await sleep(state.delayMs);
      if (closed) return;
      for (const out of respond(zone, query, mode, 'udp')) udp.send(out, from.port, from.address);
    })();
  });

  tcp.on('connection', (socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
    socket.on('error', () => undefined); // the client may hang up first; that is its right
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + msg.length);
        let query: dnsPacket.DecodedPacket;
        try {
          query = dnsPacket.decode(msg);
        } catch {
          socket.destroy();
          return;
        }
        note(seen('tcp', query));
        void answerTcp(socket, zone, query, state);
      }
    });
  });
  return state;
}

async function answerTcp(
  socket: Socket,
  zone: ZoneData,
  query: dnsPacket.DecodedPacket,
  state: TestDnsServer,
): Promise<void> {
  const mode = state.tcp;
  if (state.delayMs > 0) await sleep(state.delayMs);
  if (socket.destroyed) return;
  for (const out of respond(zone, query, mode, 'tcp')) {
    const framed = Buffer.concat([Buffer.from([out.length >> 8, out.length & 0xff]), out]);
    if (mode === 'truncated') {
      socket.end(framed.subarray(0, 2 + Math.floor(out.length / 2)));
      return;
    }
    socket.write(framed);
  }
}

/** bindBoth: UDP and TCP on one free port (retried: the free UDP port may be taken for TCP). */
async function bindBoth(host: string): Promise<{ udp: UdpSocket; tcp: Server }> {
  for (let i = 0; ; i++) {
    const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, host, () => resolve());
    });
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(udp.address().port, host, () => resolve());
      });
      return { udp, tcp };
    } catch (err) {
      udp.close();
      if (i >= 10) throw err;
    }
  }
}

/** chainOf: CNAMEs `${prefix}0 → ${prefix}1 → … → ${prefix}${hops}` ending in an A record. */
function chainOf(prefix: string, hops: number, origin: string): ZoneRecord[] {
  const name = (i: number): string => `${prefix}${i}.${origin}`;
  const links = Array.from(
    { length: hops },
    (_, i): ZoneRecord => ({ name: name(i), type: 'CNAME', ttl: 60, data: name(i + 1) }),
  );
  return [...links, { name: name(hops), type: 'A', ttl: 60, data: '192.0.2.99' }];
}

/**
 * TEST_ZONE: lab.test for the resolver tests: a mail host with A/AAAA, two MX,
 * a null MX, CNAME chains (two links, eight, nine), a loop, an alias to a
 * name that does not exist, TXT, an IDN owner, and an empty non-terminal.
 */
export const TEST_ZONE: ZoneData = {
  origin: 'lab.test',
  records: [
    { name: 'mail.lab.test', type: 'A', ttl: 300, data: '192.0.2.25' },
    { name: 'mail.lab.test', type: 'AAAA', ttl: 301, data: '2001:db8::25' },
    {
      name: 'lab.test',
      type: 'MX',
      ttl: 3600,
      data: { preference: 10, exchange: 'mail.lab.test' },
    },
    {
      name: 'lab.test',
      type: 'MX',
      ttl: 3600,
      data: { preference: 20, exchange: 'backup.lab.test' },
    },
    { name: 'nullmx.lab.test', type: 'MX', ttl: 600, data: { preference: 0, exchange: '.' } },
    { name: 'lab.test', type: 'TXT', ttl: 900, data: ['v=spf1 -all'] },
    { name: 'www.lab.test', type: 'CNAME', ttl: 120, data: 'web.lab.test' },
    { name: 'web.lab.test', type: 'CNAME', ttl: 121, data: 'mail.lab.test' },
    { name: 'loop-a.lab.test', type: 'CNAME', ttl: 60, data: 'loop-b.lab.test' },
    { name: 'loop-b.lab.test', type: 'CNAME', ttl: 60, data: 'loop-a.lab.test' },
    { name: 'alias.lab.test', type: 'CNAME', ttl: 60, data: 'gone.lab.test' },
    { name: 'xn--bcher-kva.lab.test', type: 'A', ttl: 60, data: '192.0.2.44' },
    { name: 'host.sub.lab.test', type: 'A', ttl: 60, data: '192.0.2.45' },
    ...chainOf('eight', 8, 'lab.test'),
    ...chainOf('nine', 9, 'lab.test'),
  ],
};
