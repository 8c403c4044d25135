/**
 * Behaviour tests of the lab's transport-security scenarios (sts-*.test): the
 * HTTPS server's MTA-STS policies and DNS over HTTPS (through undici, trusting
 * the lab CA), the scenarios' TXT and TLSA records, the TLSA digests against
 * the certificates the SMTP hosts present after STARTTLS, and the simulated
 * AD bit over UDP, TCP and DoH. One lab on free ports serves the whole file.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect, checkServerIdentity, type PeerCertificate } from 'node:tls';
import dnsPacket from 'dns-packet';
import { Agent, request } from 'undici';
import {
  answerQuery,
  startLab,
  tlsaOwner,
  DOH_PATH,
  LAB_SOA,
  MTA_STS_PATH,
  POLICY_SCENARIOS,
  STS_BIG_PADDING_OCTETS,
  Zone,
  type Lab,
  type ZoneRecord,
} from '../../src/lab/index.js';

let lab: Lab;
let agent: Agent;
before(async () => {
  lab = await startLab({ port: 0 });
  agent = new Agent({ connect: { ca: lab.caCertPem } });
});
after(async () => {
  await agent.close();
  await lab.close();
});

type Decoded = dnsPacket.DecodedPacket & { rcode?: string };
interface Tlsa {
  usage: number;
  selector: number;
  matchingType: number;
  certificate: Buffer;
}

const AD = dnsPacket.AUTHENTIC_DATA;
const DO = dnsPacket.DNSSEC_OK;

/** query: a query for name/type; `ad` sets the AD bit, `dnssecOk` adds an OPT with the DO bit. */
function query(name: string, type: string, o: { ad?: boolean; dnssecOk?: boolean } = {}): Buffer {
  const opt = { name: '.', type: 'OPT', udpPayloadSize: 1232, flags: DO, options: [] };
  return dnsPacket.encode({
    type: 'query',
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED | (o.ad ? AD : 0),
    questions: [{ name, type: type as dnsPacket.RecordType }],
    additionals: o.dnssecOk ? [opt as unknown as dnsPacket.Answer] : [],
  });
}

function udp(message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.once('message', (m) => {
      s.close();
      resolve(m);
    });
    s.send(message, lab.dns.port, lab.dns.address);
  });
}

function tcp(message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: lab.dns.address, port: lab.dns.port });
    let buf = Buffer.alloc(0);
    s.once('error', reject);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)));
      }
    });
    s.write(Buffer.concat([Buffer.from([message.length >> 8, message.length & 0xff]), message]));
  });
}

const httpsBase = (): string => `https://${lab.https.address}:${lab.https.port}`;

/**
 * get: a GET (or `method`) to the lab's HTTPS server as `host`; status,
 * headers and the whole body. undici checks the certificate against the Host
 * header's name, so a host the certificate does not name needs `anyName`.
 */
async function get(host: string, path: string, method: 'GET' | 'POST' = 'GET', via = agent) {
  const r = await request(`${httpsBase()}${path}`, {
    method,
    dispatcher: via,
    headers: { host: `${host}:${lab.https.port}` },
  });
  return {
    status: r.statusCode,
    headers: r.headers,
    body: Buffer.from(await r.body.arrayBuffer()),
  };
}

async function doh(message: Buffer, method: 'GET' | 'POST'): Promise<Decoded> {
  const r = await request(
    method === 'GET' ? `${lab.dohUrl}?dns=${message.toString('base64url')}` : lab.dohUrl,
    {
      method,
      dispatcher: agent,
      headers: method === 'POST' ? { 'content-type': 'application/dns-message' } : {},
      ...(method === 'POST' ? { body: message } : {}),
    },
  );
  assert.equal(r.statusCode, 200);
  assert.equal(r.headers['content-type'], 'application/dns-message');
  return dnsPacket.decode(Buffer.from(await r.body.arrayBuffer())) as Decoded;
}

type Transport = 'udp' | 'tcp' | 'doh';
async function ask(
  name: string,
  type: string,
  o: { ad?: boolean; dnssecOk?: boolean; transport?: Transport } = {},
): Promise<Decoded> {
  const q = query(name, type, o);
  if (o.transport === 'doh') return doh(q, 'POST');
  return dnsPacket.decode(await (o.transport === 'tcp' ? tcp(q) : udp(q))) as Decoded;
}

