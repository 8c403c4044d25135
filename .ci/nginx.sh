#!/usr/bin/env bash
# Real HTTPS server (nginx) serving MTA-STS policy files for smtp-probe's policy interop tests.
#
#   bash .ci/nginx.sh install   # apt-get install nginx-light, no system instance started
#   bash .ci/nginx.sh start     # private CA + certificate + config, start, wait until it serves
#   bash .ci/nginx.sh stop      # stop that instance (idempotent)
#   bash .ci/nginx.sh status    # is it running, does it serve both policies
#
# The instance is self-contained under $SMTP_PROBE_NGINX_DIR (default /tmp/smtp-probe-nginx):
# nginx.conf (run with -p/-c/-e, so /etc/nginx is never read), nginx.pid, error.log,
# access.log, tls/ (ca.pem, cert.pem, key.pem), www/, tmp/, env. It listens on
# 127.0.0.8:8443 (HTTPS only) and nowhere else; 127.0.0.8 is what .ci/dnsmasq.sh's zone gives
# for mta-sts.sts.dnsmasq.test and mta-sts.sts-bad.dnsmasq.test.
#
#   Host mta-sts.sts.dnsmasq.test      /.well-known/mta-sts.txt: mode enforce, mx mx.dnsmasq.test
#   Host mta-sts.sts-bad.dnsmasq.test  /.well-known/mta-sts.txt: mode enforce, mx other.dnsmasq.test
#                                      (the domain's real MX, mx.dnsmasq.test, is not covered)
#   any other path (or Host)           404
# Every file is served as text/plain (RFC 8461 §3.3 requires that media type). The certificate
# names both mta-sts hosts and is signed by a CA made at start (tls/ca.pem, NGINX_CA in env):
# clients trust that CA explicitly, as with a private PKI.
# $SMTP_PROBE_NGINX_DIR/env holds KEY=VALUE lines describing all of this.
set -euo pipefail

# nginx lives in /usr/sbin, which a non-login shell may not have.
export PATH="/usr/sbin:/sbin:$PATH"

STATE="${SMTP_PROBE_NGINX_DIR:-/tmp/smtp-probe-nginx}"
CONF="$STATE/nginx.conf"
PIDFILE="$STATE/nginx.pid"
LOG="$STATE/error.log"
TLS="$STATE/tls"
WWW="$STATE/www"
ADDR=127.0.0.8
PORT=8443
# The MTA-STS domains of .ci/dnsmasq.sh's zone: policy host = "mta-sts." + domain (RFC 8461 §3.3).
GOOD=sts.dnsmasq.test
BAD=sts-bad.dnsmasq.test

SCRIPT_NAME=nginx.sh
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_state_dir SMTP_PROBE_NGINX_DIR "$STATE"

# ---------------------------------------------------------------- install
cmd_install() {
  # nginx's postinst would start a system nginx on 0.0.0.0:80: apt_install_no_start refuses it.
  apt_install_no_start nginx-light openssl
  command -v nginx >/dev/null || die "nginx not found after install"
  no_wide_listener nginx
  log "$(nginx -v 2>&1)"
}

# ----------------------------------------------------------------- helpers

# policy_body MX: a policy file in enforce mode naming one MX pattern (CRLF lines, RFC 8461 §3.2).
policy_body() { printf 'version: STSv1\r\nmode: enforce\r\nmx: %s\r\nmax_age: 86400\r\n' "$1"; }

