/**
 * The DNS half of the audit's `mta-sts` and `dane` checks, asked while a window's DNS runs (with
 * the site's own resolver, so `--resolver https://…` carries them too): the `_mta-sts` record,
 * the policy file for a valid one only (RFC 8461 §3.3), the `_smtp._tls` record, and TLSA for
 * each MX host with addresses. The answers are judged at once, so a site waiting for its
 * addresses holds the judged part (src/mx/audit-policy.ts), not lookups or up to 64 KiB of text.
 */
import type { Resolver } from '../dns/resolver.js';
import { ProbeError } from '../errors.js';
import { type PreparedPolicy, preparePolicy } from '../mx/audit-policy.js';
import { publishedPolicy } from '../mx/policy.js';
import type { MxResult } from '../schema/mx.js';
import type { AuditCheck } from '../vocabulary.js';
import { type AskOptions, askSts, askTlsa } from './policy.js';

/**
 * askSitePolicy: the policy questions of the checks asked for a walked domain, judged as far as
 * they can be without the addresses; null when neither check is asked or no MX host has an
 * address to judge. Rejects only when the run is cancelled.
 */
export async function askSitePolicy(
  walk: MxResult,
  resolver: Resolver,
  checks: ReadonlySet<AuditCheck>,
  o: AskOptions,
): Promise<PreparedPolicy | null> {
  const domain = walk.domain.ascii;
  const dialled = walk.hosts.filter((h) => h.addresses.length > 0);
  const sts = checks.has('mta-sts');
  const dane = checks.has('dane');
  if ((!sts && !dane) || dialled.length === 0) return null;
  const [asked, tlsa] = await Promise.all([
    sts ? askSts(domain, resolver, o) : null,
    dane ? askTlsa(dialled, resolver, o.port) : null,
  ]).catch((err: unknown) => {
    // A fetch cut short rejects with the signal's reason; the run reports a cancellation.
    throw o.deadline.signal.aborted && !(err instanceof ProbeError)
      ? o.deadline.cancelled('resolve', domain)
      : err;
  });
  return preparePolicy(
    asked && publishedPolicy(domain, asked.stsTxt, asked.fetch, asked.tlsRptTxt),
    tlsa,
  );
}
