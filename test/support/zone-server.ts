/**
 * zoneServer: a tiny DNS server for tests, on a free loopback port (UDP and
 * TCP on the same number, as RFC 7766 asks), answering from a zone given as
 * data and logging every query it receives, so a test can prove how many
 * questions reached it (or that none did). Faults make it misbehave for one
 * name, one type, one transport, the first N queries, or globally: the ways
 * real servers and middleboxes fail a stub resolver.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';

/** ZoneRecord: one record; names lower case without the final dot. `chase: false` on a CNAME makes the server stop there, as an authoritative server does at its zone's edge, so the client must ask again for the target. */
export type ZoneRecord =
  | { name: string; type: 'A' | 'AAAA'; ttl?: number; data: string }
  | { name: string; type: 'CNAME'; ttl?: number; data: string; chase?: boolean }
  | { name: string; type: 'MX'; ttl?: number; data: { preference: number; exchange: string } }
  | { name: string; type: 'TXT'; ttl?: number; data: string[] };

/**
 * FaultMode: how the server misbehaves for a matching query.
 * - garbage: our id, QR and question, then an answer section that cannot be decoded
 * - silent: never answers
 * - wrong-id-first: an answer with another id, then the right one
 * - truncate: over UDP TC=1 and no records; over TCP the full answer
 * - truncate-cut: over UDP the answer with TC=1 cut off inside its last record (RFC 1035 §4.2.1's "truncated", taken literally); over TCP the full answer
 * - servfail / refused / notimp: that rcode, no records
 * - close-mid-answer: over TCP the length and half the message, then FIN; over UDP TC=1 (so the client comes to TCP)
 * - delay: the right answer after `delayMs`
 */
export type FaultMode =
  | 'garbage'
  | 'silent'
  | 'wrong-id-first'
  | 'truncate'
  | 'truncate-cut'
  | 'servfail'
  | 'refused'
  | 'notimp'
  | 'close-mid-answer'
  | 'delay';

/** Fault: a misbehaviour and which queries it applies to (every filter left out matches all). */
export interface Fault {
  mode: FaultMode;
  name?: string;
  type?: string;
  transport?: 'udp' | 'tcp';
  /** times: applies to this many matching queries, then the server behaves again. */
  times?: number;
  delayMs?: number;
}

/** QueryLog: one query as the server received it (name lower case). */
export interface QueryLog {
  transport: 'udp' | 'tcp';
  id: number;
  name: string;
  type: string;
  /** rd: the RD bit; edns: the UDP payload size of an OPT record, if any. */
  rd: boolean;
  edns?: number;
  fault?: FaultMode;
}

