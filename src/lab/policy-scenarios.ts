/**
 * POLICY_SCENARIOS: the transport-security scenarios (issue 10): one mail
 * domain per thing a sender can meet with MTA-STS (RFC 8461), TLS-RPT
 * (RFC 8460) and DANE (RFC 7672). Each has `_mta-sts` and `_smtp._tls` TXT
 * records, MX hosts on 127.0.0.50 and up, and a policy the lab's HTTPS server
 * (https-server.ts) serves as `mta-sts.<domain>`; two carry TLSA records,
 * made at start once the SMTP port and the certificates exist (tlsa.ts).
 */
import {
  good,
  mx,
  signed,
  txt,
  type LabScenario,
  type PolicyResponse,
  type ScenarioHost,
} from './scenario-parts.js';

/** LAB_STS_ID: the `id` of every scenario's `_mta-sts` record but sts-tworecords'. */
export const LAB_STS_ID = '20261201';
/** LAB_STS_MAX_AGE_S: the `max_age` of every policy the lab serves: one day. */
export const LAB_STS_MAX_AGE_S = 86_400;
/** STS_BIG_PADDING_OCTETS: sts-big.test's padding after a valid policy: its body passes 64 KiB, the bound senders put on a policy. */
export const STS_BIG_PADDING_OCTETS = 70_000;

// RFC 8461 §3.2: the policy is lines of "key: value"; the lab ends them with CRLF, as the RFC's examples do.
const lines = (...ls: string[]): string => ls.map((l) => `${l}\r\n`).join('');

const policy = (mode: string, ...mxs: string[]): string =>
  lines(
    'version: STSv1',
    `mode: ${mode}`,
    ...mxs.map((m) => `mx: ${m}`),
    `max_age: ${LAB_STS_MAX_AGE_S}`,
  );

const served = (body: string, more: Partial<PolicyResponse> = {}): PolicyResponse => ({
  status: 200,
  contentType: 'text/plain',
  body,
  ...more,
});

// Lines of "x-pad: aaa…" (79 octets with CRLF): an extension key a parser must skip, never a comment.
const PADDING = lines(
  ...Array.from(
    { length: Math.ceil(STS_BIG_PADDING_OCTETS / 79) },
    () => `x-pad: ${'a'.repeat(70)}`,
  ),
);

/**
 * stsDomain: `<name>.test` with the usual records: MX 10, 20, … for its hosts
 * in order (`more.mx`: [preference, host, signed] instead), one `_mta-sts`
 * TXT (`v=STSv1; id=…`) and one `_smtp._tls` TXT with a mailto: rua
 * (`more.txt`: other TXT records instead).
 */
function stsDomain(
  name: string,
  description: string,
  hosts: ScenarioHost[],
  response: PolicyResponse,
  more: { mx?: [number, string, boolean?][]; txt?: LabScenario['records'] } = {},
): LabScenario {
  const domain = `${name}.test`;
  const mxs = more.mx ?? hosts.map((h, i): [number, string] => [10 * (i + 1), h.name]);
  return {
    domain,
    description,
    hosts,
    records: [
      ...mxs.map(([pref, host, isSigned]) => {
        const r = mx(domain, pref, host);
        return isSigned ? signed(r) : r;
      }),
      ...(more.txt ?? [
        txt(`_mta-sts.${domain}`, `v=STSv1; id=${LAB_STS_ID}`),
        txt(`_smtp._tls.${domain}`, `v=TLSRPTv1; rua=mailto:tlsrpt@${domain}`),
      ]),
    ],
    policy: response,
  };
}

// The four fetch failures share a shape: one good MX 10, a policy URL that misbehaves.
const fetchFails = (name: string, address: string, description: string, r: PolicyResponse) =>
  stsDomain(name, description, [good(`mx.${name}.test`, address, 'MX 10, good')], r);

