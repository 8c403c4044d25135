/**
 * Behaviour tests of the lab's DNS server and MX-walk scenarios, on the wire:
 * a raw dns-packet client over UDP and TCP (no resolver library between us
 * and the server), then the scenario hosts over SMTP. One lab on free ports
 * serves the whole file.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, checkServerIdentity } from 'node:tls';
import dnsPacket from 'dns-packet';
import {
  startLab,
  LAB_SCENARIOS,
  LAB_ZONE,
  LAB_SOA,
  MAX_CNAME_HOPS,
  MAX_UDP_PAYLOAD,
  POLICY_SCENARIOS,
  Zone,
  type Lab,
  type ZoneRecord,
} from '../../src/lab/index.js';

let lab: Lab;
before(async () => {
  lab = await startLab({ port: 0 });
});
after(() => lab.close());

type Decoded = dnsPacket.DecodedPacket & { rcode?: string };
interface Asked {
  raw: Buffer;
  msg: Decoded;
}
/** Rr: a decoded record as the tests read it (dns-packet's Answer union includes OPT, which has no ttl or data). */
interface Rr {
  name: string;
  type: string;
  ttl: number;
  data: unknown;
}
const rr = (list: dnsPacket.Answer[] | undefined): Rr[] => (list ?? []) as unknown as Rr[];
const decode = (raw: Buffer): Decoded => dnsPacket.decode(raw) as Decoded;

function query(
  name: string,
  type: string,
  opts: { edns?: number; id?: number; ednsVersion?: number } = {},
): Buffer {
  const opt = {
    name: '.',
    type: 'OPT',
    udpPayloadSize: opts.edns,
    ednsVersion: opts.ednsVersion ?? 0,
    flags: 0,
    options: [],
  };
  return dnsPacket.encode({
    type: 'query',
    id: opts.id ?? 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as dnsPacket.RecordType }],
    additionals: opts.edns ? [opt as unknown as dnsPacket.Answer] : [],
  });
}

/** udp: one datagram to the lab's DNS, the reply or null after `ms`. */
function udp(message: Buffer, ms = 1_000): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(null);
    }, ms);
    s.once('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m);
    });
    s.send(message, lab.dns.port, lab.dns.address);
  });
}

const framed = (m: Buffer): Buffer =>
  Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

/** tcp: raw bytes to the lab's DNS over one connection; the length-framed replies until `count` arrived, the server closed, or `ms`. */
function tcp(
  bytes: Buffer,
  count: number,
  ms = 2_000,
): Promise<{ replies: Buffer[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect({ host: lab.dns.address, port: lab.dns.port });
    const replies: Buffer[] = [];
    let buf = Buffer.alloc(0);
    let closed = false;
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ replies, closed });
    };
    const timer = setTimeout(done, ms);
    s.once('error', reject);
    s.once('close', () => {
      closed = true;
      done();
    });
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        replies.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (replies.length >= count) done();
    });
    s.write(bytes);
  });
}

async function ask(
  name: string,
  type: string,
  opts: { edns?: number; transport?: 'udp' | 'tcp' } = {},
): Promise<Asked> {
  const q = query(name, type, opts);
  const raw = opts.transport === 'tcp' ? (await tcp(framed(q), 1)).replies[0] : await udp(q);
  assert.ok(raw, `no answer to ${name} ${type}`);
  return { raw, msg: decode(raw) };
}

const mxOf = (a: Asked): [number, string][] =>
  (a.msg.answers ?? [])
    .filter((r) => r.type === 'MX')
    .map((r) => {
      const d = r.data as { preference: number; exchange: string };
      return [d.preference, d.exchange];
    });
const summary = (rs: dnsPacket.Answer[] | undefined): string[] =>
  (rs ?? []).map(
    (r) =>
      `${r.name} ${r.type} ${r.type === 'OPT' ? '' : JSON.stringify((r as { data: unknown }).data)}`,
  );