const adOf = (m: Decoded): boolean => ((m.flags ?? 0) & AD) !== 0;
const data = (m: Decoded, type: string): unknown[] =>
  (m.answers ?? []).filter((a) => a.type === type).map((a) => (a as { data: unknown }).data);
const txtOf = (m: Decoded): string[] =>
  (data(m, 'TXT') as Buffer[][]).map((strings) => strings.map((s) => s.toString()).join(''));
const tlsaAt = async (host: string, o: { ad?: boolean } = {}) => {
  const m = await ask(tlsaOwner(lab.port, host), 'TLSA', o);
  return { m, records: data(m, 'TLSA') as Tlsa[] };
};

const spkiDigest = (der: Buffer): Buffer =>
  createHash('sha256')
    .update(new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' }))
    .digest();

/** starttls: EHLO and STARTTLS at a lab host, then TLS trusting the lab CA; the certificate it presents and whether its chain verified. */
async function starttls(name: string): Promise<{ cert: PeerCertificate; authorized: boolean }> {
  const h = lab.host(name);
  const s = connect({ host: h.address, port: lab.port });
  let seen = '';
  const until = (re: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (!re.test(seen)) return;
        s.off('data', on);
        resolve();
      };
      const on = (d: Buffer): void => {
        seen += d.toString();
        check();
      };
      s.on('data', on);
      s.once('error', reject);
      check();
    });
  await until(/^220 /m);
  s.write('EHLO probe.test\r\nSTARTTLS\r\n');
  await until(/^220 2\.0\.0/m);
  // The name is checked by the tests (sts-badcert.test's is wrong on purpose); `authorized` is the chain alone.
  const t = tlsConnect({
    socket: s,
    servername: name,
    ca: lab.caCertPem,
    checkServerIdentity: () => undefined,
  });
  await new Promise<void>((resolve, reject) => {
    t.once('secureConnect', resolve);
    t.once('error', reject);
  });
  const got = { cert: t.getPeerCertificate(), authorized: t.authorized };
  t.destroy();
  return got;
}

/** ehloKeywords: the EHLO reply's keywords at a lab host (QUIT after). */
async function ehloKeywords(name: string): Promise<string[]> {
  const h = lab.host(name);
  const s = connect({ host: h.address, port: lab.port });
  let seen = '';
  let greeted = false;
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.on('data', (d: Buffer) => {
      seen += d.toString();
      if (!greeted && /^220 /m.test(seen)) {
        greeted = true;
        s.write('EHLO probe.test\r\n');
      }
      if (/^250 /m.test(seen)) resolve();
    });
  });
  s.end('QUIT\r\n');
  return seen
    .split('\r\n')
    .filter((l) => /^250[- ]/.test(l))
    .slice(1)
    .map((l) => l.slice(4));
}

const policyLines = (mode: string, ...mx: string[]): string[] => [
  'version: STSv1',
  `mode: ${mode}`,
  ...mx.map((m) => `mx: ${m}`),
  'max_age: 86400',
];

interface RouteWant {
  status: number;
  type: string;
  /** lines: the body's lines, each ended by CRLF; absent: not checked line by line. */
  lines?: string[];
  location?: string;
}

/** ROUTES: what `mta-sts.<domain>/.well-known/mta-sts.txt` must answer for every policy scenario. */
const ROUTES: Record<string, RouteWant> = {
  'sts-enforce.test': {
    status: 200,
    type: 'text/plain',
    lines: policyLines('enforce', 'mx.sts-enforce.test'),
  },
  'sts-missing.test': {
    status: 200,
    type: 'text/plain',
    lines: policyLines('enforce', 'mx1.sts-missing.test'),
  },
  'sts-badcert.test': {
    status: 200,
    type: 'text/plain',
    lines: policyLines('enforce', '*.sts-badcert.test'),
  },
  'sts-notls.test': {
    status: 200,
    type: 'text/plain',
    lines: policyLines('enforce', 'mx.sts-notls.test'),
  },
  'sts-testing.test': {
    status: 200,
    type: 'text/plain',
    lines: policyLines('testing', 'mx1.sts-testing.test'),
  },
  'sts-none.test': { status: 200, type: 'text/plain', lines: policyLines('none') },
  'sts-syntax.test': {
    status: 200,
    type: 'text/plain',
    lines: ['version: STSv1', 'mode: strict', 'mx: mx.sts-syntax.test'],
  },
  'sts-tworecords.test': {
    status: 200,
    type: 'text/plain',
    lines: policyLines('enforce', 'mx.sts-tworecords.test'),
  },
  'sts-redirect.test': {
    status: 301,
    type: 'text/plain',
    location: 'https://mta-sts.sts-enforce.test/.well-known/mta-sts.txt',
  },
  'sts-404.test': { status: 404, type: 'text/plain' },
  'sts-big.test': { status: 200, type: 'text/plain' },
  'sts-type.test': {
    status: 200,
    type: 'text/html',
    lines: policyLines('enforce', 'mx.sts-type.test'),
  },
};

