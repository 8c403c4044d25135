/**
 * Where CI's real DNS-over-HTTPS server runs: dnsdist in front of dnsmasq
 * (.ci/dnsdist.sh writes $SMTP_PROBE_DNSDIST_DIR/env). A missing file is a
 * failure, never a skip.
 */
import { join } from 'node:path';
import { need, readEnvFile } from './env-file.js';

/** DnsdistEnv: the DoH URL, the CA that signed its certificate, and the dnsmasq behind it. */
export interface DnsdistEnv {
  /** dohUrl: https://127.0.0.1:port/dns-query; the certificate names 127.0.0.1 as an IP SAN. */
  dohUrl: string;
  caFile: string;
  /** backend: IP:port of the dnsmasq every query is forwarded to. */
  backend: string;
}

/** dnsdistEnv: reads the env file or throws with what to do. */
export function dnsdistEnv(): DnsdistEnv {
  const file = join(process.env.SMTP_PROBE_DNSDIST_DIR ?? '/tmp/smtp-probe-dnsdist', 'env');
  const kv = readEnvFile(
    file,
    'sudo bash .ci/dnsdist.sh install && sudo bash .ci/dnsdist.sh start (after dnsmasq)',
  );
  return {
    dohUrl: need(kv, 'DNSDIST_DOH_URL', file),
    caFile: need(kv, 'DNSDIST_CA', file),
    backend: need(kv, 'DNSDIST_BACKEND', file),
  };
}