describe('lab DNS: the scenarios', { concurrency: true }, () => {
  // Zone order on purpose: mlfarm.test lists MX 20 first, so a walker that does not sort gets it wrong.
  const MX: Record<string, [number, string][]> = {
    'mlfarm.test': [
      [20, 'mx2.mlfarm.test'],
      [10, 'mx1.mlfarm.test'],
    ],
    'noao.test': [
      [10, 'sun.noao.test'],
      [20, 'mx.noao.test'],
    ],
    'mx-cname.test': [[10, 'alias.mx-cname.test']],
    'nullmx.test': [[0, '.']],
    'mixed-null.test': [
      [0, '.'],
      [10, 'mx.mixed-null.test'],
    ],
    'dangling.test': [
      [10, 'gone.dangling.test'],
      [20, 'nodata.dangling.test'],
      [30, 'mx.dangling.test'],
    ],
    'equal.test': [
      [10, 'a.equal.test'],
      [10, 'b.equal.test'],
    ],
    'v6.test': [[10, 'mx.v6.test']],
    'blackhole.test': [
      [10, 'refused.blackhole.test'],
      [20, 'bh.blackhole.test'],
      [30, 'mx.blackhole.test'],
    ],
    'samehost.test': [
      [10, 'a.samehost.test'],
      [20, 'b.samehost.test'],
    ],
    'literal.test': [[10, '127.0.0.10']],
    // The verify hosts: one MX each (their SMTP behaviour is tested in lab-verify.ts).
    ...Object.fromEntries(
      ['catchall', 'greylist', 'throttle', 'rcptcap', 'drop421', 'nopipe'].map(
        (k): [string, [number, string][]] => [`${k}.test`, [[10, `mx.${k}.test`]]],
      ),
    ),
  };

  test('every scenario is covered by a test below', () => {
    // lab-policy.ts tests the transport-security ones (sts-*.test).
    const covered = new Set([
      ...Object.keys(MX),
      'mailhost.tuc.test',
      'implicit.test',
      'big.test',
      ...POLICY_SCENARIOS.map((s) => s.domain),
    ]);
    assert.deepEqual(
      LAB_SCENARIOS.map((s) => s.domain).filter((d) => !covered.has(d)),
      [],
    );
  });

  for (const [domain, want] of Object.entries(MX)) {
    test(`${domain} MX: ${want.map(([p, x]) => `${p} ${x}`).join(', ')}; AA set, no RA`, async () => {
      const a = await ask(domain, 'MX');
      assert.equal(a.msg.rcode, 'NOERROR');
      assert.equal(a.msg.flag_aa, true);
      assert.equal(a.msg.flag_ra, false, 'authoritative only: no recursion offered');
      assert.equal(a.msg.flag_rd, true, 'RD is copied from the query (RFC 1035 §4.1.1)');
      assert.deepEqual(mxOf(a), want);
      assert.deepEqual(
        rr(a.msg.answers).map((r) => r.ttl),
        want.map(() => 300),
      );
    });
  }

  test("mailhost.tuc.test MX: the CNAME, then tuc.test's MX, in one answer", async () => {
    const a = await ask('mailhost.tuc.test', 'MX');
    assert.deepEqual(summary(a.msg.answers), [
      'mailhost.tuc.test CNAME "tuc.test"',
      'tuc.test MX {"preference":10,"exchange":"mx.tuc.test"}',
    ]);
    assert.deepEqual(a.msg.authorities, []);
  });

  test("CNAME following: alias.mx-cname.test A gives the CNAME and real.mx-cname.test's A; asking for CNAME gives just the CNAME", async () => {
    const a = await ask('alias.mx-cname.test', 'A');
    assert.deepEqual(summary(a.msg.answers), [
      'alias.mx-cname.test CNAME "real.mx-cname.test"',
      'real.mx-cname.test A "127.0.0.26"',
    ]);
    const c = await ask('alias.mx-cname.test', 'CNAME');
    assert.deepEqual(summary(c.msg.answers), ['alias.mx-cname.test CNAME "real.mx-cname.test"']);
    // A CNAME whose target lacks the type: the CNAME, then NODATA's SOA.
    const t = await ask('mailhost.tuc.test', 'AAAA');
    assert.equal(t.msg.rcode, 'NOERROR');
    assert.deepEqual(summary(t.msg.answers), ['mailhost.tuc.test CNAME "tuc.test"']);
    assert.deepEqual(
      t.msg.authorities!.map((r) => r.type),
      ['SOA'],
    );
  });

  test('implicit.test: no MX (NODATA with the SOA), but an A record of a good host', async () => {
    const m = await ask('implicit.test', 'MX');
    assert.equal(m.msg.rcode, 'NOERROR');
    assert.deepEqual(m.msg.answers, []);
    assert.deepEqual(summary(m.msg.authorities), [
      `test SOA ${JSON.stringify({ mname: 'ns.lab.test', rname: 'hostmaster.lab.test', serial: 1, refresh: 3600, retry: 600, expire: 604800, minimum: 60 })}`,
    ]);
    assert.deepEqual(summary((await ask('implicit.test', 'A')).msg.answers), [
      'implicit.test A "127.0.0.28"',
    ]);
    assert.equal(lab.host('implicit.test').personality, 'mx');
  });

  test('NXDOMAIN vs NODATA: a missing name vs a name without the type, both with the SOA (TTL = its minimum, RFC 2308 §3)', async () => {
    const cases: [string, string, string][] = [
      ['gone.dangling.test', 'A', 'NXDOMAIN'],
      ['nodata.dangling.test', 'A', 'NOERROR'],
      ['nodata.dangling.test', 'AAAA', 'NOERROR'],
      ['anything.else.test', 'MX', 'NXDOMAIN'],
      ['nullmx.test', 'A', 'NOERROR'],
      ['lab.test', 'A', 'NOERROR'], // an empty non-terminal exists (RFC 8020)
      ['test', 'A', 'NOERROR'],
    ];
    for (const [name, type, rcode] of cases) {
      const a = await ask(name, type);
      assert.equal(a.msg.rcode, rcode, `${name} ${type}`);
      assert.equal(a.msg.flag_aa, true, `${name} ${type}`);
      assert.deepEqual(a.msg.answers, [], `${name} ${type}`);
      assert.deepEqual(
        rr(a.msg.authorities).map((r) => `${r.name} ${r.type} ${r.ttl}`),
        ['test SOA 60'],
        `${name} ${type}`,
      );
    }
    const txt = rr((await ask('nodata.dangling.test', 'TXT')).msg.answers).map((r) =>
      (r.data as Buffer[]).map(String),
    );
    assert.deepEqual(txt, [['this name exists but has no address']]);
  });

  test("literal.test's MX target 127.0.0.10 does not resolve: NXDOMAIN (no TLD is all digits)", async () => {
    const a = await ask('127.0.0.10', 'A');
    assert.equal(a.msg.rcode, 'NXDOMAIN');
    assert.deepEqual(a.msg.answers, []);
  });

  test("every host's A/AAAA records are exactly its addresses (and samehost.test's aliases share one)", async () => {
    for (const h of lab.hosts) {
      const v4 = rr((await ask(h.name, 'A')).msg.answers).map((r) => r.data);
      const v6 = rr((await ask(h.name, 'AAAA')).msg.answers).map((r) => r.data);
      assert.deepEqual([...v4, ...v6], h.addresses, h.name);
    }
    for (const alias of ['a.samehost.test', 'b.samehost.test']) {
      assert.deepEqual(
        rr((await ask(alias, 'A')).msg.answers).map((r) => r.data),
        lab.host('mx.samehost.test').addresses,
      );
    }
    assert.deepEqual(
      rr((await ask('ns.lab.test', 'A')).msg.answers).map((r) => r.data),
      [lab.dns.address],
    );
  });

  test('LAB_ZONE is the zone served: every record of it is in some answer', async () => {
    for (const r of LAB_ZONE.filter((x) => x.type !== 'SOA')) {
      const a = await ask(r.name, r.type, { transport: 'tcp' });
      assert.ok(
        a.msg.answers!.some((x) => x.name === r.name && x.type === r.type),
        `${r.name} ${r.type}`,
      );
    }
  });
});

