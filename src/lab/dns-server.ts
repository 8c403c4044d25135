/**
 * The lab's DNS server: the Zone answered over UDP and TCP on one loopback
 * port (RFC 7766: a server must offer both; a UDP answer with TC=1 sends the
 * client to TCP). TCP carries each message behind a two-octet length
 * (RFC 1035 §4.2.2), several per connection, answered in order. Every
 * resource is bounded: connections, buffered octets, idle time.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { answerQuery, type DnsReply } from './dns-answer.js';
import { LAB_DNS_ADDRESS, type Zone } from './zone.js';

/** DEFAULT_LAB_DNS_PORT: unprivileged, and easy to tell from 53 (dig @127.0.0.1 -p 2553 mlfarm.test MX). */
export const DEFAULT_LAB_DNS_PORT = 2553;
/** DNS_TCP_IDLE_MS: an idle TCP connection is closed after this (RFC 7766 §6.2.3 asks servers to time idle ones out). */
export const DNS_TCP_IDLE_MS = 10_000;
const MAX_TCP_CONNECTIONS = 64;
// A client that sends but never reads must not make us buffer answers without end.
const MAX_UNSENT_OCTETS = 256 * 1024;
// Ephemeral ports: UDP and TCP are bound one after the other, so the TCP side may find the port taken; try again.
const PORT_ATTEMPTS = 8;

/** DnsQueryLog: one question the server answered (or dropped), for `lab.dnsLog`. */
export interface DnsQueryLog {
  at: number;
  /** transport: `https` for DNS over HTTPS (https-server.ts). */
  transport: 'udp' | 'tcp' | 'https';
  /** remote: the client's "address:port". */
  remote: string;
  /** name and type: lower case name and type mnemonic; absent when the query could not be read. */
  name?: string;
  type?: string;
  /** rcode: what was answered; absent when the query was dropped unanswered. */
  rcode?: string;
  truncated: boolean;
}

/** LabDnsServer: a running server; close() stops both transports. */
export interface LabDnsServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

/** queryLogEntry: the log entry for one query answered (or dropped) as `r`. */
export function queryLogEntry(
  transport: DnsQueryLog['transport'],
  remote: string,
  r: DnsReply,
): DnsQueryLog {
  return {
    at: Date.now(),
    transport,
    remote,
    ...(r.question ?? {}),
    ...(r.rcode ? { rcode: r.rcode } : {}),
    truncated: r.truncated,
  };
}

function bindUdp(zone: Zone, port: number, log: (e: DnsQueryLog) => void): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const udp = createSocket({ type: 'udp4' });
    udp.once('error', reject);
    udp.on('message', (msg, rinfo) => {
      const r = answerQuery(zone, msg, 'udp');
      log(queryLogEntry('udp', `${rinfo.address}:${rinfo.port}`, r));
      if (r.response) udp.send(r.response, rinfo.port, rinfo.address, () => undefined);
    });
    udp.bind({ address: LAB_DNS_ADDRESS, port, exclusive: true }, () => {
      udp.off('error', reject);
      udp.on('error', () => undefined);
      resolve(udp);
    });
  });
}

/** serveTcp: one connection: read length-framed queries, answer each in turn. */
function serveTcp(zone: Zone, socket: Socket, log: (e: DnsQueryLog) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  socket.on('error', () => socket.destroy());
  socket.setTimeout(DNS_TCP_IDLE_MS, () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
      const message = pending.subarray(2, 2 + pending.readUInt16BE(0));
      pending = pending.subarray(2 + message.length);
      const r = answerQuery(zone, message, 'tcp');
      log(queryLogEntry('tcp', remote, r));
      // A message we cannot even answer with FORMERR leaves the stream in doubt: close it.
      if (!r.response) return void socket.destroy();
      const length = Buffer.alloc(2);
      length.writeUInt16BE(r.response.length);
      socket.write(Buffer.concat([length, r.response]));
      if (socket.writableLength > MAX_UNSENT_OCTETS) return void socket.destroy();
    }
  });
}

function listenTcp(
  zone: Zone,
  port: number,
  log: (e: DnsQueryLog) => void,
  sockets: Set<Socket>,
): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      serveTcp(zone, socket, log);
    });
    server.maxConnections = MAX_TCP_CONNECTIONS;
    server.once('error', reject);
    server.listen({ host: LAB_DNS_ADDRESS, port, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve(server);
    });
  });
}

function bindError(port: number, err: NodeJS.ErrnoException): Error {
  const hint =
    err.code === 'EADDRINUSE'
      ? 'the port is taken (another lab running?); try dnsPort 0 for a free one'
      : err.message;
  return new Error(
    `lab DNS cannot listen on ${LAB_DNS_ADDRESS}:${port}: ${err.code ?? 'error'}: ${hint}`,
    { cause: err },
  );
}

/**
 * startDnsServer: the zone on 127.0.0.1:`port` over UDP and TCP (port 0: a
 * free port, the same for both). `log` hears every query. Rejects, having
 * released everything, when the port cannot be had.
 */
export async function startDnsServer(
  zone: Zone,
  port: number,
  log: (e: DnsQueryLog) => void = () => undefined,
): Promise<LabDnsServer> {
  for (let attempt = 1; ; attempt++) {
    let udp: UdpSocket;
    try {
      udp = await bindUdp(zone, port, log);
    } catch (err) {
      throw bindError(port, err as NodeJS.ErrnoException);
    }
    const bound = udp.address().port;
    const sockets = new Set<Socket>();
    try {
      const tcp = await listenTcp(zone, bound, log, sockets);
      return { address: LAB_DNS_ADDRESS, port: bound, close: () => closeBoth(udp, tcp, sockets) };
    } catch (err) {
      udp.close();
      const e = err as NodeJS.ErrnoException;
      if (port !== 0 || e.code !== 'EADDRINUSE' || attempt >= PORT_ATTEMPTS)
        throw bindError(bound, e);
    }
  }
}

async function closeBoth(udp: UdpSocket, tcp: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  await Promise.all([
    new Promise<void>((resolve) => tcp.close(() => resolve())),
    new Promise<void>((resolve) => {
      try {
        udp.close(() => resolve());
      } catch {
        resolve();
      }
    }),
  ]);
}
