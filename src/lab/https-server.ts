/**
 * The lab's HTTPS server, on LAB_HTTPS_ADDRESS, routed by the Host header
 * (its port stripped): every policy scenario's `mta-sts.<domain>` serves
 * GET /.well-known/mta-sts.txt as its PolicyResponse says (RFC 8461 §3.3),
 * and DOH_HOST (or the bare address) answers DNS over HTTPS at /dns-query
 * (RFC 8484 §4.1: POST of application/dns-message, GET with ?dns=) from the
 * lab zone, with the UDP server's answerQuery. Anything else is 404. One
 * certificate from the lab CA names all of those hosts and the address.
 * Server side only: the lab never makes HTTP requests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { LabLeaf, TlsHost } from './certs.js';
import { answerQuery } from './dns-answer.js';
import { queryLogEntry, type DnsQueryLog } from './dns-server.js';
import type { LabScenario, PolicyResponse } from './scenario-parts.js';
import { DOH_HOST, httpsNames, LAB_HTTPS_ADDRESS, type Zone } from './zone.js';

/** DEFAULT_LAB_HTTPS_PORT: unprivileged, and easy to tell from 443 (a policy fetch needs `--mta-sts-port 2443`). */
export const DEFAULT_LAB_HTTPS_PORT = 2443;
/** MTA_STS_PATH: where a policy lives on `mta-sts.<domain>` (RFC 8461 §3.2). */
export const MTA_STS_PATH = '/.well-known/mta-sts.txt';
/** DOH_PATH: the DoH endpoint's path (the one RFC 8484's examples use). */
export const DOH_PATH = '/dns-query';
const DOH_MEDIA_TYPE = 'application/dns-message';
// RFC 8484 §6 keeps DNS's 65535-octet message limit, so a bigger body is no query: refused unread.
const MAX_DNS_MESSAGE_OCTETS = 65_535;
const MAX_CONNECTIONS = 64;
// Handshake, headers, whole request and idle socket: a client that stalls is dropped after this.
const IDLE_MS = 10_000;
// sts-big.test's body goes out in pieces this size, each a chunk of its own.
const CHUNK_OCTETS = 16_384;

/** LabHttpsServer: a running server; close() drops every connection and stops listening. */
export interface LabHttpsServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

/** HttpsServerOptions: where to listen, the certificate, what to serve, and who hears the DoH queries. */
export interface HttpsServerOptions {
  /** port: 0 for a free one. */
  port: number;
  /** leaf: the lab-CA certificate for httpsTlsHost(scenarios). */
  leaf: Pick<LabLeaf, 'certPem' | 'keyPem'>;
  zone: Zone;
  /** scenarios: those with a `policy` get their `mta-sts.<domain>`. */
  scenarios: readonly LabScenario[];
  log?: (e: DnsQueryLog) => void;
}

/** httpsTlsHost: what the server's certificate names: DOH_HOST, every `mta-sts.<domain>`, and LAB_HTTPS_ADDRESS. */
export function httpsTlsHost(scenarios: readonly LabScenario[]): TlsHost {
  const [name, ...aliases] = httpsNames(scenarios);
  return { name: name!, aliases, addresses: [LAB_HTTPS_ADDRESS] };
}

// "MTA-STS.Sts-Enforce.test.:2443" and "[::1]:2443" to "mta-sts.sts-enforce.test" and "::1".
const hostOf = (header = ''): string =>
  header
    .toLowerCase()
    .replace(/:\d*$/, '')
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');

