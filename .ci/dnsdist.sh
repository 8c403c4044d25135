#!/usr/bin/env bash
# Real DNS-over-HTTPS server (dnsdist) in front of .ci/dnsmasq.sh, for smtp-probe's DoH tests.
#
#   bash .ci/dnsdist.sh install   # apt-get install dnsdist, no system instance started
#   bash .ci/dnsdist.sh start     # private CA + certificate + config, start, wait until DoH answers
#   bash .ci/dnsdist.sh stop      # stop that instance (idempotent)
#   bash .ci/dnsdist.sh status    # is it running, does it answer over DoH
#
# The instance is self-contained under $SMTP_PROBE_DNSDIST_DIR (default /tmp/smtp-probe-dnsdist):
# dnsdist.conf (run with -C, so /etc/dnsdist is never read), dnsdist.pid, dnsdist.log, tls/
# (ca.pem, cert.pem, key.pem), env. dnsdist runs in the foreground (--supervised: no console)
# detached with setsid; it has no console socket, web server, cache or security poll (nothing
# leaves the box), and forwards every query to one backend, dnsmasq on 127.0.0.1:5354 (start
# that first).
#
#   https://127.0.0.1:8053/dns-query   DoH (RFC 8484), GET and POST, HTTP/1.1 and HTTP/2
#   127.0.0.1:5356                      plain DNS, UDP and TCP (for diagnosis; tests use DoH)
#   ACL 127.0.0.0/8 only
# The certificate names 127.0.0.1 (IP SAN) and localhost, and is signed by a CA made at start
# (tls/ca.pem, DNSDIST_CA in env). Answers are dnsmasq's, AD bit included (never set: dnsmasq
# does not validate and the zone is unsigned).
# $SMTP_PROBE_DNSDIST_DIR/env holds KEY=VALUE lines describing all of this.
set -euo pipefail

# dnsdist lives in /usr/bin, ss in /usr/sbin on some images.
export PATH="/usr/sbin:/sbin:$PATH"

STATE="${SMTP_PROBE_DNSDIST_DIR:-/tmp/smtp-probe-dnsdist}"
CONF="$STATE/dnsdist.conf"
PIDFILE="$STATE/dnsdist.pid"
LOG="$STATE/dnsdist.log"
TLS="$STATE/tls"
ADDR=127.0.0.1
DOH_PORT=8053
DOH_PATH=/dns-query
PLAIN_PORT=5356
# .ci/dnsmasq.sh's server and a name it always has (the health check asks it).
BACKEND=127.0.0.1:5354
CHECK_NAME=mx.dnsmasq.test

SCRIPT_NAME=dnsdist.sh
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_state_dir SMTP_PROBE_DNSDIST_DIR "$STATE"

DOH_URL="https://$ADDR:$DOH_PORT$DOH_PATH"

# ---------------------------------------------------------------- install
cmd_install() {
  # The package enables a system service; apt_install_no_start keeps it from starting.
  apt_install_no_start dnsdist openssl
  command -v dnsdist >/dev/null || die "dnsdist not found after install"
  dnsdist --version | grep -q 'dns-over-https' || die "this dnsdist is built without DoH"
  no_wide_listener dnsdist
  log "$(dnsdist --version | head -n 1)"
}

# ----------------------------------------------------------------- helpers

