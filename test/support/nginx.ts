/**
 * Where CI's real nginx serves MTA-STS policy files (.ci/nginx.sh writes
 * $SMTP_PROBE_NGINX_DIR/env). A missing file is a failure, never a skip.
 */
import { join } from 'node:path';
import { need, readEnvFile } from './env-file.js';

/** NginxEnv: its HTTPS listener, the CA that signed its certificate, and the policy hosts it serves. */
export interface NginxEnv {
  /** addr: IP:port of the HTTPS listener (what dnsmasq gives for every mta-sts.* name). */
  addr: string;
  port: number;
  caFile: string;
  /** hosts: the mta-sts.<domain> names its certificate and server blocks carry. */
  hosts: string[];
}

/** nginxEnv: reads the env file or throws with what to do. */
export function nginxEnv(): NginxEnv {
  const file = join(process.env.SMTP_PROBE_NGINX_DIR ?? '/tmp/smtp-probe-nginx', 'env');
  const kv = readEnvFile(file, 'sudo bash .ci/nginx.sh install && sudo bash .ci/nginx.sh start');
  return {
    addr: need(kv, 'NGINX_ADDR', file),
    port: Number(need(kv, 'NGINX_PORT', file)),
    caFile: need(kv, 'NGINX_CA', file),
    hosts: need(kv, 'NGINX_HOSTS', file).split(','),
  };
}