describe('lab HTTPS: the MTA-STS policies', { concurrency: true }, () => {
  test('every policy scenario is covered below, and only those', () => {
    assert.deepEqual(
      POLICY_SCENARIOS.map((s) => s.domain),
      Object.keys(ROUTES),
    );
  });

  test('the lab reports where the server is: 127.0.0.49, a free port, the DoH URL on it', () => {
    assert.equal(lab.https.address, '127.0.0.49');
    assert.ok(lab.https.port > 0 && lab.https.port !== 2443, `port ${lab.https.port}`);
    assert.equal(lab.dohUrl, `https://127.0.0.49:${lab.https.port}${DOH_PATH}`);
  });

  for (const [domain, want] of Object.entries(ROUTES)) {
    test(`mta-sts.${domain}: ${want.status} ${want.type}${want.location ? `, Location ${want.location}` : ''}`, async () => {
      const r = await get(`mta-sts.${domain}`, MTA_STS_PATH);
      assert.equal(r.status, want.status);
      assert.equal(r.headers['content-type'], want.type);
      assert.equal(r.headers.location, want.location);
      if (want.lines) assert.equal(r.body.toString(), want.lines.map((l) => `${l}\r\n`).join(''));
      if (!('transfer-encoding' in r.headers))
        assert.equal(Number(r.headers['content-length']), r.body.length, 'Content-Length is true');
    });
  }

  test('sts-big.test: a valid policy, then padding lines past 64 KiB, chunked with no Content-Length', async () => {
    const r = await get('mta-sts.sts-big.test', MTA_STS_PATH);
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.ok(
      r.body.length > 64 * 1024 && r.body.length > STS_BIG_PADDING_OCTETS,
      `${r.body.length}`,
    );
    const lines = r.body.toString().split('\r\n');
    assert.deepEqual(lines.slice(0, 4), policyLines('enforce', 'mx.sts-big.test'));
    assert.equal(lines.at(-1), '', 'CRLF ends the last line');
    for (const l of lines.slice(4, -1)) assert.match(l, /^x-pad: a+$/);
  });

  test('404 for a host the server does not serve, and for another path; 405 for a POST of the policy', async () => {
    // The chain is still checked; only the name is not (the certificate names no such host).
    const anyName = new Agent({
      connect: { ca: lab.caCertPem, checkServerIdentity: () => undefined },
    });
    try {
      for (const host of ['mta-sts.mlfarm.test', 'nowhere.test', 'mta-sts.sts-enforce.test.evil'])
        assert.equal((await get(host, MTA_STS_PATH, 'GET', anyName)).status, 404, host);
    } finally {
      await anyName.close();
    }
    assert.equal((await get('mta-sts.sts-enforce.test', '/')).status, 404);
    assert.equal((await get('mta-sts.sts-enforce.test', DOH_PATH)).status, 404, 'no DoH there');
    assert.equal((await get('mta-sts.sts-enforce.test', MTA_STS_PATH, 'POST')).status, 405);
  });

  test('the Host header decides, whatever its case, port or final dot', async () => {
    const r = await get('MTA-STS.Sts-None.TEST.', MTA_STS_PATH);
    assert.equal(r.status, 200);
    assert.match(r.body.toString(), /^mode: none\r$/m);
  });

  test('the certificate chains to the lab CA and names every mta-sts host, doh.lab.test and 127.0.0.49', async () => {
    const t = tlsConnect({
      host: lab.https.address,
      port: lab.https.port,
      servername: 'mta-sts.sts-enforce.test',
      ca: lab.caCertPem,
    });
    await new Promise<void>((resolve, reject) => {
      t.once('secureConnect', resolve);
      t.once('error', reject);
    });
    assert.equal(t.authorized, true, String(t.authorizationError));
    const cert = t.getPeerCertificate();
    t.destroy();
    for (const name of [...Object.keys(ROUTES).map((d) => `mta-sts.${d}`), 'doh.lab.test'])
      assert.equal(checkServerIdentity(name, cert), undefined, name);
    assert.equal(checkServerIdentity('127.0.0.49', cert), undefined);
    assert.ok(checkServerIdentity('mta-sts.mlfarm.test', cert) instanceof Error);
  });
});

