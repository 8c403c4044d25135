/**
 * The policy section of `mx` for a person: one line per published policy (MTA-STS with its
 * fetch, TLS-RPT), a table of what an MTA-STS sender and a DANE sender do at each MX host, and
 * the findings with their RFCs, worst first.
 */
import type { PolicyReport } from '../schema/policy.js';
import { DEFAULT_WIDTH, findingTable, fitTable, type CellInput, type TableStyle } from './table.js';
import { printable } from './terminal.js';
import { wrapText } from './wrap.js';

/** renderPolicy: see the module comment. */
export function renderPolicy(r: PolicyReport, style: TableStyle): string {
  const p = style.paint;
  const width = style.width ?? DEFAULT_WIDTH;
  if (publishesNothing(r))
    return wrapText(
      `${p.bold('Policy:')} none published (no _mta-sts or _smtp._tls record, no TLSA record at any MX host)`,
      width,
      '  ',
    );
  const out = [
    p.bold('Policy'),
    wrapText(`  MTA-STS: ${printable(stsLine(r))}`, width, '    '),
    wrapText(`  TLS-RPT: ${printable(tlsRptLine(r))}`, width, '    '),
  ];
  if (r.dane.length > 0) out.push(hostTable(r, style));
  if (r.dane.some((d) => d.records.length > 0))
    out.push(wrapText(`  ${p.dim(`DANE: ${r.adNote}`)}`, width, '    '));
  if (r.findings.length > 0) out.push(findings(r, style));
  return out.join('\n');
}

// The common case gets one line, not a table of "none" and "no-tlsa".
function publishesNothing(r: PolicyReport): boolean {
  return (
    r.mtaSts.state === 'no-record' &&
    r.mtaSts.txt.lookup !== 'ok' &&
    r.tlsRpt.record === null &&
    r.tlsRpt.lookup !== 'ok' &&
    r.dane.every((d) => d.state === 'no-tlsa')
  );
}

function stsLine(r: PolicyReport): string {
  const s = r.mtaSts;
  const id = s.txt.record ? ` (id ${s.txt.record.id})` : '';
  switch (s.state) {
    case 'no-record':
      return s.txt.findings[0]?.message ?? 'no usable _mta-sts record: no policy applies';
    case 'fetch-failed':
      return `record${id}, but the policy fetch failed (${s.fetch?.outcome}): ${s.fetch?.error ?? ''}`;
    case 'invalid-policy':
      return `record${id}, policy fetched from ${s.fetch?.url} but invalid: senders apply none`;
    default: {
      const policy = s.policy!;
      const mx = policy.mx.length ? `, mx ${policy.mx.join(' ')}` : '';
      return `mode ${policy.mode}${id}${mx}, max_age ${policy.maxAge} s, from ${s.fetch?.url}`;
    }
  }
}

function tlsRptLine(r: PolicyReport): string {
  const t = r.tlsRpt;
  if (t.record) return `reports to ${t.record.rua.join(', ')}`;
  return t.findings[0]?.message ?? 'no usable _smtp._tls record';
}

function hostTable(r: PolicyReport, style: TableStyle): string {
  const p = style.paint;
  const verdicts = new Map(r.mtaSts.verdicts.map((v) => [v.mx, v]));
  const rows = r.dane.map((d): CellInput[] => {
    const v = verdicts.get(d.mx);
    const sts = v?.outcome ?? '—';
    const stsPaint =
      sts === 'skip' ? p.red : sts === 'report' ? p.yellow : sts === 'deliver' ? p.green : p.dim;
    const danePaint =
      d.state === 'dane-valid'
        ? p.green
        : d.state === 'dane-mismatch' || d.state === 'dane-no-tls'
          ? p.red
          : d.state === 'no-tlsa'
            ? p.dim
            : p.yellow;
    return [
      printable(d.mx),
      { text: sts, paint: stsPaint },
      { text: d.state, paint: danePaint },
      printable(v && v.outcome !== 'deliver' ? v.reason : d.state === 'no-tlsa' ? '' : d.finding),
    ];
  });
  return fitTable(
    style,
    [
      { head: 'MX host' },
      { head: 'MTA-STS', fit: 'keep' },
      { head: 'DANE', fit: 'keep' },
      { head: 'why', min: 30 },
    ],
    rows,
  );
}

function findings(r: PolicyReport, style: TableStyle): string {
  const p = style.paint;
  const colour = { high: p.red, medium: p.yellow, low: p.dim, info: p.dim } as const;
  return findingTable(
    style,
    r.findings.map((f) => ({
      severity: { text: f.severity, paint: colour[f.severity] },
      id: f.id,
      ref: f.ref,
      detail: `${printable(f.subject)}: ${printable(f.message)}`,
    })),
  );
}