# doh_check SPEC...: each SPEC is "name type expect" (one string), expect an rcode name,
# optionally ":N" for the answer count. POSTs each query to $DOH_URL (RFC 8484 §4.1) trusting
# only our CA; the answer must be 200 application/dns-message with our ID. Node built-ins only.
doh_check() {
  node -e '
const https = require("node:https"), fs = require("node:fs");
const [url, ca, ...specs] = process.argv.slice(1);
const TYPES = { A: 1, MX: 15, TXT: 16, AAAA: 28, TLSA: 52 };
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
function query(name, type) {
  const id = Math.floor(Math.random() * 65536);
  const head = Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // RD, 1 question
  const labels = name.split(".").filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return { id, buf: Buffer.concat([head, ...labels, Buffer.from([0, 0, TYPES[type], 0, 1])]) };
}
const post = (body) => new Promise((res, rej) => {
  const req = https.request(url, { method: "POST", ca: fs.readFileSync(ca), timeout: 2000, agent: false,
    headers: { "content-type": "application/dns-message", accept: "application/dns-message" } }, (r) => {
    const chunks = [];
    r.on("data", (d) => chunks.push(d));
    r.on("end", () => res({ status: r.statusCode, type: r.headers["content-type"], body: Buffer.concat(chunks) }));
  });
  req.on("timeout", () => req.destroy(new Error("no answer in 2 s")));
  req.on("error", rej);
  req.end(body);
});
(async () => {
  let ok = true;
  for (const spec of specs) {
    const [name, type, expect] = spec.split(" ");
    const [wantRcode, wantAn] = expect.split(":");
    const q = query(name, type);
    let line;
    try {
      const r = await post(q.buf);
      if (r.status !== 200 || r.type !== "application/dns-message" || r.body.length < 12)
        throw new Error(`HTTP ${r.status} ${r.type}, ${r.body.length} bytes`);
      const rcode = RCODES[r.body[3] & 15] ?? String(r.body[3] & 15), an = r.body.readUInt16BE(6);
      const good = r.body.readUInt16BE(0) === q.id && rcode === wantRcode && (wantAn === undefined || an === +wantAn);
      ok &&= good;
      line = `${good ? "ok  " : "BAD "} doh ${name} ${type}: ${rcode} answers=${an} (want ${expect})`;
    } catch (e) {
      ok = false;
      line = `BAD  doh ${name} ${type}: ${e.message} (want ${expect})`;
    }
    console.log(line);
  }
  process.exit(ok ? 0 : 1);
})();
' "$DOH_URL" "$TLS/ca.pem" "$@"
}

# The pid in the pid file, if that process is alive and is our dnsdist.
our_pid() { pid_from_file "$PIDFILE" is_ours; }

# is_ours PID: a live dnsdist started with our config (a zombie's cmdline is empty).
is_ours() { cmdline_has "$1" "-C $CONF"; }

is_running() { our_pid >/dev/null; }

port_open() { (exec 3<>"/dev/tcp/$ADDR/$1") 2>/dev/null; }

# ------------------------------------------------------------------- start
write_config() {
  mkdir -p "$STATE" "$TLS"
  chmod 755 "$STATE" "$TLS"
  make_ca "$TLS" "smtp-probe CI dnsdist CA"
  make_leaf "$TLS" localhost "IP:$ADDR,DNS:localhost"

  cat >"$CONF" <<CF
-- Generated by .ci/dnsdist.sh — smtp-probe interop-test DoH server. Do not edit.
-- Loopback only; no console, web server, carbon or cache; one backend (dnsmasq).
setACL({"127.0.0.0/8"})
-- No security-status poll: it asks secpoll.powerdns.com through the system resolver, off the box.
setSecurityPollSuffix("")
-- A plain listener named here so dnsdist does not add its default, 127.0.0.1:53.
setLocal("$ADDR:$PLAIN_PORT")
addDOHLocal("$ADDR:$DOH_PORT", "$TLS/cert.pem", "$TLS/key.pem", "$DOH_PATH")
-- Up only while dnsmasq answers $CHECK_NAME (it is REFUSED outside its zone, so the default
-- health check, a.root-servers.net, would fail with mustResolve).
newServer({address="$BACKEND", name="dnsmasq", checkName="$CHECK_NAME.", checkType="A", mustResolve=true, checkInterval=1})
setServerPolicy(firstAvailable)
CF

  cat >"$STATE/env" <<ENV
DNSDIST_DOH_URL=$DOH_URL
DNSDIST_CA=$TLS/ca.pem
DNSDIST_PLAIN_ADDR=$ADDR:$PLAIN_PORT
DNSDIST_BACKEND=$BACKEND
DNSDIST_LOG=$LOG
ENV
}