# http_check SPEC...: each SPEC is "host path status" (one string). GETs https://host/path
# from $ADDR:$PORT trusting only our CA; for a 200, the Content-Type must be text/plain and
# the body must equal $WWW/<host><path>. Node built-ins only; exits 0 only if all matched.
http_check() {
  node -e '
const https = require("node:https"), fs = require("node:fs");
const [addr, port, ca, www, ...specs] = process.argv.slice(1);
const get = (host, path) => new Promise((res, rej) => {
  const req = https.request({ host: addr, port: +port, path, servername: host, headers: { host },
    ca: fs.readFileSync(ca), timeout: 2000, agent: false }, (r) => {
    let body = ""; r.setEncoding("utf8");
    r.on("data", (d) => (body += d));
    r.on("end", () => res({ status: r.statusCode, type: r.headers["content-type"], body }));
  });
  req.on("timeout", () => req.destroy(new Error("no answer in 2 s")));
  req.on("error", rej);
  req.end();
});
(async () => {
  let ok = true;
  for (const spec of specs) {
    const [host, path, want] = spec.split(" ");
    let line;
    try {
      const r = await get(host, path);
      let good = r.status === +want;
      if (good && r.status === 200)
        good = r.type === "text/plain" && r.body === fs.readFileSync(www + "/" + host + path, "utf8");
      ok &&= good;
      line = `${good ? "ok  " : "BAD "} https://${host}${path}: ${r.status} ${r.type ?? "-"} ${JSON.stringify(r.body.slice(0, 60))} (want ${want})`;
    } catch (e) {
      ok = false;
      line = `BAD  https://${host}${path}: ${e.message} (want ${want})`;
    }
    console.log(line);
  }
  process.exit(ok ? 0 : 1);
})();
' "$ADDR" "$PORT" "$TLS/ca.pem" "$WWW" "$@"
}

# The checks start and status run: both policies, and a 404 for another path.
ALL_CHECKS=(
  "mta-sts.$GOOD /.well-known/mta-sts.txt 200"
  "mta-sts.$BAD /.well-known/mta-sts.txt 200"
  "mta-sts.$GOOD /other 404"
)

# The master's pid, if the pid file names a live nginx started with our config.
our_pid() { pid_from_file "$PIDFILE" is_ours; }

# is_ours PID: a live nginx master whose command line names our config (nginx keeps its
# arguments in the process title: "nginx: master process nginx -p … -c …"). Not a zombie.
is_ours() { cmdline_has "$1" "-c $CONF"; }

is_running() { our_pid >/dev/null; }

# ------------------------------------------------------------------- start
write_config() {
  mkdir -p "$STATE" "$TLS" "$STATE/tmp" "$WWW/mta-sts.$GOOD/.well-known" "$WWW/mta-sts.$BAD/.well-known"
  chmod 755 "$STATE" "$TLS"
  make_ca "$TLS" "smtp-probe CI nginx CA"
  make_leaf "$TLS" "mta-sts.$GOOD" "DNS:mta-sts.$GOOD,DNS:mta-sts.$BAD"
  policy_body "mx.dnsmasq.test" >"$WWW/mta-sts.$GOOD/.well-known/mta-sts.txt"
  policy_body "other.dnsmasq.test" >"$WWW/mta-sts.$BAD/.well-known/mta-sts.txt"
  # Workers run as nobody and read the files.
  chmod -R a+rX "$WWW"

  cat >"$CONF" <<CF
# Generated by .ci/nginx.sh — smtp-probe interop-test MTA-STS server. Do not edit.
# Loopback only, HTTPS only, every path under $STATE.
daemon on;
worker_processes 1;
pid $PIDFILE;
error_log $LOG info;
events { worker_connections 64; }

http {
  access_log $STATE/access.log;
  # The compiled-in temp paths are under /var/lib/nginx; keep ours here.
  client_body_temp_path $STATE/tmp/body;
  proxy_temp_path $STATE/tmp/proxy;
  fastcgi_temp_path $STATE/tmp/fastcgi;
  uwsgi_temp_path $STATE/tmp/uwsgi;
  scgi_temp_path $STATE/tmp/scgi;
  # No mime.types: every file is text/plain, the type RFC 8461 §3.3 requires of a policy.
  types { }
  default_type text/plain;
  server_tokens off;
  ssl_certificate $TLS/cert.pem;
  ssl_certificate_key $TLS/key.pem;
  ssl_protocols TLSv1.2 TLSv1.3;

  # A Host we do not serve: 404, as for a domain without a policy host.
  server {
    listen $ADDR:$PORT ssl default_server;
    server_name _;
    return 404;
  }
  server {
    listen $ADDR:$PORT ssl;
    server_name mta-sts.$GOOD;
    root $WWW/mta-sts.$GOOD;
    location = /.well-known/mta-sts.txt { }
    location / { return 404; }
  }
  server {
    listen $ADDR:$PORT ssl;
    server_name mta-sts.$BAD;
    root $WWW/mta-sts.$BAD;
    location = /.well-known/mta-sts.txt { }
    location / { return 404; }
  }
}
CF

  cat >"$STATE/env" <<ENV
NGINX_ADDR=$ADDR:$PORT
NGINX_PORT=$PORT
NGINX_CA=$TLS/ca.pem
NGINX_HOSTS=mta-sts.$GOOD,mta-sts.$BAD
NGINX_LOG=$LOG
ENV
}

