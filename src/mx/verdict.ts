/** mxVerdict: the one line an admin wants from a walk — who takes the mail, and what fails before it. */
import type { MxResult, Verdict } from '../schema/mx.js';

/** SenderOrder: one (host, address) pair of a walk, as a sender tries it. */
export interface SenderOrder {
  host: string;
  preference: number;
  group: number;
  address: MxResult['hosts'][number]['addresses'][number];
}

/** senderOrder: every (host, address) pair in the order a sender tries them: preference, then each address. */
export function senderOrder(result: MxResult): SenderOrder[] {
  return result.hosts.flatMap((h) =>
    h.addresses.map((address) => ({
      host: h.name,
      preference: h.preference,
      group: h.group,
      address,
    })),
  );
}

/** mxVerdict: accepted by the first address that greets and says hello, or no usable host. */
export function mxVerdict(result: MxResult): Verdict {
  const order = senderOrder(result);
  const domain = result.domain.unicode;
  const firstOk = order.findIndex((o) => o.address.status === 'ok');
  if (firstOk === -1) {
    const statuses = summarize(order.map((o) => o.address.status));
    const why =
      order.length === 0
        ? 'no MX host has an address'
        : order.length === 1
          ? `the one address fails: ${statuses}`
          : `all ${order.length} addresses fail: ${statuses}`;
    return {
      kind: 'no-usable-host',
      failedBefore: order.map((o) => ({
        host: o.host,
        address: o.address.address,
        status: o.address.status,
      })),
      text: `mail for ${domain} is not accepted now — ${why}; senders queue it and retry`,
    };
  }
  const winner = order[firstOk]!;
  const failed = order
    .slice(0, firstOk)
    .map((o) => ({ host: o.host, address: o.address.address, status: o.address.status }));
  const before =
    failed.length === 0
      ? 'the first address a sender tries'
      : `${failed.length} address${failed.length > 1 ? 'es' : ''} before it fail${failed.length > 1 ? '' : 's'}: ${failed.map((f) => f.status).join(', ')}`;
  return {
    kind: 'accepted',
    host: winner.host,
    address: winner.address.address,
    failedBefore: failed,
    text: `mail for ${domain} is accepted by ${winner.host} (${winner.address.address}) — ${before}`,
  };
}

function summarize(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const o of statuses) counts.set(o, (counts.get(o) ?? 0) + 1);
  return [...counts].map(([o, n]) => (n > 1 ? `${n}× ${o}` : o)).join(', ');
}