describe('lab HTTPS: DNS over HTTPS', { concurrency: true }, () => {
  test('POST and GET answer a lab name from the lab zone, and the DNS log says https', async () => {
    for (const method of ['POST', 'GET'] as const) {
      const m = await doh(query('mx1.mlfarm.test', 'A'), method);
      assert.equal(m.rcode, 'NOERROR', method);
      assert.deepEqual(data(m, 'A'), ['127.0.0.20'], method);
    }
    const logged = lab.dnsLog.filter(
      (e) => e.transport === 'https' && e.name === 'mx1.mlfarm.test',
    );
    assert.ok(logged.length >= 2, JSON.stringify(logged));
    assert.equal(logged[0]!.rcode, 'NOERROR');
  });

  test('no truncation over DoH: big.test TXT comes whole, where UDP says TC', async () => {
    const viaUdp = dnsPacket.decode(await udp(query('big.test', 'TXT'))) as Decoded;
    assert.equal(viaUdp.flag_tc, true);
    const m = await doh(query('big.test', 'TXT'), 'POST');
    assert.equal(m.flag_tc, false);
    assert.equal(txtOf(m).length, 8);
  });

  test('the names resolve: doh.lab.test and every mta-sts.<domain> have A 127.0.0.49', async () => {
    for (const name of ['doh.lab.test', ...Object.keys(ROUTES).map((d) => `mta-sts.${d}`)])
      assert.deepEqual(data(await ask(name, 'A'), 'A'), ['127.0.0.49'], name);
  });

  test('bad requests: GET without ?dns= 400, POST of another type 415, PUT 405, a non-query 400', async () => {
    const plain = async (init: Parameters<typeof request>[1], url = lab.dohUrl) => {
      const r = await request(url, { dispatcher: agent, ...init });
      await r.body.dump();
      return r.statusCode;
    };
    assert.equal(await plain({ method: 'GET' }), 400);
    assert.equal(await plain({ method: 'GET' }, `${lab.dohUrl}?dns=not%20base64`), 400);
    assert.equal(
      await plain({
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: query('mlfarm.test', 'MX'),
      }),
      415,
    );
    assert.equal(await plain({ method: 'PUT', body: 'x' }), 405);
    // A response is no query: the UDP server stays silent, DoH must still answer the HTTP request.
    const response = dnsPacket.encode({ type: 'response', id: 0, questions: [] });
    assert.equal(
      await plain({
        method: 'POST',
        headers: { 'content-type': 'application/dns-message' },
        body: response,
      }),
      400,
    );
  });

  test('a POST body larger than any DNS message is refused (413) without being read whole', async () => {
    const r = await request(lab.dohUrl, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/dns-message' },
      body: Buffer.alloc(70_000),
    });
    await r.body.dump();
    assert.equal(r.statusCode, 413);
  });
});

