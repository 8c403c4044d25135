/**
 * The transport-security part of CI's dnsmasq zone (.ci/dnsmasq.sh): the MTA-STS domains and
 * the TLSA record pinning Postfix's key. The record is made from the certificate Postfix had
 * when dnsmasq started, and Postfix makes a new key on every start, so a stale pin is caught
 * here with what to do, instead of surfacing as a puzzling DANE mismatch.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { need, readEnvFile } from './env-file.js';

/** DnsmasqPolicyEnv: the names the policy tests walk, and the one TLSA record. */
export interface DnsmasqPolicyEnv {
  /** stsDomain: MTA-STS enforce whose policy covers its MX; TLS-RPT published. */
  stsDomain: string;
  /** stsBadDomain: MTA-STS enforce whose policy names another host, so its MX is not covered. */
  stsBadDomain: string;
  /** mtaStsAddr: the address every mta-sts.<domain> name has (nginx's). */
  mtaStsAddr: string;
  /** tlsaOwner: _2525._tcp.mx.dnsmasq.test. */
  tlsaOwner: string;
  /** tlsa: "3 1 1 <hex>", as served (without AD: dnsmasq does not validate its own data). */
  tlsa: string;
}

/** dnsmasqPolicyEnv: reads dnsmasq's env file; throws if its TLSA no longer pins Postfix's key. */
export function dnsmasqPolicyEnv(): DnsmasqPolicyEnv {
  const file = join(process.env.SMTP_PROBE_DNSMASQ_DIR ?? '/tmp/smtp-probe-dnsmasq', 'env');
  const kv = readEnvFile(file, 'sudo bash .ci/dnsmasq.sh start (after .ci/postfix.sh start)');
  const env = {
    stsDomain: need(kv, 'DNSMASQ_STS_DOMAIN', file),
    stsBadDomain: need(kv, 'DNSMASQ_STS_BAD_DOMAIN', file),
    mtaStsAddr: need(kv, 'DNSMASQ_MTA_STS_ADDR', file),
    tlsaOwner: need(kv, 'DNSMASQ_TLSA_OWNER', file),
    tlsa: need(kv, 'DNSMASQ_TLSA', file),
  };
  const cert = need(kv, 'DNSMASQ_TLSA_CERT', file);
  const now = spkiSha256(cert);
  if (!env.tlsa.endsWith(` ${now}`))
    throw new Error(
      `dnsmasq's TLSA (${env.tlsa}) pins an older key than ${cert} has (${now}): Postfix restarted after dnsmasq; run \`sudo bash .ci/dnsmasq.sh start\``,
    );
  return env;
}

/** spkiSha256: hex SHA-256 of a PEM certificate's SubjectPublicKeyInfo (TLSA selector 1, matching type 1). */
export function spkiSha256(certFile: string): string {
  const spki = new X509Certificate(readFileSync(certFile)).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return createHash('sha256').update(spki).digest('hex');
}
