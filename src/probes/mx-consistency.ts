/**
 * `mx --consistency`: the walk's addresses audited side by side — caps, STARTTLS and the
 * certificate against the MX name, VRFY/EXPN exposure, and one made-up recipient at the domain
 * — then compared (mx/consistency.ts): a backup MX that accepts what the primary refuses makes
 * backscatter, one without STARTTLS is where a downgrade lands. The same address probe the
 * audit uses; never DATA.
 */
import { siteFindings } from '../mx/consistency.js';
import { formatEndpoint } from '../net/target.js';
import type { AuditAddress } from '../schema/audit.js';
import type { MxResult } from '../schema/mx.js';
import type { AuditCheck } from '../vocabulary.js';
import { probeAuditAddress } from './audit-address.js';
import { DEFAULT_EXPN_LISTS } from './audit-lookups.js';
import type { Run } from './outcome.js';
import { pool } from './pool.js';
import { RELAY_TEST_ADDRESS } from '../smtp/relay.js';

const CHECKS: ReadonlySet<AuditCheck> = new Set([
  'connect',
  'caps',
  'tls',
  'vrfy',
  'expn',
  'mx-consistency',
]);

/** Consistency: what `mx --consistency` adds to a walk. */
export type Consistency = NonNullable<MxResult['consistency']>;

/** checkConsistency: see the module comment; addresses are probed `parallel` at a time. */
export async function checkConsistency(
  walk: MxResult,
  run: Run,
  options: { helo?: string; parallel: number },
): Promise<Consistency> {
  const port = walk.port;
  const domain = walk.domain.ascii;
  const jobs = walk.hosts.flatMap((h) =>
    h.addresses
      .filter((a) => a.status === 'ok' || a.status === 'tls-error')
      .map((a) => ({
        key: formatEndpoint(a.address, port),
        address: a.address,
        port,
        family: a.family,
        names: [h.name],
        domains: [domain],
      })),
  );
  const records = new Map<string, AuditAddress>();
  await pool(jobs, options.parallel, async (job) => {
    records.set(
      job.key,
      await probeAuditAddress(job, {
        checks: CHECKS,
        expnLists: DEFAULT_EXPN_LISTS,
        relayFrom: RELAY_TEST_ADDRESS,
        relayTo: RELAY_TEST_ADDRESS,
        ...(options.helo === undefined ? {} : { helo: options.helo }),
        trust: run.trust,
        timeouts: run.timeouts,
        deadline: run.deadline,
        ...(run.wiring.connector ? { connector: run.wiring.connector } : {}),
      }),
    );
  });
  const site = {
    target: domain,
    kind: 'domain' as const,
    hosts: walk.hosts.map((h) => ({
      name: h.name,
      preference: h.preference,
      addresses: h.addresses.map((a) => formatEndpoint(a.address, port)),
    })),
  };
  // The addresses' own findings are the walk's business (and caps'); only the comparison and the names are new here.
  const findings = siteFindings(site, (k) => records.get(k), true).filter(
    (f) => f.address === null || f.id === 'cert-name-mismatch',
  );
  return { findings, addresses: [...records.values()] };
}
