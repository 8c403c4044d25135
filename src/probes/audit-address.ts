/**
 * probeAuditAddress: every asked-for check at one address, in as few sessions as the server's
 * patience allows. The first session is set up as a sender would (greeting, EHLO, STARTTLS when
 * the tls check is on): that gives connect, caps and tls. The lookups, the made-up recipients
 * of mx-consistency and the relay trials then run over the same TLS session (a server's policy
 * may differ in clear, but a stranger can do STARTTLS too); a new session is opened only when
 * the error allowance is spent (AddressConversation). Recipients are asked before the relay
 * trials because a site that takes any local part makes some relay tricks prove nothing.
 * Never DATA; every session ends with RSET (each group's last line) and QUIT. Never throws for
 * what the server does: only Ctrl-C and bugs escape.
 */
import { ProbeError } from '../errors.js';
import { errorInfo } from '../error-info.js';
import type { Connector } from '../net/connector.js';
import type { TrustStore } from '../net/tls.js';
import type { AuditAddress, AuditCaps, AuditTls, RecipientProbe } from '../schema/audit.js';
import { dnsNames } from '../net/cert-names.js';
import {
  establish,
  type Established,
  type EstablishOptions,
  type SessionProgress,
  SessionSetupError,
} from '../session/establish.js';
import type { Timeouts } from '../session/timeouts.js';
import { Transcript, type TranscriptEntry } from '../session/transcript.js';
import { madeUpLocalPart } from '../smtp/address.js';
import { mailFrom, rcptTo } from '../smtp/command.js';
import type { Deadline } from '../time/deadline.js';
import { roundMs } from '../time/duration.js';
import type { AuditCheck } from '../vocabulary.js';
import { AddressConversation, ERROR_ALLOWANCE, type Live } from './audit-conversation.js';
import type { Exchanger } from './audit-exchange.js';
import { endsTheRun } from './audit-errors.js';
import { addressFindings } from './audit-findings.js';
import { runExpn, runVrfy } from './audit-lookups.js';
import { runRelay } from './audit-relay.js';

/** MAX_RECIPIENT_DOMAINS: domains whose made-up recipient one address is asked about (one transaction, under the error allowance). */
export const MAX_RECIPIENT_DOMAINS = ERROR_ALLOWANCE - 2;

/** AddressJob: one address to audit and what leads to it. */
export interface AddressJob {
  key: string;
  address: string;
  port: number;
  family: 4 | 6;
  /** MX or host names that resolve here, first seen first; the first is SNI and the certificate's expected name. */
  names: string[];
  /** Domains whose MX set includes this address (mx-consistency asks a made-up recipient at each). */
  domains: string[];
}

/** AuditProbeOptions: what every address probe of a run shares. */
export interface AuditProbeOptions {
  checks: ReadonlySet<AuditCheck>;
  expnLists: readonly string[];
  relayFrom: string;
  relayTo: string;
  helo?: string;
  trust: TrustStore;
  timeouts: Timeouts;
  /** The run's deadline; each address gets a child bounded by timeouts.targetMs. */
  deadline: Deadline;
  connector?: Connector;
  onTranscript?: (entry: TranscriptEntry, label: string) => void;
  /** The chain each TLS session presented (DER, leaf first), for DANE; never kept in the record. */
  onPeerChain?: (chainDer: Buffer[]) => void;
}

/** probeAuditAddress: see the module comment. */
export async function probeAuditAddress(
  job: AddressJob,
  o: AuditProbeOptions,
): Promise<AuditAddress> {
  const deadline = o.deadline.child(o.timeouts.targetMs);
  const clock = deadline.clock;
  const t0 = clock.now();
  const live = o.onTranscript;
  const transcript = new Transcript(live ? (e) => live(e, job.key) : undefined, clock);
  const out: AuditAddress = {
    key: job.key,
    address: job.address,
    port: job.port,
    names: job.names,
    status: 'ok',
    error: null,
    ms: 0,
    sessions: 0,
    caps: null,
    tls: null,
    vrfy: null,
    expn: null,
    relay: null,
    recipients: [],
    findings: [],
  };
  const tlsName = job.names[0] ?? job.address;
  // The sessions after the first resume its TLS session: same server, same run.
  let ticket: Buffer | undefined;
  const tlsResume = {
    get: () => ticket,
    set: (session: Buffer) => {
      ticket = session;
    },
  };
  // The chain is asked of the first TLS session only: the later ones resume it (same server).
  let chainWanted = o.onPeerChain !== undefined;
  const onPeerChain = (der: Buffer[]): void => {
    chainWanted = false;
    o.onPeerChain?.(der);
  };
  const setup = (starttls: boolean): EstablishOptions => ({
    tlsResume,
    connector: o.connector,
    timeouts: o.timeouts,
    deadline,
    transcript,
    ...(o.helo === undefined ? {} : { helo: o.helo }),
    starttls: starttls ? 'opportunistic' : 'off',
    tlsName,
    trust: o.trust,
    ...(chainWanted ? { onPeerChain } : {}),
  });
  const target = { input: job.key, host: job.address, port: job.port, family: job.family };
  const wantTls = o.checks.has('tls');
  let conversation: AddressConversation | undefined;
  try {
    let first: Established;
    try {
      first = await establish(target, setup(wantTls));
      out.sessions++;
      record(out, first, o.checks);
    } catch (err) {
      if (!(err instanceof SessionSetupError)) throw err;
      out.sessions++;
      record(out, err.progress, o.checks);
      // A broken STARTTLS leaves the rest of the checks to a session in clear.
      if (!wantTls || !['starttls', 'tls'].includes(err.stage)) throw err;
      if (out.tls) out.tls.error = err.message;
      first = await establish(target, setup(false));
      out.sessions++;
    }
    const open = async (s: Established): Promise<Live> => ({
      session: s.session,
      pipelining: (s.capabilitiesAfterTls ?? s.hello.capabilities)?.pipelining === true,
    });
    const startTls = out.tls?.outcome === 'ok';
    conversation = new AddressConversation(await open(first), async () =>
      open(await establish(target, setup(startTls))),
    );
    await runChecks(conversation, job, o, out);
  } catch (err) {
    if (!(err instanceof ProbeError) || err.code === 'ABORTED') {
      conversation?.dropQuietly();
      deadline.dispose();
      throw err;
    }
    out.status = err.status;
    out.error = errorInfo(err);
  }
  await conversation?.end().catch(() => undefined);
  out.sessions = Math.max(out.sessions, conversation?.sessions ?? 0);
  deadline.dispose();
  out.ms = roundMs(clock.now() - t0);
  out.findings = addressFindings(out);
  return out;
}

