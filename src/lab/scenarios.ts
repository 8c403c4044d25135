/**
 * LAB_SCENARIOS: the mail domains the lab's DNS serves for MX walks, each a
 * case seen in the wild (several from the seed's transcripts: mlfarm.com,
 * sun.noao.edu, mailhost.tuc) or a lint a walker must raise. All under .test
 * (RFC 6761 §6.2: no real domain can be meant) and every address loopback.
 * Hosts bring their addresses here once; zone.ts turns them into A/AAAA
 * records, so DNS and the listening sockets cannot disagree. Addresses are
 * 127.0.0.20 and up (the personality hosts have 127.0.0.10-17); the hosts
 * for `verify` (catchall.test … nopipe.test) have 127.0.0.40-45, the
 * transport-security ones (sts-*.test, policy-scenarios.ts) 127.0.0.50 and up.
 */
import { DROP_AFTER_RCPTS, POSTFIX_ERROR_LIMITS, RCPT_CAP } from './personalities.js';
import { POLICY_SCENARIOS } from './policy-scenarios.js';
import { cname, good, mx, txt, type LabScenario } from './scenario-parts.js';

export { RECORD_TTL_S } from './scenario-parts.js';
export type { LabScenario, PolicyResponse, ScenarioHost } from './scenario-parts.js';

const { soft: SOFT, hard: HARD, sleepMs: SLEEP_MS } = POSTFIX_ERROR_LIMITS;

/**
 * verifyDomain: a scenario for `verify`: `<kind>.test` with MX 10
 * `mx.<kind>.test`, which plays the personality `<kind>` and takes mail for
 * the domain (users alice, bob, postmaster).
 */
function verifyDomain(kind: string, address: string, description: string): LabScenario {
  const domain = `${kind}.test`;
  return {
    domain,
    description,
    hosts: [
      {
        name: `mx.${domain}`,
        addresses: [address],
        personality: kind,
        role: `MX 10: ${description}`,
      },
    ],
    records: [mx(domain, 10, `mx.${domain}`)],
  };
}

// big.test: eight 250-octet strings, ~2.2 kB encoded: over 1232 (the lab's UDP limit, DNS Flag Day 2020), so UDP must truncate.
const BIG_TXT = Array.from({ length: 8 }, (_, i) =>
  txt('big.test', `part ${i + 1} of 8: ${'lorem ipsum '.repeat(20)}`.slice(0, 250)),
);