describe('lab DNS: the policy scenarios', { concurrency: true }, () => {
  test('_mta-sts and _smtp._tls TXT: one record each, id 20261201 and a mailto: rua', async () => {
    for (const domain of Object.keys(ROUTES).filter((d) => d !== 'sts-tworecords.test')) {
      assert.deepEqual(txtOf(await ask(`_mta-sts.${domain}`, 'TXT')), ['v=STSv1; id=20261201']);
      assert.deepEqual(txtOf(await ask(`_smtp._tls.${domain}`, 'TXT')), [
        `v=TLSRPTv1; rua=mailto:tlsrpt@${domain}`,
      ]);
    }
  });

  test('sts-tworecords.test: two _mta-sts records, and an http: rua', async () => {
    assert.deepEqual(txtOf(await ask('_mta-sts.sts-tworecords.test', 'TXT')).sort(), [
      'v=STSv1; id=1',
      'v=STSv1; id=2',
    ]);
    assert.deepEqual(txtOf(await ask('_smtp._tls.sts-tworecords.test', 'TXT')), [
      'v=TLSRPTv1; rua=http://report.sts-tworecords.test/',
    ]);
  });

  test('MX records: every scenario host in preference order', async () => {
    const want: Record<string, string[]> = {
      'sts-missing.test': ['10 mx1.sts-missing.test', '20 mx2.sts-missing.test'],
      'sts-badcert.test': ['10 mx1.sts-badcert.test', '20 mx2.sts-badcert.test'],
      'sts-testing.test': ['10 mx1.sts-testing.test', '20 mx2.sts-testing.test'],
    };
    for (const domain of Object.keys(ROUTES)) {
      const mx = (data(await ask(domain, 'MX'), 'MX') as { preference: number; exchange: string }[])
        .map((d) => `${d.preference} ${d.exchange}`)
        .sort();
      assert.deepEqual(mx, want[domain] ?? [`10 mx.${domain}`], domain);
    }
  });

  test('TLSA 3 1 1 at _<smtp port>._tcp.<mx> for the DANE hosts only', async () => {
    for (const host of ['mx.sts-enforce.test', 'mx1.sts-missing.test', 'mx2.sts-missing.test']) {
      const { m, records } = await tlsaAt(host);
      assert.equal(m.rcode, 'NOERROR', host);
      assert.equal(m.answers?.[0]?.name, `_${lab.port}._tcp.${host}`);
      assert.deepEqual(
        records.map((r) => [r.usage, r.selector, r.matchingType, r.certificate.length]),
        [[3, 1, 1, 32]],
        host,
      );
    }
    const none = await tlsaAt('mx2.sts-badcert.test');
    assert.deepEqual(none.records, []);
    // The port is part of the name: at 25 there is nothing.
    const at25 = await ask(tlsaOwner(25, 'mx.sts-enforce.test'), 'TLSA');
    assert.equal(at25.rcode, 'NXDOMAIN');
  });

  test('the TLSA digests against the certificates presented after STARTTLS: enforce and mx2 match, mx1 does not', async () => {
    const cases: [string, boolean][] = [
      ['mx.sts-enforce.test', true],
      ['mx1.sts-missing.test', false],
      ['mx2.sts-missing.test', true],
    ];
    for (const [host, matches] of cases) {
      const { cert, authorized } = await starttls(host);
      assert.equal(authorized, true, host);
      const { records } = await tlsaAt(host);
      assert.equal(records[0]!.certificate.equals(spkiDigest(cert.raw)), matches, host);
    }
  });

  test('sts-badcert.test: MX 10 presents a lab-CA certificate for other.sts-badcert.test only; MX 20 names itself', async () => {
    const bad = await starttls('mx1.sts-badcert.test');
    assert.equal(bad.authorized, true, 'the chain is good, only the name is wrong');
    assert.equal(checkServerIdentity('other.sts-badcert.test', bad.cert), undefined);
    assert.ok(checkServerIdentity('mx1.sts-badcert.test', bad.cert) instanceof Error);
    assert.ok(checkServerIdentity('127.0.0.53', bad.cert) instanceof Error);
    const good = await starttls('mx2.sts-badcert.test');
    assert.equal(checkServerIdentity('mx2.sts-badcert.test', good.cert), undefined);
  });

  test('sts-notls.test: the MX offers no STARTTLS; another policy MX does', async () => {
    assert.ok(!(await ehloKeywords('mx.sts-notls.test')).includes('STARTTLS'));
    assert.ok((await ehloKeywords('mx.sts-none.test')).includes('STARTTLS'));
  });
});