cmd_start() {
  command -v dnsdist >/dev/null || die "dnsdist is not installed (run: $0 install)"
  command -v node >/dev/null || die "node is needed to check the server"

  if is_running; then
    log "an instance is already running from $STATE; stopping it first"
    cmd_stop
  fi
  local port
  for port in "$DOH_PORT" "$PLAIN_PORT"; do
    if port_open "$port"; then
      ss -ltnup "sport = :$port" >&2 2>/dev/null || true
      die "$ADDR:$port is already in use by another process"
    fi
  done
  # Its one backend must be up first (dnsmasq answers TCP on the same port as UDP).
  if ! (exec 3<>"/dev/tcp/${BACKEND%:*}/${BACKEND##*:}") 2>/dev/null; then
    die "nothing answers on $BACKEND: start dnsmasq first (bash .ci/dnsmasq.sh start)"
  fi
  rm -rf "$CONF" "$PIDFILE" "$LOG" "$TLS" "$STATE/env"

  log "writing CA, certificate and config into $STATE"
  write_config
  if ! dnsdist --check-config -C "$CONF" >"$LOG" 2>&1; then
    log_tail "$LOG"
    die "dnsdist rejects $CONF"
  fi

  # --supervised: foreground, no console on stdin. setsid and redirected fds: the daemon shares
  # neither the caller's process group (a step's timeout) nor its output pipe.
  log "dnsdist --supervised --disable-syslog -C $CONF"
  setsid dnsdist --supervised --disable-syslog -C "$CONF" </dev/null >>"$LOG" 2>&1 &
  echo "$!" >"$PIDFILE"

  local deadline=$((SECONDS + 15)) out=""
  until out=$(doh_check "$CHECK_NAME A NOERROR:1" 2>&1); do
    if ! is_running; then
      log_tail "$LOG"
      die "dnsdist exited during start"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf '%s\n' "$out" >&2
      log_tail "$LOG"
      cmd_stop >/dev/null 2>&1 || true   # do not leave a half-working instance behind
      die "no DoH answer from $DOH_URL within 15 s (is dnsmasq running on $BACKEND?)"
    fi
    sleep 0.3
  done
  # A few answers the tests rely on, through dnsdist: dnsmasq's rcodes pass unchanged.
  if ! out=$(doh_check \
      "postfix.dnsmasq.test MX NOERROR:1" \
      "nope.dnsmasq.test MX NXDOMAIN:0" \
      "outside.example A REFUSED:0" 2>&1); then
    printf '%s\n' "$out" >&2
    log_tail "$LOG"
    cmd_stop >/dev/null 2>&1 || true
    die "dnsdist answers differ from what the tests expect"
  fi
  no_wide_listener dnsdist

  cat <<SUM
$(dnsdist --version | head -n 1 | cut -d' ' -f1-2) running (pid $(our_pid), config $CONF)
  DoH $DOH_URL (CA $TLS/ca.pem), plain $ADDR:$PLAIN_PORT, backend dnsmasq $BACKEND
  log: $LOG   env file: $STATE/env
SUM
}

# -------------------------------------------------------------------- stop
cmd_stop() { stop_daemon dnsdist "$PIDFILE" is_ours "$ADDR:$DOH_PORT"; }

# ------------------------------------------------------------------ status
cmd_status() {
  local rc=0 pid
  if pid=$(our_pid); then
    echo "dnsdist: running (pid $pid, state dir $STATE)"
  else
    echo "dnsdist: not running (state dir $STATE)"
    rc=1
  fi
  if [ -f "$TLS/ca.pem" ]; then
    doh_check "$CHECK_NAME A NOERROR:1" || rc=1
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