/** POLICY_SCENARIOS: see the module comment; LAB_SCENARIOS lists them last, in this order. */
export const POLICY_SCENARIOS: readonly LabScenario[] = Object.freeze([
  stsDomain(
    'sts-enforce',
    'MTA-STS: policy enforce covers the one MX, whose certificate is good; a signed TLSA 3 1 1 matches it (DANE)',
    [
      {
        ...good('mx.sts-enforce.test', '127.0.0.50', 'MX 10, good, in the policy, TLSA matches'),
        tlsa: 'leaf',
        signed: true,
      },
    ],
    served(policy('enforce', 'mx.sts-enforce.test')),
    { mx: [[10, 'mx.sts-enforce.test', true]] },
  ),
  stsDomain(
    'sts-missing',
    'MTA-STS: policy enforce lists mx1 only, so MX 20 mx2 is skipped; mx1 has a signed TLSA that does not match, mx2 an unsigned one that does',
    [
      {
        ...good('mx1.sts-missing.test', '127.0.0.51', 'MX 10, in the policy, signed TLSA mismatch'),
        tlsa: 'other',
        signed: true,
      },
      {
        ...good('mx2.sts-missing.test', '127.0.0.52', 'MX 20, not in the policy, unsigned TLSA'),
        tlsa: 'leaf',
      },
    ],
    served(policy('enforce', 'mx1.sts-missing.test')),
    {
      mx: [
        [10, 'mx1.sts-missing.test', true],
        [20, 'mx2.sts-missing.test', true],
      ],
    },
  ),
  stsDomain(
    'sts-badcert',
    'MTA-STS: policy enforce, mx *.sts-badcert.test; MX 10 presents a certificate for another name, so an enforcing sender delivers to MX 20',
    [
      {
        ...good(
          'mx1.sts-badcert.test',
          '127.0.0.53',
          'MX 10, certificate names other.sts-badcert.test',
        ),
        certificateName: 'other.sts-badcert.test',
      },
      good('mx2.sts-badcert.test', '127.0.0.54', 'MX 20, good'),
    ],
    served(policy('enforce', '*.sts-badcert.test')),
  ),
  stsDomain(
    'sts-notls',
    'MTA-STS: policy enforce covers the one MX, which offers no STARTTLS: an enforcing sender has nowhere to deliver and queues',
    [
      {
        name: 'mx.sts-notls.test',
        addresses: ['127.0.0.55'],
        personality: 'mx-no-tls',
        role: 'MX 10, in the policy, no STARTTLS',
      },
    ],
    served(policy('enforce', 'mx.sts-notls.test')),
  ),
  stsDomain(
    'sts-testing',
    'MTA-STS: policy testing lists mx1 only: a sender reports (TLS-RPT) what enforce would skip, and still delivers',
    [
      good('mx1.sts-testing.test', '127.0.0.56', 'MX 10, good, in the policy'),
      good('mx2.sts-testing.test', '127.0.0.57', 'MX 20, good, not in the policy'),
    ],
    served(policy('testing', 'mx1.sts-testing.test')),
  ),
  stsDomain(
    'sts-none',
    'MTA-STS: policy mode none: the domain withdraws its policy, senders behave as without one',
    [good('mx.sts-none.test', '127.0.0.58', 'MX 10, good')],
    served(policy('none')),
  ),
  stsDomain(
    'sts-syntax',
    'MTA-STS: the policy is malformed (mode strict, no max_age): senders treat the domain as having no policy',
    [good('mx.sts-syntax.test', '127.0.0.59', 'MX 10, good')],
    served(lines('version: STSv1', 'mode: strict', 'mx: mx.sts-syntax.test')),
  ),
  stsDomain(
    'sts-tworecords',
    'MTA-STS: two _mta-sts TXT records (RFC 8461 §3.1: no policy then, however good the file); the TLS-RPT rua is http:, which is not allowed',
    [good('mx.sts-tworecords.test', '127.0.0.60', 'MX 10, good')],
    served(policy('enforce', 'mx.sts-tworecords.test')),
    {
      txt: [
        txt('_mta-sts.sts-tworecords.test', 'v=STSv1; id=1'),
        txt('_mta-sts.sts-tworecords.test', 'v=STSv1; id=2'),
        txt('_smtp._tls.sts-tworecords.test', 'v=TLSRPTv1; rua=http://report.sts-tworecords.test/'),
      ],
    },
  ),
  fetchFails(
    'sts-redirect',
    '127.0.0.61',
    "MTA-STS: the policy URL answers 301 to sts-enforce.test's; RFC 8461 §3.3 says not to follow, so no policy",
    {
      status: 301,
      contentType: 'text/plain',
      body: 'moved\r\n',
      location: 'https://mta-sts.sts-enforce.test/.well-known/mta-sts.txt',
    },
  ),
  fetchFails(
    'sts-404',
    '127.0.0.62',
    'MTA-STS: the TXT record says there is a policy, its URL answers 404 Not Found',
    { status: 404, contentType: 'text/plain', body: 'not found\r\n' },
  ),
  fetchFails(
    'sts-big',
    '127.0.0.63',
    'MTA-STS: the policy body passes 64 KiB (sent chunked, no Content-Length): a sender must stop reading',
    served(policy('enforce', 'mx.sts-big.test') + PADDING, { chunked: true }),
  ),
  fetchFails(
    'sts-type',
    '127.0.0.64',
    'MTA-STS: a valid policy served as text/html, not text/plain (RFC 8461 §3.3): not a policy',
    served(policy('enforce', 'mx.sts-type.test'), { contentType: 'text/html' }),
  ),
]);