async function runChecks(
  x: Exchanger,
  job: AddressJob,
  o: AuditProbeOptions,
  out: AuditAddress,
): Promise<void> {
  if (o.checks.has('vrfy')) out.vrfy = await runVrfy(x, mailDomain(job, out));
  if (o.checks.has('expn')) out.expn = await runExpn(x, o.expnLists);
  if (o.checks.has('mx-consistency') && job.domains.length > 0) {
    out.recipients = await askRecipients(x, job.domains.slice(0, MAX_RECIPIENT_DOMAINS));
  }
  if (o.checks.has('relay')) {
    const site = job.domains[0] ?? job.names[0] ?? job.address;
    const atSite = out.recipients.find((r) => r.domain === site);
    out.relay = await runRelay(
      x,
      { site, ip: job.address, from: o.relayFrom, to: o.relayTo },
      { siteAcceptsAnyLocalPart: atSite ? atSite.accepts : null },
    );
  }
}

/** mailDomain: a domain this address takes mail for: a site's, else its banner's or host's name. */
function mailDomain(job: AddressJob, out: AuditAddress): string | undefined {
  const banner = out.caps?.banner?.split(/\s/)[0];
  return job.domains[0] ?? job.names.find((n) => !/^[\d.:[\]]+$/.test(n)) ?? banner;
}

/**
 * askRecipients: one transaction — MAIL FROM:<> (a bounce's sender, which every MX must take,
 * RFC 5321 §4.5.5), a made-up local part at each domain, RSET. A host that takes a mailbox that
 * cannot exist accepts what it cannot deliver: as a backup MX, that is backscatter.
 */
async function askRecipients(x: Exchanger, domains: readonly string[]): Promise<RecipientProbe[]> {
  const local = madeUpLocalPart();
  const paths = domains.map((d) => `${local}@${d}`);
  try {
    const replies = await x.exchange(
      [
        { line: mailFrom(''), stage: 'mail' },
        ...paths.map((p) => ({ line: rcptTo(p), stage: 'rcpt' as const })),
        { line: 'RSET', stage: 'rset' },
      ],
      paths.length + 1,
    );
    const mail = replies[0];
    if (!mail || mail.code >= 400) return [];
    return domains.flatMap((domain, i) => {
      const reply = replies[i + 1];
      return reply
        ? [
            {
              domain,
              rcptTo: paths[i] ?? '',
              reply,
              accepts: reply.code >= 200 && reply.code < 300,
            },
          ]
        : [];
    });
  } catch (err) {
    if (endsTheRun(err)) throw err;
    return [];
  }
}

/** record: what a session set-up learned, as the caps and tls checks report it. */
function record(out: AuditAddress, p: SessionProgress, checks: ReadonlySet<AuditCheck>): void {
  const caps = p.hello?.capabilities;
  if (checks.has('caps') && p.hello) {
    const after = p.capabilitiesAfterTls;
    const c: AuditCaps = {
      banner: p.banner?.lines[0] ?? null,
      verb: p.hello.verb,
      extensions: caps?.extensions.map((e) => e.keyword) ?? [],
      authBeforeTls: caps?.auth ?? [],
      authAfterTls: after ? (after.auth ?? []) : null,
      size: caps?.size ?? null,
      smtputf8: caps?.smtpUtf8 === true,
      pipelining: caps?.pipelining === true,
    };
    out.caps = c;
  }
  if (checks.has('tls') && p.hello) out.tls = tlsOf(p, caps?.starttls === true);
}

function tlsOf(p: SessionProgress, offered: boolean): AuditTls {
  const tls = p.tls;
  if (!tls || !offered) {
    return { outcome: 'not-offered', protocol: null, error: null, certificate: null };
  }
  const leaf = tls.info?.chain[0];
  return {
    outcome: tls.outcome === 'rejected' ? 'ok' : tls.outcome,
    protocol: tls.info?.protocol ?? null,
    error: tls.error ?? (tls.reply ? `${tls.reply.code} ${tls.reply.lines[0] ?? ''}` : null),
    certificate: leaf
      ? {
          subject: leaf.subject,
          names: dnsNames(leaf.subjectAltNames, leaf.subject),
          issuer: leaf.issuer,
          validTo: leaf.validTo,
          daysLeft: leaf.daysLeft,
          selfSigned: leaf.selfSigned,
          trusted: tls.info?.trusted.ok === true,
          trustError: tls.info?.trusted.error ?? null,
        }
      : null,
  };
}