function send(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function servePolicy(res: ServerResponse, p: PolicyResponse): void {
  const headers = {
    'content-type': p.contentType,
    ...(p.location ? { location: p.location } : {}),
  };
  const body = Buffer.from(p.body);
  if (!p.chunked) {
    res.writeHead(p.status, { ...headers, 'content-length': body.length });
    return void res.end(body);
  }
  // No Content-Length: HTTP/1.1 frames it chunked, so the size shows only to a client that counts.
  res.writeHead(p.status, headers);
  for (let at = 0; at < body.length; at += CHUNK_OCTETS)
    res.write(body.subarray(at, at + CHUNK_OCTETS));
  res.end();
}

/** readBody: the request body, or null once it passes `max` octets (reading stops there). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.removeAllListeners('data');
        req.pause();
        return resolve(null);
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** dnsMessage: the query a DoH request carries (RFC 8484 §4.1), or the error to answer with. */
async function dnsMessage(
  req: IncomingMessage,
  url: URL,
): Promise<Buffer | { status: number; text: string; headers?: Record<string, string> }> {
  if (req.method === 'GET') {
    const dns = url.searchParams.get('dns');
    // base64url without padding (RFC 8484 §6); Buffer would skip stray characters instead of refusing them.
    if (dns === null || !/^[A-Za-z0-9_-]+$/.test(dns))
      return { status: 400, text: 'a GET needs ?dns=<the query in base64url> (RFC 8484 §4.1)\r\n' };
    return Buffer.from(dns, 'base64url');
  }
  if (req.method !== 'POST')
    return { status: 405, text: 'GET or POST only\r\n', headers: { allow: 'GET, POST' } };
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== DOH_MEDIA_TYPE)
    return { status: 415, text: `a POST carries ${DOH_MEDIA_TYPE} (RFC 8484 §4.1)\r\n` };
  const body = await readBody(req, MAX_DNS_MESSAGE_OCTETS);
  if (body === null)
    return {
      status: 413,
      text: 'larger than any DNS message\r\n',
      headers: { connection: 'close' },
    };
  return body;
}

async function serveDoh(o: HttpsServerOptions, req: IncomingMessage, res: ServerResponse) {
  const query = await dnsMessage(req, new URL(req.url ?? '/', 'https://lab.invalid'));
  if (!Buffer.isBuffer(query)) return send(res, query.status, query.text, query.headers);
  const r = answerQuery(o.zone, query, 'https');
  o.log?.(queryLogEntry('https', `${req.socket.remoteAddress}:${req.socket.remotePort}`, r));
  if (!r.response) return send(res, 400, 'not a DNS query\r\n');
  res.writeHead(200, { 'content-type': DOH_MEDIA_TYPE, 'content-length': r.response.length });
  res.end(r.response);
}

function router(o: HttpsServerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const policies = new Map<string, PolicyResponse>(
    o.scenarios.flatMap((s) => (s.policy ? [[`mta-sts.${s.domain}`, s.policy]] : [])),
  );
  const dohHosts = new Set([DOH_HOST, LAB_HTTPS_ADDRESS]);
  return (req, res) => {
    const host = hostOf(req.headers.host);
    const path = (req.url ?? '/').split('?')[0];
    if (path === DOH_PATH && dohHosts.has(host))
      return void serveDoh(o, req, res).catch(() => req.socket.destroy());
    const policy = policies.get(host);
    if (path !== MTA_STS_PATH || !policy) return send(res, 404, 'not found\r\n');
    if (req.method !== 'GET') return send(res, 405, 'GET only\r\n', { allow: 'GET' });
    servePolicy(res, policy);
  };
}

function listenError(port: number, err: NodeJS.ErrnoException): Error {
  const hint =
    err.code === 'EADDRINUSE'
      ? 'the port is taken (another lab running?); try httpsPort 0 for a free one'
      : err.message;
  return new Error(
    `lab HTTPS cannot listen on ${LAB_HTTPS_ADDRESS}:${port}: ${err.code ?? 'error'}: ${hint}`,
    { cause: err },
  );
}

/**
 * startHttpsServer: see the module comment. Rejects, having released
 * everything, when the port cannot be had.
 */
export function startHttpsServer(o: HttpsServerOptions): Promise<LabHttpsServer> {
  const server: Server = createServer(
    {
      key: o.leaf.keyPem,
      cert: o.leaf.certPem,
      handshakeTimeout: IDLE_MS,
      requestTimeout: IDLE_MS,
      headersTimeout: IDLE_MS,
    },
    router(o),
  );
  server.maxConnections = MAX_CONNECTIONS;
  // With no 'timeout' listener, an idle socket is destroyed.
  server.timeout = IDLE_MS;
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException): void => reject(listenError(o.port, err));
    server.once('error', failed);
    server.listen({ host: LAB_HTTPS_ADDRESS, port: o.port, exclusive: true }, () => {
      server.off('error', failed);
      server.on('error', () => undefined);
      const { port } = server.address() as { port: number };
      resolve({ address: LAB_HTTPS_ADDRESS, port, close: () => closeServer(server) });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
