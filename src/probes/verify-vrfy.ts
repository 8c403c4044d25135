/**
 * askVrfy: VRFY each address at the chosen host first (--method vrfy,rcpt).
 * Only a clear answer counts — 250/251 deliverable, 550 undeliverable; a 252,
 * a refusal or a policy answer leaves the address to RCPT.
 */
import { formatEndpoint } from '../net/target.js';
import type { AddressVerdict, DomainReport } from '../schema/verify.js';
import type { Mailbox } from '../smtp/address.js';
import type { Deadline } from '../time/deadline.js';
import { probeVrfy } from './lookup.js';
import type { Candidate, VerifyCtx } from './verify-options.js';

/** askVrfy: see the module comment; the map holds only the addresses VRFY answered clearly. */
export async function askVrfy(
  boxes: Mailbox[],
  candidate: Candidate,
  ctx: VerifyCtx,
  deadline: Deadline,
  report: DomainReport,
): Promise<Map<Mailbox, AddressVerdict>> {
  const { options, run } = ctx;
  const found = new Map<Mailbox, AddressVerdict>();
  const target = formatEndpoint(candidate.address, candidate.port);
  const { status, result } = await probeVrfy(
    target,
    boxes.map((b) => b.address),
    {
      ...(options.helo === undefined ? {} : { helo: options.helo }),
      starttls: options.starttls !== false,
      ...(options.caFiles ? { caFiles: options.caFiles } : {}),
      control: false,
      // The domain's deadline is the outer signal; its budget is what is left of the domain's.
      timeouts: { ...run.timeouts, targetMs: deadline.remainingMs() },
      signal: deadline.signal,
      ...run.wiring,
      ...(options.onTranscript
        ? { onTranscript: (e) => options.onTranscript?.(e, `${candidate.host} ${target} (VRFY)`) }
        : {}),
    },
  );
  if (status !== 'ok') {
    report.notes.push(`VRFY first: ${status}; every address went to RCPT`);
    return found;
  }
  boxes.forEach((box, i) => {
    const item = result.items[i];
    if (!item?.reply || !item.command) return;
    const evidence = [
      {
        host: candidate.host,
        address: candidate.address,
        method: 'vrfy' as const,
        command: item.command,
        reply: item.reply,
        session: item.session ?? 1,
      },
    ];
    const base = { input: box.input, address: box.address, domain: box.domain, evidence };
    if (item.meaning === 'exists') {
      found.set(box, { ...base, verdict: 'deliverable', reason: 'accepted', confidence: 'high' });
    } else if (item.meaning === 'will-forward') {
      found.set(box, {
        ...base,
        verdict: 'deliverable',
        reason: 'will-forward',
        confidence: 'high',
      });
    } else if (item.meaning === 'no-such-user') {
      found.set(box, {
        ...base,
        verdict: 'undeliverable',
        reason: 'bad-mailbox',
        confidence: 'high',
      });
    }
  });
  report.notes.push(
    `VRFY first: ${found.size} of ${boxes.length} answered clearly; ${boxes.length - found.size} went to RCPT`,
  );
  return found;
}