/** LAB_SCENARIOS: see the module comment. The order is the order `lab` prints them. */
export const LAB_SCENARIOS: readonly LabScenario[] = Object.freeze([
  {
    domain: 'mlfarm.test',
    description:
      "two good MX hosts of different preference (the seed's mlfarm.com); MX 20 is listed first, so a walker must sort",
    hosts: [
      good('mx1.mlfarm.test', '127.0.0.20', 'MX 10, good'),
      good('mx2.mlfarm.test', '127.0.0.21', 'MX 20, good'),
    ],
    records: [mx('mlfarm.test', 20, 'mx2.mlfarm.test'), mx('mlfarm.test', 10, 'mx1.mlfarm.test')],
  },
  {
    domain: 'noao.test',
    description:
      "MX 10 sun.noao.test has two addresses and both refuse (its SMTP server is down); MX 20 answers (the seed's sun.noao.edu)",
    hosts: [
      {
        name: 'sun.noao.test',
        addresses: ['127.0.0.22', '127.0.0.23'],
        personality: 'closed',
        role: 'MX 10, two A records, nothing listens on either',
      },
      good('mx.noao.test', '127.0.0.24', 'MX 20, good'),
    ],
    records: [mx('noao.test', 10, 'sun.noao.test'), mx('noao.test', 20, 'mx.noao.test')],
  },
  {
    domain: 'mailhost.tuc.test',
    description:
      "a CNAME'd mail domain: mailhost.tuc.test is a CNAME for tuc.test, whose MX 10 is mx.tuc.test (the seed's mailhost.tuc)",
    hosts: [good('mx.tuc.test', '127.0.0.25', 'MX 10 of tuc.test, good')],
    records: [cname('mailhost.tuc.test', 'tuc.test'), mx('tuc.test', 10, 'mx.tuc.test')],
    mailDomains: ['tuc.test', 'mailhost.tuc.test'],
  },
  {
    domain: 'mx-cname.test',
    description:
      'the MX target alias.mx-cname.test is a CNAME (to real.mx-cname.test): RFC 2181 §10.3 says it must not be',
    hosts: [good('real.mx-cname.test', '127.0.0.26', "the CNAME's target, good")],
    records: [
      mx('mx-cname.test', 10, 'alias.mx-cname.test'),
      cname('alias.mx-cname.test', 'real.mx-cname.test'),
    ],
  },
  {
    domain: 'nullmx.test',
    description:
      'null MX (MX 0 ".", RFC 7505): the domain accepts no mail, so there is nothing to connect to',
    hosts: [],
    records: [mx('nullmx.test', 0, '.')],
  },
  {
    domain: 'mixed-null.test',
    description:
      'a null MX beside a real one (MX 0 "." and MX 10 mx.mixed-null.test): RFC 7505 §3 says a null MX must be alone',
    hosts: [good('mx.mixed-null.test', '127.0.0.27', 'MX 10, good')],
    records: [mx('mixed-null.test', 0, '.'), mx('mixed-null.test', 10, 'mx.mixed-null.test')],
  },
  {
    domain: 'implicit.test',
    description:
      'no MX, only an A record: the domain itself is the mail host (implicit MX, RFC 5321 §5.1)',
    hosts: [good('implicit.test', '127.0.0.28', 'the implicit MX, good')],
    records: [],
  },
  {
    domain: 'dangling.test',
    description:
      'MX 10 names a host that does not exist (NXDOMAIN), MX 20 one with no address (NODATA), MX 30 is good',
    hosts: [good('mx.dangling.test', '127.0.0.29', 'MX 30, good')],
    records: [
      mx('dangling.test', 10, 'gone.dangling.test'),
      mx('dangling.test', 20, 'nodata.dangling.test'),
      mx('dangling.test', 30, 'mx.dangling.test'),
      txt('nodata.dangling.test', 'this name exists but has no address'),
    ],
  },
  {
    domain: 'equal.test',
    description:
      'two MX hosts of equal preference (MX 10 each): a sender picks either (RFC 5321 §5.1 says randomize)',
    hosts: [
      good('a.equal.test', '127.0.0.30', 'MX 10, good'),
      good('b.equal.test', '127.0.0.31', 'MX 10, good'),
    ],
    records: [mx('equal.test', 10, 'a.equal.test'), mx('equal.test', 10, 'b.equal.test')],
  },
  {
    domain: 'v6.test',
    description: 'the MX host has an AAAA (::1) and an A record; both addresses answer',
    hosts: [
      {
        name: 'mx.v6.test',
        addresses: ['127.0.0.32', '::1'],
        personality: 'mx',
        role: 'MX 10, good on IPv4 and IPv6',
      },
    ],
    records: [mx('v6.test', 10, 'mx.v6.test')],
  },
  {
    domain: 'blackhole.test',
    description:
      'MX 10 refuses (RST), MX 20 drops connects (they time out), MX 30 is good: the walk must get past both failures',
    hosts: [
      {
        name: 'refused.blackhole.test',
        addresses: ['127.0.0.33'],
        personality: 'closed',
        role: 'MX 10, nothing listens (RST)',
      },
      {
        name: 'bh.blackhole.test',
        addresses: ['127.0.0.34'],
        personality: 'blackhole',
        role: 'MX 20, connects time out (no SYN-ACK)',
      },
      good('mx.blackhole.test', '127.0.0.35', 'MX 30, good'),
    ],
    records: [
      mx('blackhole.test', 10, 'refused.blackhole.test'),
      mx('blackhole.test', 20, 'bh.blackhole.test'),
      mx('blackhole.test', 30, 'mx.blackhole.test'),
    ],
  },
  {
    domain: 'samehost.test',
    description:
      'MX 10 a.samehost.test and MX 20 b.samehost.test are one host (one address): the backup MX is no backup',
    hosts: [
      good('mx.samehost.test', '127.0.0.36', 'behind both MX names', [
        'a.samehost.test',
        'b.samehost.test',
      ]),
    ],
    records: [
      mx('samehost.test', 10, 'a.samehost.test'),
      mx('samehost.test', 20, 'b.samehost.test'),
    ],
  },
  {
    domain: 'literal.test',
    description:
      'the MX target is an IP address written as a name (MX 10 127.0.0.10): it does not resolve (NXDOMAIN)',
    hosts: [],
    records: [mx('literal.test', 10, '127.0.0.10')],
  },
  {
    domain: 'big.test',
    description:
      'a TXT RRset of ~2.2 kB: over UDP the answer is truncated (TC=1), over TCP it comes whole',
    hosts: [],
    records: BIG_TXT,
  },
  verifyDomain(
    'catchall',
    '127.0.0.40',
    'verify: a catch-all, every local part is accepted (250 2.1.5)',
  ),
  verifyDomain(
    'greylist',
    '127.0.0.41',
    'verify: greylisting, a new (client, sender, recipient) gets 450 4.7.1, the same after the delay the real answer',
  ),
  verifyDomain(
    'throttle',
    '127.0.0.42',
    `verify: Postfix error limits, ${SLEEP_MS / 1000} s per reply after ${SOFT} rejected RCPTs, 421 4.7.0 at ${HARD}`,
  ),
  verifyDomain(
    'rcptcap',
    '127.0.0.43',
    `verify: ${RCPT_CAP} RCPTs per transaction, then 452 4.5.3 until RSET`,
  ),
  verifyDomain(
    'drop421',
    '127.0.0.44',
    `verify: hangs up with 421 4.3.2 on RCPT number ${DROP_AFTER_RCPTS + 1} of a session`,
  ),
  verifyDomain(
    'nopipe',
    '127.0.0.45',
    'verify: advertises PIPELINING but answers one line at a time',
  ),
  ...POLICY_SCENARIOS,
]);
