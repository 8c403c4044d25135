/**
 * TLS-RPT (RFC 8460), pure: the `_smtp._tls` TXT record that tells senders where to report
 * failed TLS (and MTA-STS, DANE) negotiations. Nothing here fetches or sends a report.
 */
import type { PolicyFinding, TlsRptResult } from '../schema/policy.js';
import { EXTENSION_VALUE, txtFields, versionedRecords } from './mta-sts.js';

const REF = 'RFC 8460 §3';

const finding = (id: string, message: string, severity: PolicyFinding['severity'] = 'medium') => ({
  id,
  severity,
  message,
  ref: REF,
});

/**
 * parseTlsRpt: the TXT RRset of `_smtp._tls.<domain>` → its one valid `v=TLSRPTv1; rua=…`
 * record, or null with findings: none, several (senders then assume no TLS-RPT), malformed, or
 * no rua. Each rua URI must be mailto: or https: (RFC 8460 §3); the others (http: among them)
 * are findings and left out of `rua`, and with none left the record is null. URIs are split at
 * "," (RFC 8460 asks publishers to percent-encode "," and ";" inside one).
 */
export function parseTlsRpt(txts: string[][]): TlsRptResult {
  const found = versionedRecords(txts, 'TLSRPTv1');
  if (found.length === 0) {
    const message =
      'no _smtp._tls TXT record begins with "v=TLSRPTv1": no TLS reports are asked for';
    return { record: null, findings: [finding('tlsrpt-record-none', message, 'info')] };
  }
  if (found.length > 1) {
    const message = `${found.length} _smtp._tls TXT records begin with "v=TLSRPTv1"; senders treat that as none`;
    return { record: null, findings: [finding('tlsrpt-record-several', message)] };
  }
  const text = found[0]!;
  const read = readFields(text);
  if (typeof read === 'string') {
    const message = `the _smtp._tls TXT record "${text}" is malformed: ${read}`;
    return { record: null, findings: [finding('tlsrpt-record-syntax', message)] };
  }
  if (read.rua === undefined) {
    const message = `the _smtp._tls TXT record "${text}" has no rua field: senders have nowhere to report`;
    return { record: null, findings: [finding('tlsrpt-rua-missing', message)] };
  }
  const findings: PolicyFinding[] = [];
  const rua = read.rua.split(/[ \t]*,[ \t]*/).filter((uri) => {
    const problem = uriProblem(uri);
    if (problem) findings.push(problem);
    return problem === null;
  });
  if (rua.length === 0) {
    findings.push(
      finding('tlsrpt-rua-unusable', 'no rua URI is usable: senders have nowhere to report'),
    );
    return { record: null, findings };
  }
  return { record: { version: 'TLSRPTv1', rua, extensions: read.extensions, text }, findings };
}

/** readFields: the rua value and the extensions of a record that begins with v=TLSRPTv1. */
function readFields(text: string): { rua?: string; extensions: Record<string, string> } | string {
  const split = txtFields(text);
  if ('error' in split) return split.error;
  const extensions: Record<string, string> = {};
  let rua: string | undefined;
  // The first field is v=TLSRPTv1: versionedRecords kept only such records.
  for (const [key, value] of split.fields.slice(1)) {
    if (key === 'rua') {
      if (rua !== undefined) return 'rua appears twice (list the URIs in one, separated by ",")';
      rua = value;
    } else if (!EXTENSION_VALUE.test(value)) {
      return `field ${key} has the value "${value}" (empty, or with a space, ";", "=" or non-ASCII)`;
    } else extensions[key] = value;
  }
  return rua === undefined ? { extensions } : { rua, extensions };
}

/** uriProblem: why a rua URI is not one a sender can report to, or null. */
function uriProblem(uri: string): PolicyFinding | null {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === 'mailto') {
    if (/^mailto:[^@\s]+@[^@\s]+$/i.test(uri)) return null;
    return finding('tlsrpt-rua-invalid', `rua URI "${uri}" is not mailto:<address>`);
  }
  if (scheme === 'https') {
    if (URL.canParse(uri) && new URL(uri).hostname !== '') return null;
    return finding('tlsrpt-rua-invalid', `rua URI "${uri}" is not a valid https: URL`);
  }
  if (scheme === 'http') {
    return finding(
      'tlsrpt-rua-http',
      `rua URI "${uri}" is http:, not https: senders do not post reports in clear`,
    );
  }
  if (scheme === undefined) {
    return finding('tlsrpt-rua-invalid', `rua URI "${uri}" has no scheme (mailto: or https:)`);
  }
  return finding('tlsrpt-rua-scheme', `rua URI "${uri}" uses ${scheme}:, not mailto: or https:`);
}
