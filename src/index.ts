/**
 * smtp-probe as a library: the probes (and send), their options and result schemas, the
 * error catalogue, the session entry with its plug points (connector, address
 * resolver, clock), and the simulated mail network for your own tests.
 */
export { probeCaps, type CapsOptions } from './probes/caps.js';
export { probeMx, type MxOptions } from './probes/mx.js';
export { probeFailover, type FailoverOptions } from './probes/failover.js';
export { probeVerify, type VerifyOptions } from './probes/verify.js';
export { probeVrfy, probeExpn, type LookupOptions } from './probes/lookup.js';
export { probeSend, type MessageSource, type SendOptions } from './probes/send.js';
export {
  SendOutputSchema,
  SendResultSchema,
  type SendOutput,
  type SendResult,
} from './schema/send.js';
export {
  runAudit,
  type AuditOptions,
  type AuditProgress,
  type AuditTarget,
} from './probes/audit.js';
export {
  AuditOutputSchema,
  AuditAddressSchema,
  AuditSiteSchema,
  AuditSummarySchema,
  type AuditAddress,
  type AuditSite,
  type AuditSummary,
  type AuditFinding,
} from './schema/audit.js';
export type { ProbeOutcome, RunOptions, Wiring } from './probes/outcome.js';
export {
  ProbeError,
  ERROR_CODES,
  STATUSES,
  STAGES,
  type ErrorCode,
  type Stage,
  type Status,
} from './errors.js';
export {
  CapsOutputSchema,
  CapsResultSchema,
  type CapsResult,
  type CapsOutput,
} from './schema/caps.js';
export { OUTPUT_SCHEMAS } from './schema/index.js';
export type { DaneHost, MtaStsReport, PolicyReport, StsFetch } from './schema/policy.js';
export { DEFAULT_TIMEOUTS, type Timeouts } from './session/timeouts.js';
export { parseDuration } from './time/duration.js';
export { parseTarget, type Target } from './net/target.js';
export { SmtpSession } from './session/session.js';
export {
  establish,
  SessionSetupError,
  type Established,
  type EstablishOptions,
  type StartTlsPolicy,
} from './session/establish.js';
export { tcpConnector, type Connector, type Endpoint } from './net/connector.js';
export { systemAddressResolver, type AddressResolver } from './net/address-resolver.js';
export { loadTrustStore, type TrustStore } from './net/tls.js';
export { Transcript } from './session/transcript.js';
export { systemClock, type Clock } from './time/clock.js';
export { Deadline, withDeadline } from './time/deadline.js';
export { toEnvelope, type Envelope } from './output/envelope.js';
export { EXIT, exitCodeFor } from './output/exit-codes.js';
export { startLab, type Lab, type LabHost } from './lab/index.js';
