/**
 * What the policy section costs and what DNS over HTTPS costs, against the lab in this process:
 * the MX walk of sts-enforce.test (TXT ×2, TLSA, the HTTPS policy fetch on top of the walk) with
 * and without the policy, as a ratio; the same walk with the lab's DoH endpoint as resolver
 * against its UDP server; and 200 A lookups at once over each transport. Loopback only.
 */
import { startLab } from '../src/lab/index.js';
import { Resolver, parseResolverAddress } from '../src/dns/index.js';
import { routedTransport } from '../src/dns/route.js';
import { UDP_TCP_TRANSPORT } from '../src/dns/transport.js';
import { loadTrustStore } from '../src/net/tls.js';
import { probeMx, type MxOptions } from '../src/probes/mx.js';
import { median, row } from './stats.js';

const DOMAIN = 'sts-enforce.test';
const LOOKUPS = 200;

/** benchPolicy: see the module comment; `runs` walks per variant. */
export async function benchPolicy(runs = 15): Promise<void> {
  const lab = await startLab({ port: 0, hosts: [DOMAIN] });
  try {
    const udp = `${lab.dns.address}:${lab.dns.port}`;
    const base: MxOptions = {
      resolvers: [udp],
      port: lab.port,
      mtaStsPort: lab.https.port,
      caFiles: [lab.caCertFile],
    };
    const walk = async (o: MxOptions): Promise<number> => {
      const t = performance.now();
      const { status, result } = await probeMx(DOMAIN, o);
      const ms = performance.now() - t;
      if (status !== 'ok') throw new Error(`${DOMAIN}: ${status}`);
      if (o.policy !== false && result.policy?.mtaSts.state !== 'enforce')
        throw new Error(`${DOMAIN}: policy ${result.policy?.mtaSts.state}`);
      return ms;
    };
    const variants: [string, MxOptions][] = [
      ['mx walk, --no-policy (UDP DNS)', { ...base, policy: false }],
      ['mx walk with the policy (UDP DNS)', base],
      ['mx walk with the policy (DoH)', { ...base, resolvers: [lab.dohUrl] }],
    ];
    const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    await walk(base); // warm: the first TLS context and certificate parse
    // Interleaved, so drift on a noisy machine hits every variant alike.
    for (let i = 0; i < runs; i++)
      for (const [name, o] of variants) samples.get(name)!.push(await walk(o));
    console.log(`Policy section and DNS over HTTPS (${DOMAIN}, lab in-process):`);
    const baseline = median(samples.get(variants[0]![0])!);
    for (const [name] of variants) console.log(`  ${row(name, samples.get(name)!, baseline)}`);

    const trust = loadTrustStore([lab.caCertFile]);
    // Distinct names: identical lookups in flight share one query.
    const distinct = async (server: string): Promise<number> => {
      const transport = routedTransport(UDP_TCP_TRANSPORT, trust);
      const resolver = new Resolver({ servers: [parseResolverAddress(server)], transport });
      const t = performance.now();
      const names = Array.from({ length: LOOKUPS }, (_, i) => `n${i}.${DOMAIN}`);
      await Promise.all(names.map((n) => resolver.lookup(n, 'A')));
      const ms = performance.now() - t;
      await transport.close();
      return ms;
    };
    const ask = { udp: [] as number[], doh: [] as number[] };
    await distinct(lab.dohUrl);
    for (let i = 0; i < runs; i++) {
      ask.udp.push(await distinct(udp));
      ask.doh.push(await distinct(lab.dohUrl));
    }
    console.log(`  ${row(`${LOOKUPS} distinct lookups at once, UDP`, ask.udp)}`);
    console.log(`  ${row(`${LOOKUPS} distinct lookups at once, DoH`, ask.doh, median(ask.udp))}`);
  } finally {
    await lab.close();
  }
}