describe('lab DNS: protocol', { concurrency: true }, () => {
  test('names outside .test are REFUSED, without AA; so are zone transfers', async () => {
    for (const name of ['example.com', 'localhost', 'test.example']) {
      const a = await ask(name, 'A');
      assert.equal(a.msg.rcode, 'REFUSED', name);
      assert.equal(a.msg.flag_aa, false, name);
    }
    assert.equal((await ask('test', 'AXFR', { transport: 'tcp' })).msg.rcode, 'REFUSED');
  });

  test('big.test TXT: truncated on UDP (TC=1, no records) with and without EDNS; whole over TCP', async () => {
    for (const edns of [undefined, 1232, 4096]) {
      const a = await ask('big.test', 'TXT', edns ? { edns } : {});
      assert.equal(a.msg.flag_tc, true, `EDNS ${edns}`);
      assert.deepEqual(a.msg.answers, []);
      assert.ok(a.raw.length <= (edns ? MAX_UDP_PAYLOAD : 512));
    }
    const t = await ask('big.test', 'TXT', { transport: 'tcp' });
    assert.equal(t.msg.flag_tc, false);
    assert.equal(t.msg.answers!.length, 8);
    assert.ok(t.raw.length > MAX_UDP_PAYLOAD, `${t.raw.length} octets`);
    assert.ok(
      lab.dnsLog.some((e) => e.name === 'big.test' && e.transport === 'udp' && e.truncated),
    );
  });

  test('EDNS: the answer carries our OPT (1232); a small answer is never truncated', async () => {
    const a = await ask('mlfarm.test', 'MX', { edns: 4096 });
    const opt = a.msg.additionals!.find((r) => r.type === 'OPT') as unknown as {
      udpPayloadSize: number;
    };
    assert.equal(opt.udpPayloadSize, MAX_UDP_PAYLOAD);
    assert.equal(a.msg.flag_tc, false);
    assert.equal(
      (await ask('mlfarm.test', 'MX')).msg.additionals!.length,
      0,
      'no OPT back without one in the query',
    );
    const bad = dnsPacket.decode(
      (await udp(query('mlfarm.test', 'MX', { edns: 1232, ednsVersion: 1 })))!,
    );
    const badOpt = bad.additionals!.find((r) => r.type === 'OPT') as unknown as {
      extendedRcode: number;
    };
    assert.equal(badOpt.extendedRcode, 1, 'BADVERS (16) for EDNS version 1 (RFC 6891 §6.1.3)');
  });

  test('the question comes back byte for byte (mixed case), names match case-insensitively', async () => {
    const q = query('MLFarm.TeSt', 'MX', { id: 777 });
    const raw = (await udp(q))!;
    assert.deepEqual(raw.subarray(12, q.length), q.subarray(12), 'question section echoed');
    const msg = decode(raw);
    assert.equal(msg.id, 777);
    assert.equal(mxOf({ raw, msg }).length, 2);
  });

  test('TCP: two queries in one write get two answers, in order (RFC 7766 §6.2.1.1); the connection stays open', async () => {
    const { replies, closed } = await tcp(
      Buffer.concat([
        framed(query('mlfarm.test', 'MX', { id: 1 })),
        framed(query('v6.test', 'MX', { id: 2 })),
      ]),
      2,
    );
    assert.deepEqual(
      replies.map((r) => dnsPacket.decode(r).id),
      [1, 2],
    );
    assert.equal(closed, false);
  });

  test('malformed queries get FORMERR or silence, never a crash; the server answers on afterwards', async () => {
    const good = query('mlfarm.test', 'MX', { id: 9 });
    assert.equal(await udp(Buffer.from('hello'), 200), null, 'a runt: silence');
    const asResponse = Buffer.from(good);
    asResponse[2]! |= 0x80;
    assert.equal(await udp(asResponse, 200), null, 'a response (QR=1) is never answered: no loops');
    const cut = (await udp(good.subarray(0, 20)))!;
    assert.deepEqual(
      [cut.readUInt16BE(0), cut[3]! & 0xf, cut.readUInt16BE(4)],
      [9, 1, 0],
      'cut short: FORMERR, same id, no question',
    );
    const two = dnsPacket.encode({
      type: 'query',
      id: 10,
      questions: [
        { name: 'a.test', type: 'A' },
        { name: 'b.test', type: 'A' },
      ],
    });
    assert.equal(decode((await udp(two))!).rcode, 'FORMERR', 'two questions');
    const status = Buffer.from(good);
    status[2] = (status[2]! & 0x87) | (2 << 3);
    assert.equal(decode((await udp(status))!).rcode, 'NOTIMP', 'opcode STATUS');
    const tcpCut = await tcp(Buffer.concat([framed(good.subarray(0, 20)), framed(good)]), 2);
    assert.deepEqual(
      tcpCut.replies.map((r) => r[3]! & 0xf),
      [1, 0],
      'TCP: FORMERR, then the next message is answered',
    );
    assert.equal(
      (await tcp(framed(Buffer.from('x')), 1, 500)).closed,
      true,
      'TCP: a runt closes the connection',
    );
    assert.equal(mxOf(await ask('mlfarm.test', 'MX')).length, 2);
  });

  test('300 random and mutated datagrams: no crash, no answer with QR=0, and the server still answers', async () => {
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const good = query('mx-cname.test', 'MX', { edns: 1232 });
    const packets = Array.from({ length: 300 }, (_, i) => {
      if (i % 2 === 0) return Buffer.from(Array.from({ length: rand(80) }, () => rand(256)));
      const p = Buffer.from(good);
      for (let k = 0; k <= rand(4); k++) p[rand(p.length)] = rand(256);
      return p.subarray(0, 12 + rand(p.length - 11));
    });
    const replies = await Promise.all(packets.map((p) => udp(p, 300)));
    for (const r of replies) if (r) assert.equal(r[2]! & 0x80, 0x80);
    assert.equal(mxOf(await ask('mx-cname.test', 'MX')).length, 1);
  });
});