cmd_start() {
  command -v nginx >/dev/null || die "nginx is not installed (run: $0 install)"
  command -v node >/dev/null || die "node is needed to check the server"

  # Re-runnable: a previous instance is stopped and its state cleared.
  if is_running; then
    log "an instance is already running from $STATE; stopping it first"
    cmd_stop
  fi
  if (exec 3<>"/dev/tcp/$ADDR/$PORT") 2>/dev/null; then
    ss -ltnp "sport = :$PORT" >&2 2>/dev/null || true
    die "$ADDR:$PORT is already in use by another process"
  fi
  rm -rf "$CONF" "$PIDFILE" "$LOG" "$STATE/access.log" "$TLS" "$WWW" "$STATE/tmp" "$STATE/env"

  log "writing CA, certificate, policies and config into $STATE"
  write_config
  # -e: the error log to use before the config is read (the compiled-in one is stderr).
  local nx=(nginx -p "$STATE" -e "$LOG" -c "$CONF")
  if ! "${nx[@]}" -t -q; then
    die "nginx rejects $CONF"
  fi
  # nginx binds, forks into the background (daemon on) and writes the pid file before the
  # foreground process exits; bind and config errors make it exit non-zero. No fd of ours
  # stays open in the daemon.
  log "${nx[*]}"
  if ! "${nx[@]}" </dev/null >/dev/null 2>>"$LOG"; then
    log_tail "$LOG"
    die "nginx did not start"
  fi

  local deadline=$((SECONDS + 10)) out=""
  until out=$(http_check "${ALL_CHECKS[@]}" 2>&1); do
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf '%s\n' "$out" >&2
      log_tail "$LOG"
      cmd_stop >/dev/null 2>&1 || true   # do not leave a half-working instance behind
      die "nginx does not serve the policies from $ADDR:$PORT within 10 s"
    fi
    sleep 0.2
  done
  no_wide_listener nginx

  cat <<SUM
$(nginx -v 2>&1 | sed 's/^nginx version: //') running (pid $(our_pid), config $CONF)
  https://$ADDR:$PORT  mta-sts.$GOOD (mx: mx.dnsmasq.test), mta-sts.$BAD (mx: other.dnsmasq.test), enforce
  CA: $TLS/ca.pem   log: $LOG   env file: $STATE/env
SUM
}

# -------------------------------------------------------------------- stop
cmd_stop() { stop_daemon nginx "$PIDFILE" is_ours "$ADDR:$PORT"; }

# ------------------------------------------------------------------ status
cmd_status() {
  local rc=0 pid
  if pid=$(our_pid); then
    echo "nginx: running (pid $pid, state dir $STATE)"
  else
    echo "nginx: not running (state dir $STATE)"
    rc=1
  fi
  if [ -f "$TLS/ca.pem" ]; then
    http_check "${ALL_CHECKS[@]}" || rc=1
  else
    rc=1
  fi
  return "$rc"
}

case "${1:-}" in
  install) cmd_install ;;
  start)   cmd_start ;;
  stop)    cmd_stop ;;
  status)  cmd_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
