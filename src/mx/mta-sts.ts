/**
 * MTA-STS (RFC 8461), pure: the `_mta-sts` TXT record, the policy file, the MX pattern rule and
 * what a compliant sender does at one MX. Nothing here fetches: callers hand in the TXT strings,
 * the policy body and the TLS facts a probe saw. Findings come back beside a value or a null, and
 * a null always means what it means to a sender: no MTA-STS policy applies.
 */
import type {
  PolicyFinding,
  StsPolicy,
  StsPolicyResult,
  StsRecord,
  StsRecordResult,
  StsVerdict,
} from '../schema/policy.js';

/** STS_MAX_AGE_S: the largest `max_age` a policy may carry, one year in seconds (RFC 8461 §3.2). */
export const STS_MAX_AGE_S = 31_557_600;

const TXT_REF = 'RFC 8461 §3.1';
const POLICY_REF = 'RFC 8461 §3.2';

// RFC 8461 §3.1 and RFC 8460 §3 share these: field names, extension values (printable ASCII
// without space, ";" or "="), and the policy id.
const FIELD_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
/** EXTENSION_VALUE: the value of a TXT record field neither RFC names (sts-ext-value, tlsrpt-ext-value). */
export const EXTENSION_VALUE = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;
const STS_ID = /^[A-Za-z0-9]{1,32}$/;
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
// An mx pattern: an optional "*." then a domain (RFC 8461 §3.2, sts-policy-mx-value).
const MX_PATTERN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*\\.?$`);
// A policy line: "key:" then optional spaces or tabs and the value (RFC 8461 §3.2).
const POLICY_LINE = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,31}):[ \t]*(.*?)[ \t]*$/;

/**
 * versionedRecords: the TXT records (each a list of strings, concatenated) that begin with
 * `v=<version>` and a ";" or the end. The others are discarded unread (RFC 8461 §3.1, RFC 8460 §3).
 */
export function versionedRecords(txts: string[][], version: string): string[] {
  const start = new RegExp(`^v=${version}[ \\t]*(?:;|$)`);
  return txts.map((strings) => strings.join('')).filter((text) => start.test(text));
}

/**
 * txtFields: a `v=…; key=value; …` record split into [key, value] pairs in order, or why it is
 * malformed. Fields are separated by ";" with optional spaces or tabs around it, and one trailing
 * ";" is allowed. Values are only split off here; each caller checks its own (a rua value holds
 * "=" and spaces that an extension value may not).
 */
export function txtFields(text: string): { fields: [string, string][] } | { error: string } {
  const parts = text.split(';').map((p) => p.replace(/^[ \t]+|[ \t]+$/g, ''));
  if (parts.length > 1 && parts.at(-1) === '') parts.pop();
  const fields: [string, string][] = [];
  for (const part of parts) {
    if (part === '') return { error: 'an empty field (two ";" in a row)' };
    const eq = part.indexOf('=');
    if (eq < 0) return { error: `"${part}" is not key=value` };
    const key = part.slice(0, eq);
    if (!FIELD_NAME.test(key)) return { error: `"${key}" is not a field name` };
    fields.push([key, part.slice(eq + 1)]);
  }
  return { fields };
}

const finding = (
  id: string,
  severity: PolicyFinding['severity'],
  message: string,
  ref: string,
): PolicyFinding => ({ id, severity, message, ref });

/**
 * parseStsRecords: the TXT RRset of `_mta-sts.<domain>` → its one valid `v=STSv1; id=…` record,
 * or null and a finding: none, several (RFC 8461 §3.1: senders then assume no policy), or
 * malformed. Keys and the version are case-sensitive; "V=stsv1" is not a record.
 */
export function parseStsRecords(txts: string[][]): StsRecordResult {
  const found = versionedRecords(txts, 'STSv1');
  if (found.length !== 1) {
    const f =
      found.length === 0
        ? finding(
            'sts-record-none',
            'info',
            'no _mta-sts TXT record begins with "v=STSv1": no MTA-STS policy',
            TXT_REF,
          )
        : finding(
            'sts-record-several',
            'medium',
            `${found.length} _mta-sts TXT records begin with "v=STSv1"; senders treat that as no policy`,
            TXT_REF,
          );
    return { record: null, findings: [f] };
  }
  const record = readStsRecord(found[0]!);
  if (typeof record !== 'string') return { record, findings: [] };
  const message = `the _mta-sts TXT record "${found[0]}" is malformed: ${record}; senders treat that as no policy`;
  return { record: null, findings: [finding('sts-record-syntax', 'medium', message, TXT_REF)] };
}

/** readStsRecord: one record that begins with v=STSv1 → its fields, or what is wrong with it. */
function readStsRecord(text: string): StsRecord | string {
  const split = txtFields(text);
  if ('error' in split) return split.error;
  const extensions: Record<string, string> = {};
  let id: string | undefined;
  // The first field is v=STSv1: versionedRecords kept only such records.
  for (const [key, value] of split.fields.slice(1)) {
    if (key === 'id') {
      // Two ids would let two senders cache under different ids: refuse rather than guess.
      if (id !== undefined) return 'id appears twice';
      if (!STS_ID.test(value)) return `id "${value}" is not 1–32 letters and digits`;
      id = value;
    } else if (!EXTENSION_VALUE.test(value)) {
      return `field ${key} has the value "${value}" (empty, or with a space, ";", "=" or non-ASCII)`;
    } else extensions[key] = value;
  }
  if (id === undefined) return 'it has no id field';
  return { version: 'STSv1', id, extensions, text };
}

interface PolicyField {
  key: string;
  value: string;
  line: number;
}

/** Findings: what a parse found, and whether any of it makes the result invalid. */
interface Findings {
  list: PolicyFinding[];
  invalid(id: string, message: string): void;
  note(id: string, severity: PolicyFinding['severity'], message: string): void;
  valid(): boolean;
}

function collector(ref: string): Findings {
  let valid = true;
  const list: PolicyFinding[] = [];
  return {
    list,
    invalid(id, message) {
      valid = false;
      list.push(finding(id, 'medium', message, ref));
    },
    note: (id, severity, message) => list.push(finding(id, severity, message, ref)),
    valid: () => valid,
  };
}

/**
 * parseStsPolicy: the body of `https://mta-sts.<domain>/.well-known/mta-sts.txt` → the policy,
 * or null when a sender must reject it, with findings either way (RFC 8461 §3.2). Lines are
 * `key: value`, CRLF or LF (blank lines are passed over); version (STSv1), mode and max_age are
 * required, mx too unless mode is none, and may repeat; unknown keys are ignored; a repeated
 * key other than mx keeps its first value (a "low" finding). Keys and values are case-sensitive.
 * A version line that is not the first is only noted: the RFC's grammar lets fields come in any
 * order.
 */