/** greet: connect, read the 220 line, QUIT. */
function greet(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: address, port });
    s.once('error', reject);
    s.once('data', (d: Buffer) => {
      s.end('QUIT\r\n');
      resolve(d.toString().split('\r\n')[0]!);
    });
  });
}

/** session: send lines one by one, each reply's last line. */
async function session(address: string, port: number, lines: string[]): Promise<string[]> {
  const s = connect({ host: address, port });
  const got: string[] = [];
  let buf = '';
  let wake = (): void => undefined;
  s.on('data', (d: Buffer) => {
    buf += d.toString();
    wake();
  });
  const next = async (): Promise<string> => {
    for (;;) {
      const m = /^(\d{3}) .*\r\n/m.exec(buf);
      if (m) {
        buf = buf.slice(m.index + m[0].length);
        return m[0].trimEnd();
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  got.push(await next());
  for (const l of lines) {
    s.write(`${l}\r\n`);
    got.push(await next());
  }
  s.destroy();
  return got;
}

describe('lab: the scenario hosts over SMTP', { concurrency: true }, () => {
  test('every good scenario host greets with its own name on every address, [::1] included', async () => {
    const good = lab.hosts.filter((h) => h.scenario !== null && h.listening);
    assert.equal(
      good.length,
      34,
      'thirteen MX-walk hosts, six verify hosts and fifteen transport-security hosts',
    );
    for (const h of good) {
      for (const a of h.addresses)
        assert.match(
          await greet(a, lab.port),
          new RegExp(`^220 ${h.name.replaceAll('.', '\\.')} `),
          `${h.name} at ${a}`,
        );
    }
    assert.deepEqual(lab.host('mx.v6.test').addresses, ['127.0.0.32', '::1']);
  });

  test('the down hosts refuse at once (RST) on every address', async () => {
    for (const name of ['sun.noao.test', 'refused.blackhole.test']) {
      for (const a of lab.host(name).addresses)
        await assert.rejects(greet(a, lab.port), { code: 'ECONNREFUSED' }, `${name} at ${a}`);
    }
  });

  test('a scenario MX takes mail for its domain (RCPT 250) and refuses relaying; DATA is never accepted', async () => {
    const h = lab.host('mx.tuc.test');
    const replies = await session(h.address, lab.port, [
      'EHLO probe.test',
      'MAIL FROM:<>',
      'RCPT TO:<postmaster@tuc.test>',
      'RCPT TO:<alice@mailhost.tuc.test>',
      'RCPT TO:<nobody@tuc.test>',
      'RCPT TO:<alice@mlfarm.test>',
      'DATA',
      'QUIT',
    ]);
    assert.deepEqual(
      replies.map((r) => r.slice(0, 3)),
      ['220', '250', '250', '250', '250', '550', '554', '554', '221'],
    );
  });

  test('STARTTLS: the certificate names the host and its aliases, signed by the lab CA', async () => {
    const h = lab.host('mx.samehost.test');
    const s = connect({ host: h.address, port: lab.port });
    let seen = '';
    const until = (re: RegExp): Promise<void> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (re.test(seen)) {
            s.off('data', on);
            resolve();
          }
        };
        const on = (d: Buffer): void => {
          seen += d.toString();
          check();
        };
        s.on('data', on);
        check();
      });
    await until(/^220 /m);
    s.write('EHLO probe.test\r\nSTARTTLS\r\n');
    await until(/^220 2\.0\.0/m);
    const t = tlsConnect({ socket: s, servername: 'a.samehost.test', ca: lab.caCertPem });
    await new Promise<void>((resolve, reject) => {
      t.once('secureConnect', resolve);
      t.once('error', reject);
    });
    assert.equal(t.authorized, true, String(t.authorizationError));
    const cert = t.getPeerCertificate();
    for (const name of ['mx.samehost.test', 'a.samehost.test', 'b.samehost.test'])
      assert.equal(checkServerIdentity(name, cert), undefined, name);
    assert.ok(checkServerIdentity('mx.mlfarm.test', cert) instanceof Error);
    t.destroy();
  });
});

