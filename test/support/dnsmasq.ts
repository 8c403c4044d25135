/** Where CI's real dnsmasq runs (.ci/dnsmasq.sh writes $SMTP_PROBE_DNSMASQ_DIR/env). */
import { join } from 'node:path';
import { need, readEnvFile } from './env-file.js';

/** dnsmasqEnv: its address and zone, or a failure that says how to start it. */
export function dnsmasqEnv(): { addr: string; zone: string } {
  const file = join(process.env.SMTP_PROBE_DNSMASQ_DIR ?? '/tmp/smtp-probe-dnsmasq', 'env');
  const kv = readEnvFile(
    file,
    'sudo bash .ci/dnsmasq.sh install && sudo bash .ci/dnsmasq.sh start',
  );
  return { addr: need(kv, 'DNSMASQ_ADDR', file), zone: need(kv, 'DNSMASQ_ZONE', file) };
}