export function parseStsPolicy(body: string): StsPolicyResult {
  const out = collector(POLICY_REF);
  const fields = policyFields(body, out);
  const first = new Map<string, PolicyField>();
  for (const f of fields) {
    const earlier = first.get(f.key);
    if (!earlier) first.set(f.key, f);
    else if (f.key !== 'mx') {
      out.note(
        'sts-policy-duplicate',
        'low',
        `line ${f.line} repeats ${f.key} ("${f.value}"); the first, "${earlier.value}" on line ${earlier.line}, applies`,
      );
    }
  }
  const required = (key: string): PolicyField | undefined => {
    const f = first.get(key);
    if (!f)
      out.invalid(`sts-policy-${key.replace('_', '-')}`, `no ${key} line${caseHint(key, fields)}`);
    return f;
  };
  const version = required('version');
  if (version && version.value !== 'STSv1') {
    out.invalid('sts-policy-version', `version is "${version.value}", not "STSv1"`);
  } else if (version && version !== fields[0]) {
    out.note(
      'sts-policy-version-not-first',
      'info',
      `version is on line ${version.line}, not first`,
    );
  }
  const mode = checkMode(required('mode'), out);
  const maxAge = checkMaxAge(required('max_age'), out);
  const mx = checkMx(fields, mode, out);
  if (!out.valid() || !mode || maxAge === undefined) return { policy: null, findings: out.list };
  return { policy: { version: 'STSv1', mode, mx, maxAge }, findings: out.list };
}

/** policyFields: the body's `key: value` lines; any other non-blank line makes it invalid. */
function policyFields(body: string, out: Findings): PolicyField[] {
  const fields: PolicyField[] = [];
  body.split(/\r?\n/).forEach((text, i) => {
    if (text.trim() === '') return;
    const m = POLICY_LINE.exec(text);
    if (m) fields.push({ key: m[1]!, value: m[2]!, line: i + 1 });
    else
      out.invalid(
        'sts-policy-syntax',
        `line ${i + 1} is not "key: value": ${JSON.stringify(text)}`,
      );
  });
  return fields;
}

/** caseHint: when a required key is missing, name a line that has it in the wrong case. */
function caseHint(key: string, fields: PolicyField[]): string {
  const near = fields.find((f) => f.key.toLowerCase() === key);
  return near ? ` (keys are case-sensitive; line ${near.line} has "${near.key}")` : '';
}

function checkMode(f: PolicyField | undefined, out: Findings): StsPolicy['mode'] | undefined {
  if (!f) return undefined;
  if (f.value === 'enforce' || f.value === 'testing' || f.value === 'none') return f.value;
  out.invalid(
    'sts-policy-mode',
    `mode is "${f.value}", not enforce, testing or none (case-sensitive)`,
  );
  return undefined;
}