describe('lab zone: the data is checked, the work is bounded', () => {
  const cname = (name: string, target: string): ZoneRecord => ({
    name,
    type: 'CNAME',
    ttl: 60,
    data: target,
  });

  test('a CNAME beside other data, or a name outside .test, is refused when the zone is built', () => {
    assert.throws(
      () =>
        new Zone([
          LAB_SOA,
          cname('a.test', 'b.test'),
          { name: 'a.test', type: 'TXT', ttl: 60, data: ['x'] },
        ]),
      /a\.test has a CNAME beside other records/,
    );
    assert.throws(
      () => new Zone([LAB_SOA, { name: 'mx.example.com', type: 'A', ttl: 60, data: '127.0.0.1' }]),
      /outside \.test/,
    );
  });

  test(`a CNAME loop ends in SERVFAIL after ${MAX_CNAME_HOPS} hops, with nothing in the answer`, () => {
    const loop = new Zone([LAB_SOA, cname('a.test', 'b.test'), cname('b.test', 'a.test')]);
    assert.deepEqual(loop.answer('a.test', 'A'), {
      rcode: 'SERVFAIL',
      authoritative: false,
      answers: [],
      authorities: [],
    });
  });

  test('a CNAME out of the zone is handed back as is: the client chases it', () => {
    const out = new Zone([LAB_SOA, cname('a.test', 'mx.example.com')]).answer('A.Test.', 'MX');
    assert.equal(out.rcode, 'NOERROR');
    assert.deepEqual(
      out.answers.map((r) => r.data),
      ['mx.example.com'],
    );
  });
});