describe('lab DNS: the AD bit', { concurrency: true }, () => {
  const enforceTlsa = (): string => tlsaOwner(lab.port, 'mx.sts-enforce.test');

  for (const transport of ['udp', 'tcp', 'doh'] as const) {
    test(`${transport}: a signed RRset gets AD=1 when the query sets AD or DO, AD=0 when it sets neither`, async () => {
      for (const [name, type] of [
        [enforceTlsa(), 'TLSA'],
        ['sts-enforce.test', 'MX'],
        ['mx.sts-enforce.test', 'A'],
        [tlsaOwner(lab.port, 'mx1.sts-missing.test'), 'TLSA'],
      ] as const) {
        const where = `${transport} ${name} ${type}`;
        assert.equal(adOf(await ask(name, type, { transport, ad: true })), true, `${where} AD`);
        assert.equal(
          adOf(await ask(name, type, { transport, dnssecOk: true })),
          true,
          `${where} DO`,
        );
        assert.equal(adOf(await ask(name, type, { transport })), false, `${where} neither`);
      }
    });

    test(`${transport}: unsigned sets get AD=0 even when asked`, async () => {
      for (const [name, type] of [
        [tlsaOwner(lab.port, 'mx2.sts-missing.test'), 'TLSA'],
        ['mx2.sts-missing.test', 'A'],
        ['mlfarm.test', 'MX'],
        ['_mta-sts.sts-enforce.test', 'TXT'],
      ] as const) {
        const m = await ask(name, type, { transport, ad: true, dnssecOk: true });
        assert.ok((m.answers ?? []).length > 0, `${name} ${type} has an answer`);
        assert.equal(adOf(m), false, `${transport} ${name} ${type}`);
      }
    });
  }

  test('a negative answer at a signed name gets AD=0 (no NSEC to prove it)', async () => {
    const m = await ask('mx.sts-enforce.test', 'AAAA', { ad: true, dnssecOk: true });
    assert.equal(m.rcode, 'NOERROR');
    assert.deepEqual(m.answers, []);
    assert.equal(adOf(m), false);
  });

  test('the DO bit comes back in the OPT record (RFC 3225 §3)', async () => {
    const m = await ask(enforceTlsa(), 'TLSA', { dnssecOk: true });
    const opt = (m.additionals ?? []).find((a) => a.type === 'OPT') as { flags?: number };
    assert.equal((opt?.flags ?? 0) & DO, DO);
  });
});

describe('lab zone: signed record sets', () => {
  const a = (name: string, signed: boolean, address = '127.0.0.1'): ZoneRecord => ({
    name,
    type: 'A',
    ttl: 60,
    data: address,
    ...(signed ? { signed: true } : {}),
  });
  const cname = (name: string, target: string, signed: boolean): ZoneRecord => ({
    name,
    type: 'CNAME',
    ttl: 60,
    data: target,
    ...(signed ? { signed: true } : {}),
  });
  const adFor = (zone: Zone, name: string): boolean => {
    const r = answerQuery(zone, query(name, 'A', { ad: true }), 'udp');
    return ((dnsPacket.decode(r.response!).flags ?? 0) & AD) !== 0;
  };

  test('AD=1 only when every RRset of the answer is signed: a CNAME chain with an unsigned link is not', () => {
    const zone = new Zone([
      LAB_SOA,
      cname('a.test', 'b.test', true),
      a('b.test', false),
      cname('c.test', 'd.test', true),
      a('d.test', true),
      cname('e.test', 'd.test', false),
    ]);
    assert.equal(adFor(zone, 'a.test'), false);
    assert.equal(adFor(zone, 'c.test'), true);
    assert.equal(adFor(zone, 'e.test'), false);
  });

  test('an RRset signed in part is refused when the zone is built', () => {
    assert.throws(
      () => new Zone([LAB_SOA, a('x.test', true), a('x.test', false, '127.0.0.2')]),
      /x\.test A is signed in part/,
    );
  });
});

describe('lab HTTPS: its port', () => {
  test('LabOptions.httpsPort is where it listens, and close() frees the port', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.49', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const other = await startLab({ port: 0, hosts: ['esmtp'], httpsPort: port });
    const trusting = new Agent({ connect: { ca: other.caCertPem } });
    try {
      assert.equal(other.https.port, port);
      const dns = query('mlfarm.test', 'MX').toString('base64url');
      const r = await request(`${other.dohUrl}?dns=${dns}`, { dispatcher: trusting });
      await r.body.dump();
      assert.equal(r.statusCode, 200);
    } finally {
      await trusting.close();
      await other.close();
    }
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.49', resolve);
    });
    await new Promise<void>((resolve) => again.close(() => resolve()));
  });

  test('a taken port fails startLab with a message that says what to do', async () => {
    await assert.rejects(
      startLab({ port: 0, hosts: ['esmtp'], httpsPort: lab.https.port }),
      /lab HTTPS cannot listen on 127\.0\.0\.49:\d+: EADDRINUSE: .*httpsPort 0/,
    );
  });
});