/** ZoneServer: a running server, its log, and switches for its faults. */
export interface ZoneServer {
  address: string;
  port: number;
  /** resolver: "127.0.0.1:port" (or "[::1]:port"), as --resolver takes it. */
  readonly resolver: string;
  readonly queries: QueryLog[];
  /** count: queries received, optionally only those for one name and/or type. */
  count(filter?: { name?: string; type?: string; transport?: 'udp' | 'tcp' }): number;
  /** received: resolves once `n` queries in all have arrived (to act while a lookup is in flight). */
  received(n: number): Promise<void>;
  /** fault: add a misbehaviour; the first fault matching a query decides. */
  fault(f: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

const DEFAULT_TTL = 300;
const SOA = {
  name: 'test',
  type: 'SOA',
  ttl: 60,
  data: {
    mname: 'ns.test',
    rname: 'hostmaster.test',
    serial: 1,
    refresh: 3600,
    retry: 600,
    expire: 86400,
    minimum: 60,
  },
} as const;
const RCODE: Record<string, number> = { servfail: 2, notimp: 4, refused: 5 };

type Packet = dnsPacket.DecodedPacket;
type Answer = dnsPacket.Answer;

function toAnswer(r: ZoneRecord): Answer {
  return {
    name: r.name,
    type: r.type,
    ttl: r.ttl ?? DEFAULT_TTL,
    class: 'IN',
    data: r.data,
  } as Answer;
}

/** resolve: the answer section and rcode for one question, CNAMEs chased inside the zone (loops stop at a repeat). */
function resolve(
  zone: ZoneRecord[],
  qname: string,
  qtype: string,
): { rcode: number; answers: Answer[]; authorities: Answer[] } {
  const answers: Answer[] = [];
  const seen = new Set<string>();
  let name = qname;
  for (;;) {
    const owned = zone.filter((r) => r.name === name);
    const match = owned.filter((r) => r.type === qtype);
    if (match.length > 0)
      return { rcode: 0, answers: [...answers, ...match.map(toAnswer)], authorities: [] };
    const cname = owned.find(
      (r): r is Extract<ZoneRecord, { type: 'CNAME' }> => r.type === 'CNAME',
    );
    if (cname && qtype !== 'CNAME' && !seen.has(name)) {
      seen.add(name);
      answers.push(toAnswer(cname));
      if (cname.chase === false) return { rcode: 0, answers, authorities: [] };
      name = cname.data;
      continue;
    }
    if (seen.has(name)) return { rcode: 0, answers, authorities: [] };
    // RFC 2308: negative answers carry the SOA; NXDOMAIN when the name owns nothing at all.
    return { rcode: owned.length === 0 ? 3 : 0, answers, authorities: [SOA as unknown as Answer] };
  }
}

function encodeReply(
  q: Packet,
  rcode: number,
  answers: Answer[],
  authorities: Answer[],
  extra = 0,
  id = q.id,
): Buffer {
  // dns-packet takes the rcode from the low four flag bits.
  const flags =
    dnsPacket.AUTHORITATIVE_ANSWER |
    (q.flag_rd ? dnsPacket.RECURSION_DESIRED : 0) |
    dnsPacket.RECURSION_AVAILABLE |
    extra |
    rcode;
  return dnsPacket.encode({
    type: 'response',
    id,
    flags,
    questions: q.questions,
    answers,
    authorities,
  });
}

/** garbage: a reply that matches the query (id, QR, question) but claims one answer record made of junk: malformed, not a stranger. */
function garbage(q: Packet): Buffer {
  const head = encodeReply(q, 0, [], []);
  head.writeUInt16BE(1, 6); // ANCOUNT 1
  return Buffer.concat([head, Buffer.alloc(24, 0xff)]);
}

const framed = (m: Buffer): Buffer =>
  Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

/** zoneServer: start one on `host` (127.0.0.1 by default), port chosen by the system. */
export async function zoneServer(
  zone: ZoneRecord[],
  opts: { host?: '127.0.0.1' | '::1'; faults?: Fault[] } = {},
): Promise<ZoneServer> {
  const host = opts.host ?? '127.0.0.1';
  const queries: QueryLog[] = [];
  let faults: (Fault & { left: number })[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const addFault = (f: Fault): void => {
    faults.push({ ...f, name: f.name?.toLowerCase(), left: f.times ?? Infinity });
  };
  for (const f of opts.faults ?? []) addFault(f);

  /** take: the fault for this query, used up by one. */
  function take(name: string, type: string, transport: 'udp' | 'tcp'): Fault | undefined {
    const f = faults.find(
      (x) =>
        x.left > 0 &&
        (x.name === undefined || x.name === name) &&
        (x.type === undefined || x.type === type) &&
        (x.transport === undefined || x.transport === transport),
    );
    if (f) f.left--;
    return f;
  }

  /** handle: answer (or not) one query message through `send`, or `closeHalf` for a TCP answer cut short. */
  function handle(
    msg: Buffer,
    transport: 'udp' | 'tcp',
    send: (b: Buffer) => void,
    closeHalf: (b: Buffer) => void,
  ): void {
    let q: Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return; // Not a DNS message: a real server drops it.
    }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase();
    const opt = (q.additionals ?? []).find((a) => a.type === 'OPT') as
      | { udpPayloadSize?: number }
      | undefined;
    const f = take(name, question.type, transport);
    queries.push({
      transport,
      id: q.id ?? 0,
      name,
      type: question.type,
      rd: !!q.flag_rd,
      ...(opt ? { edns: opt.udpPayloadSize } : {}),
      ...(f ? { fault: f.mode } : {}),
    });
    for (const w of waiters.filter((x) => queries.length >= x.n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    const good = (): Buffer => {
      const r = resolve(zone, name, question.type);
      return encodeReply(q, r.rcode, r.answers, r.authorities);
    };
    const tc = (): Buffer => encodeReply(q, 0, [], [], dnsPacket.TRUNCATED_RESPONSE);
    switch (f?.mode) {
      case undefined:
        send(good());
        break;
      case 'silent':
        break;
      case 'garbage':
        send(garbage(q));
        break;
      case 'wrong-id-first': {
        send(encodeReply(q, 0, [], [], 0, ((q.id ?? 0) + 1) & 0xffff));
        later(10, () => send(good()));
        break;
      }
      case 'truncate':
        send(transport === 'udp' ? tc() : good());
        break;
      case 'truncate-cut': {
        const whole = good();
        whole.writeUInt16BE(whole.readUInt16BE(2) | dnsPacket.TRUNCATED_RESPONSE, 2);
        send(transport === 'udp' ? whole.subarray(0, whole.length - 3) : good());
        break;
      }
      case 'close-mid-answer':
        if (transport === 'udp') send(tc());
        else closeHalf(good());
        break;
      case 'servfail':
      case 'refused':
      case 'notimp':
        send(encodeReply(q, RCODE[f.mode]!, [], []));
        break;
      case 'delay':
        later(f.delayMs ?? 200, () => send(good()));
        break;
    }
  }

  const makeUdp = (): UdpSocket => {
    const udp = createSocket(host === '::1' ? 'udp6' : 'udp4');
    udp.on('message', (msg, rinfo) =>
      handle(
        msg,
        'udp',
        (b) => udp.send(b, rinfo.port, rinfo.address, () => undefined),
        () => undefined,
      ),
    );
    return udp;
  };
  const conns = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    conns.add(socket);
    socket.on('close', () => conns.delete(socket));
    socket.on('error', () => socket.destroy());
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(2 + message.length);
        handle(
          message,
          'tcp',
          (b) => {
            if (!socket.destroyed) socket.write(framed(b));
          },
          (b) => {
            const f = framed(b);
            socket.end(f.subarray(0, 2 + Math.floor(b.length / 2)));
          },
        );
      }
    });
  });

  const { udp, port } = await bindBoth(makeUdp, tcp, host);
  return {
    address: host,
    port,
    resolver: host === '::1' ? `[::1]:${port}` : `${host}:${port}`,
    queries,
    count: (filter = {}) =>
      queries.filter(
        (q) =>
          (filter.name === undefined || q.name === filter.name.toLowerCase()) &&
          (filter.type === undefined || q.type === filter.type) &&
          (filter.transport === undefined || q.transport === filter.transport),
      ).length,
    received: (n) =>
      queries.length >= n
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiters.push({ n, resolve });
          }),
    fault: addFault,
    clearFaults: () => {
      faults = [];
    },
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const c of conns) c.destroy();
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}

/** bindBoth: UDP on a free port, then TCP on the same number; another try when TCP finds it taken. */
async function bindBoth(
  makeUdp: () => UdpSocket,
  tcp: Server,
  host: string,
): Promise<{ udp: UdpSocket; port: number }> {
  for (let tries = 0; tries < 8; tries++) {
    const udp = makeUdp();
    const port = await new Promise<number>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind({ address: host, port: 0 }, () => {
        udp.off('error', reject);
        udp.on('error', () => undefined);
        resolve(udp.address().port);
      });
    });
    const ok = await new Promise<boolean>((resolve) => {
      const onError = (): void => resolve(false);
      tcp.once('error', onError);
      tcp.listen({ host, port, exclusive: true }, () => {
        tcp.off('error', onError);
        resolve(true);
      });
    });
    if (ok) return { udp, port };
    await new Promise<void>((resolve) => udp.close(() => resolve()));
  }
  throw new Error('zoneServer: no port free for both UDP and TCP');
}
