/**
 * probeHostile: one probe (caps, vrfy, expn or verify) against a fresh
 * hostile server in a fresh in-memory world, with the tier's small timeouts
 * and injection-looking arguments; it never throws and never hangs the test.
 */
import type { ZoneRecord } from '../../src/lab/index.js';
import { probeCaps } from '../../src/probes/caps.js';
import { probeExpn, probeVrfy } from '../../src/probes/lookup.js';
import type { ProbeOutcome } from '../../src/probes/outcome.js';
import { probeVerify } from '../../src/probes/verify.js';
import type { HostileCerts } from './hostile-certs.js';
import { MX_ADDRESS, MX_NAME } from './hostile-plain-mta.js';
import { type HostileServer, hostileServer, type Misbehaviour } from './hostile-server.js';
import { type MemoryWorld, memoryWorld } from './memory-world.js';

/** ProbeName: the commands the tier runs against every misbehaviour. */
export type ProbeName = 'caps' | 'vrfy' | 'expn' | 'verify';
export const PROBES: ProbeName[] = ['caps', 'vrfy', 'expn', 'verify'];

/** HOSTILE_TIMEOUTS: small, so every case is cut early; targetMs is the deadline each case must keep. */
export const HOSTILE_TIMEOUTS = {
  resolveMs: 2_000,
  connectMs: 2_000,
  tlsMs: 5_000,
  greetingMs: 5_000,
  commandMs: 5_000,
  targetMs: 20_000,
};

/** ZONE: example.test's mail goes to the hostile host. */
export const ZONE: ZoneRecord[] = [
  { name: 'example.test', type: 'MX', ttl: 300, data: { preference: 10, exchange: MX_NAME } },
  { name: MX_NAME, type: 'A', ttl: 300, data: MX_ADDRESS },
];

/** ProbeArgs: what each command is asked. */
export interface ProbeArgs {
  helo: string;
  from: string;
  /** vrfy's names, expn's lists, verify's addresses. */
  names: string[];
  lists: string[];
  addresses: string[];
}

/**
 * HOSTILE_ARGS: valid arguments that look like injection (SMTP verbs, "<>",
 * percent-encoded CRLF, quotes, backslashes) beside plain ones; every one
 * passes validation, so each must reach the server as one clean line.
 */
export const HOSTILE_ARGS: ProbeArgs = {
  helo: 'client.test',
  from: 'probe@client.test',
  names: ['alice', '"RCPT TO:<x>"', "o'brien+%0d%0a", 'nobody@example.test'],
  lists: ['staff', '"DATA\\ ."', 'nolist'],
  addresses: [
    'ghost@example.test',
    'alice@example.test',
    '"RCPT TO:<victim@evil.test>"@example.test',
    "o'brien+%0d%0aDATA@example.test",
    '"DATA\\ ."@example.test',
    'bob@example.test',
    'ñandú@example.test',
  ],
};

/** HostileRun: one probe against one server, and what came of it. */
export interface HostileRun {
  probe: ProbeName;
  target: string;
  outcome?: ProbeOutcome<unknown>;
  /** What the probe threw instead of returning an outcome (a crash). */
  thrown?: unknown;
  /** No outcome within the wall-clock limit. */
  hung: boolean;
  /** Virtual milliseconds from the start to the outcome. */
  virtualMs: number;
  server: HostileServer;
}

/** RunSetup: the certificates, arguments, timeouts and patience of one run. */
export interface RunSetup {
  certs?: HostileCerts;
  args?: ProbeArgs;
  timeouts?: typeof HOSTILE_TIMEOUTS;
  /** Wall-clock milliseconds before a run counts as hung (default 15 s). */
  wallLimitMs?: number;
}

function startProbe(
  probe: ProbeName,
  world: MemoryWorld,
  args: ProbeArgs,
  setup: RunSetup,
): Promise<ProbeOutcome<unknown>> {
  const common = {
    ...world.wiring,
    helo: args.helo,
    timeouts: setup.timeouts ?? HOSTILE_TIMEOUTS,
    ...(setup.certs ? { caFiles: setup.certs.caFiles } : {}),
  };
  switch (probe) {
    case 'caps':
      return probeCaps(MX_ADDRESS, { ...common, census: true, tlsName: MX_NAME, tlsVerify: true });
    case 'vrfy':
      return probeVrfy(MX_ADDRESS, args.names, common);
    case 'expn':
      return probeExpn(MX_ADDRESS, args.lists, common);
    case 'verify':
      return probeVerify(args.addresses, {
        ...common,
        resolvers: ['192.0.2.53'],
        dnsTransport: world.dns(ZONE),
        from: args.from,
      });
  }
}

/** targetOf: what the command's envelope names as its target. */
const targetOf = (probe: ProbeName, args: ProbeArgs): string =>
  probe !== 'verify'
    ? MX_ADDRESS
    : args.addresses.length === 1
      ? args.addresses[0]!
      : `${args.addresses.length} addresses`;

/** probeHostile: run `probe` against a fresh world serving `misbehaviour`; never throws. */
export async function probeHostile(
  probe: ProbeName,
  misbehaviour: Misbehaviour,
  setup: RunSetup = {},
): Promise<HostileRun> {
  const world = memoryWorld();
  const server = hostileServer(world, misbehaviour, setup.certs);
  const args = setup.args ?? HOSTILE_ARGS;
  const run: HostileRun = {
    probe,
    target: targetOf(probe, args),
    hung: false,
    virtualMs: 0,
    server,
  };
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), setup.wallLimitMs ?? 15_000);
  });
  try {
    const started = startProbe(probe, world, args, setup).then((outcome) => {
      run.virtualMs = world.clock.now();
      return outcome;
    });
    const first = await Promise.race([started, hung]);
    if (first === 'hung') run.hung = true;
    else run.outcome = first;
  } catch (err) {
    run.thrown = err;
    run.virtualMs = world.clock.now();
  } finally {
    clearTimeout(timer);
    // Lines still in flight (each chunk arrives one turn after it was written) are recorded first.
    for (let turn = 0; turn < 4; turn++) await new Promise<void>((r) => setImmediate(r));
    server.stop();
  }
  return run;
}