function checkMaxAge(f: PolicyField | undefined, out: Findings): number | undefined {
  if (!f) return undefined;
  if (!/^\d{1,10}$/.test(f.value)) {
    out.invalid('sts-policy-max-age', `max_age is "${f.value}", not a whole number of seconds`);
    return undefined;
  }
  const seconds = Number(f.value);
  if (seconds <= STS_MAX_AGE_S) return seconds;
  out.invalid('sts-policy-max-age', `max_age is ${seconds}, above ${STS_MAX_AGE_S} (one year)`);
  return undefined;
}

function checkMx(fields: PolicyField[], mode: string | undefined, out: Findings): string[] {
  const mx = fields.filter((f) => f.key === 'mx');
  for (const f of mx) {
    if (!MX_PATTERN.test(f.value)) {
      out.invalid(
        'sts-policy-mx',
        `mx "${f.value}" on line ${f.line} is not a host name, or "*." and one`,
      );
    }
  }
  if (mx.length === 0 && mode !== undefined && mode !== 'none') {
    out.invalid(
      'sts-policy-mx',
      `mode ${mode} needs at least one mx line${caseHint('mx', fields)}`,
    );
  }
  return mx.map((f) => f.value);
}

const canonical = (name: string): string => name.toLowerCase().replace(/\.+$/, '');

/**
 * mxMatches: whether an MX host name matches a policy's mx pattern (RFC 8461 §4.1). A pattern
 * "*.example.com" stands for exactly one label more on the left: it matches "mx.example.com",
 * not "example.com" nor "a.b.example.com". Case and trailing dots are ignored. Names are compared
 * as given: pass A-labels on both sides.
 */
export function mxMatches(pattern: string, host: string): boolean {
  const p = canonical(pattern);
  const h = canonical(host);
  if (!p.startsWith('*.')) return p === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

/** StsTls: what a probe learned of an MX's TLS; stsVerdict's input. */
export interface StsTls {
  offered: boolean;
  pkixValid: boolean;
  nameMatches: boolean;
}

/**
 * stsVerdict: would an MTA-STS-compliant sender deliver to `mxHost` under `policy`? With mode
 * enforce the MX must match a pattern (§4.1) and offer STARTTLS with a PKIX-valid certificate for
 * its name (§4.2), else the sender skips it (`skip`, RFC 8461 §5); with testing it delivers and
 * reports the failure (`report`); with none nothing is applied. `tls` null means TLS was not
 * probed: a covered MX is then `unknown`. The reason names the first rule the MX fails.
 */
export function stsVerdict(policy: StsPolicy, mxHost: string, tls: StsTls | null): StsVerdict {
  const pattern = policy.mx.find((p) => mxMatches(p, mxHost)) ?? null;
  const base = { mx: mxHost, mode: policy.mode, pattern };
  if (policy.mode === 'none') {
    const reason = `mode none: the MTA-STS policy is not applied to MX ${mxHost}`;
    return { ...base, outcome: 'not-applied', reason, ref: 'RFC 8461 §5' };
  }
  const failure = stsFailure(mxHost, pattern, tls);
  if (failure)
    return { ...base, outcome: policy.mode === 'enforce' ? 'skip' : 'report', ...failure };
  if (!tls) {
    const reason = `MX ${mxHost} is covered by "${pattern}", but its TLS was not probed`;
    return { ...base, outcome: 'unknown', reason, ref: 'RFC 8461 §4.2' };
  }
  const reason = `MX ${mxHost} is covered by "${pattern}" and offers STARTTLS with a PKIX-valid certificate for its name`;
  return { ...base, outcome: 'deliver', reason, ref: 'RFC 8461 §4' };
}

/** stsFailure: the first MTA-STS rule the MX fails, or null (also when TLS is unknown). */
function stsFailure(
  mx: string,
  pattern: string | null,
  tls: StsTls | null,
): { reason: string; ref: string } | null {
  if (pattern === null) {
    return { reason: `MX ${mx} not covered by the MTA-STS policy`, ref: 'RFC 8461 §4.1' };
  }
  if (!tls) return null;
  if (!tls.offered) return { reason: `MX ${mx} does not offer STARTTLS`, ref: 'RFC 8461 §5' };
  if (!tls.pkixValid) {
    return {
      reason: `MX ${mx} presents a certificate that is not PKIX-valid (expired, or not from a trusted root)`,
      ref: 'RFC 8461 §4.2',
    };
  }
  if (!tls.nameMatches) {
    return {
      reason: `MX ${mx} presents a certificate that does not name ${mx}`,
      ref: 'RFC 8461 §4.2',
    };
  }
  return null;
}
