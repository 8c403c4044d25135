#!/usr/bin/env bash
# Real DNS server (dnsmasq) for smtp-probe's DNS/MX interop tests.
#
#   bash .ci/dnsmasq.sh install   # apt-get install dnsmasq-base (noninteractive, no service)
#   bash .ci/dnsmasq.sh start     # write a private config, start, wait until it answers
#   bash .ci/dnsmasq.sh stop      # stop that instance (idempotent)
#   bash .ci/dnsmasq.sh status    # is it running, does it answer over UDP and TCP
#
# The instance is self-contained under $SMTP_PROBE_DNSMASQ_DIR (default
# /tmp/smtp-probe-dnsmasq): dnsmasq.conf, dnsmasq.pid, dnsmasq.log, env.
# It reads no system file (--conf-file replaces /etc/dnsmasq.conf, no-hosts,
# no-resolv), has no upstream server, and listens on 127.0.0.1:5354 (UDP and TCP)
# only. It answers for the zone dnsmasq.test alone:
#   - names in the zone come from the records below; a missing name is NXDOMAIN,
#     an existing name without the asked type is NOERROR with no answer (NODATA);
#     neither carries an SOA, and only positive answers have AA set
#   - anything outside the zone is REFUSED (nothing is ever forwarded)
# Every address is on loopback; the Postfix of .ci/postfix.sh is 127.0.0.1:2525.
#
#   postfix.dnsmasq.test   MX 10 mx.dnsmasq.test          (walk with --port 2525 -> Postfix)
#   mx.dnsmasq.test        A  127.0.0.1
#   two.dnsmasq.test       MX 10 down.dnsmasq.test, MX 20 mx.dnsmasq.test
#   down.dnsmasq.test      A  127.0.0.9                   (nothing listens: RST)
#   alias.dnsmasq.test     CNAME mx.dnsmasq.test
#   cname-mx.dnsmasq.test  MX 10 alias.dnsmasq.test       (MX target is a CNAME)
#   www.dnsmasq.test       CNAME postfix.dnsmasq.test     (CNAME'd mail domain)
#   nullmx.dnsmasq.test    MX 0 .                         (RFC 7505 null MX, RDATA 000000)
#   implicit.dnsmasq.test  A  127.0.0.1, no MX            (implicit MX)
#   nodata.dnsmasq.test    TXT only                       (A/AAAA/MX: NODATA)
#   dangling.dnsmasq.test  MX 10 nodata.dnsmasq.test      (MX target without address)
#   nope.dnsmasq.test      does not exist                 (NXDOMAIN)
# Transport-security policies (issue 10: MTA-STS, TLS-RPT, DANE):
#   sts.dnsmasq.test                MX 10 mx.dnsmasq.test
#   _mta-sts.sts.dnsmasq.test       TXT "v=STSv1; id=20261201"
#   _smtp._tls.sts.dnsmasq.test     TXT "v=TLSRPTv1; rua=mailto:tls@sts.dnsmasq.test"
#   mta-sts.sts.dnsmasq.test        A 127.0.0.8   (.ci/nginx.sh: enforce, mx: mx.dnsmasq.test)
#   sts-bad.dnsmasq.test            MX 10 mx.dnsmasq.test
#   _mta-sts.sts-bad.dnsmasq.test   TXT "v=STSv1; id=20261201"
#   mta-sts.sts-bad.dnsmasq.test    A 127.0.0.8   (enforce, mx: other.dnsmasq.test: the real
#                                                  MX is not covered, RFC 8461 §4.1)
#   _2525._tcp.mx.dnsmasq.test      TLSA 3 1 1 <SHA-256 of the SPKI of Postfix's certificate>
#     (DANE-EE, RFC 7672 §3.1.1; port 2525 because that is where Postfix listens). Made from
#     the certificate .ci/postfix.sh wrote, so start Postfix first, and restart dnsmasq after
#     every Postfix start (each makes a new key). dnsmasq sets no AD bit on its own data and
#     the zone is unsigned, so a client honestly sees TLSA without DNSSEC
#     (tlsa-without-dnssec): the records exist but are unusable (RFC 7672 §2.2).
# TTL of every record: $TTL (60). MX answers come in dnsmasq's order, not by
# preference (two.dnsmasq.test: 20 first, then 10): clients must sort.
# $SMTP_PROBE_DNSMASQ_DIR/env holds KEY=VALUE lines describing all of this.
set -euo pipefail

# dnsmasq lives in /usr/sbin, which a non-login shell may not have.
export PATH="/usr/sbin:/sbin:$PATH"

STATE="${SMTP_PROBE_DNSMASQ_DIR:-/tmp/smtp-probe-dnsmasq}"
CONF="$STATE/dnsmasq.conf"
PIDFILE="$STATE/dnsmasq.pid"
LOG="$STATE/dnsmasq.log"
ADDR=127.0.0.1
PORT=5354
ZONE=dnsmasq.test
TTL=60
# Where .ci/nginx.sh serves the MTA-STS policy files.
MTA_STS_ADDR=127.0.0.8
# The Postfix certificate the TLSA record pins (.ci/postfix.sh's env names it).
POSTFIX_ENV="${SMTP_PROBE_POSTFIX_DIR:-/tmp/smtp-probe-postfix}/env"
TLSA_OWNER=_2525._tcp.mx.$ZONE

SCRIPT_NAME=dnsmasq.sh
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_state_dir SMTP_PROBE_DNSMASQ_DIR "$STATE"

# ---------------------------------------------------------------- install
cmd_install() {
  # dnsmasq-base is the bare binary: unlike the `dnsmasq` package it brings no
  # init script, no system instance and no change to the machine's resolver.
  apt_install dnsmasq-base
  command -v dnsmasq >/dev/null || die "dnsmasq not found after install"
  log "$(dnsmasq --version | head -n 1 | cut -d" " -f1-3)"
}

# ----------------------------------------------------------------- helpers

# dns_check SPEC...: each SPEC is "proto name type expect" (one string), expect
# being an rcode name, optionally ":N" for the answer count (e.g. NOERROR:1).
# Sends each query to $ADDR:$PORT (no dependencies beyond node itself), prints
# one line per query, exits 0 only if all matched.
dns_check() {
  node -e '
const dgram = require("node:dgram"), net = require("node:net");
const [host, port, ...specs] = process.argv.slice(1);
const TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, TLSA: 52 };
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
function query(name, type) {
  const id = Math.floor(Math.random() * 65536);
  const head = Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]); // RD, 1 question
  const labels = name.split(".").filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const tail = Buffer.from([0, 0, TYPES[type], 0, 1]);
  return { id, buf: Buffer.concat([head, ...labels, tail]) };
}
function udp(buf) {
  return new Promise((res, rej) => {
    const s = dgram.createSocket("udp4");
    const t = setTimeout(() => { s.close(); rej(new Error("no UDP answer in 1 s")); }, 1000);
    s.on("error", (e) => { clearTimeout(t); s.close(); rej(e); });
    s.on("message", (m) => { clearTimeout(t); s.close(); res(m); });
    s.send(buf, +port, host);
  });
}
function tcp(buf) {
  return new Promise((res, rej) => {
    const s = net.connect(+port, host);
    let acc = Buffer.alloc(0);
    const t = setTimeout(() => { s.destroy(); rej(new Error("no TCP answer in 1 s")); }, 1000);
    s.on("error", (e) => { clearTimeout(t); rej(e); });
    s.on("connect", () => { const l = Buffer.alloc(2); l.writeUInt16BE(buf.length); s.end(Buffer.concat([l, buf])); });
    s.on("data", (d) => {
      acc = Buffer.concat([acc, d]);
      if (acc.length >= 2 && acc.length >= 2 + acc.readUInt16BE(0)) {
        clearTimeout(t); s.destroy(); res(acc.subarray(2, 2 + acc.readUInt16BE(0)));
      }
    });
  });
}
(async () => {
  let ok = true;
  for (const spec of specs) {
    const [proto, name, type, expect] = spec.split(" ");
    const [wantRcode, wantAn] = expect.split(":");
    const q = query(name, type);
    let line;
    try {
      const r = await (proto === "tcp" ? tcp(q.buf) : udp(q.buf));
      const rcode = RCODES[r[3] & 15] ?? String(r[3] & 15), an = r.readUInt16BE(6);
      const good = r.readUInt16BE(0) === q.id && rcode === wantRcode && (wantAn === undefined || an === +wantAn);
      ok &&= good;
      line = `${good ? "ok  " : "BAD "} ${proto} ${name} ${type}: ${rcode} answers=${an} (want ${expect})`;
    } catch (e) {
      ok = false;
      line = `BAD  ${proto} ${name} ${type}: ${e.message} (want ${expect})`;
    }
    console.log(line);
  }
  process.exit(ok ? 0 : 1);
})();
' "$ADDR" "$PORT" "$@"
}

# The pid in the pid file, if that process is alive and is our dnsmasq.
our_pid() { pid_from_file "$PIDFILE" is_ours; }

# is_ours PID: a live dnsmasq started with our config. A zombie (whose cmdline is
# empty) is not: pid 1 on these machines can take seconds to reap an exited
# daemon, and its sockets are closed already.
is_ours() { cmdline_has "$1" "--conf-file=$CONF"; }

is_running() { our_pid >/dev/null; }


# postfix_cert: the path of Postfix's certificate, or a failure saying to start Postfix first.
postfix_cert() {
  local cert
  [ -f "$POSTFIX_ENV" ] || die "no $POSTFIX_ENV: start Postfix first (bash .ci/postfix.sh start); its certificate gives the TLSA record"
  cert=$(sed -n 's/^POSTFIX_CERT=//p' "$POSTFIX_ENV")
  [ -n "$cert" ] && [ -f "$cert" ] || die "$POSTFIX_ENV names no readable POSTFIX_CERT"
  printf '%s\n' "$cert"
}

# ------------------------------------------------------------------- start
write_config() {
  local cert spki
  cert=$(postfix_cert)
  spki=$(spki_sha256 "$cert")
  [ "${#spki}" -eq 64 ] || die "could not hash the public key of $cert"

  mkdir -p "$STATE"
  chmod 755 "$STATE"
  cat >"$CONF" <<CF
# Generated by .ci/dnsmasq.sh — smtp-probe interop-test DNS server. Do not edit.
# Loopback only, our port only, no system files, no upstream: nothing leaves the box.
port=$PORT
listen-address=$ADDR
bind-interfaces
no-resolv
no-poll
no-hosts
# Names in the zone are answered from the records below only (missing: NXDOMAIN);
# names outside it find no server and are REFUSED.
local=/$ZONE/
local-ttl=$TTL
log-queries=extra
log-facility=$LOG
pid-file=$PIDFILE

# Addresses. host-record also answers the PTR (127.0.0.1 -> mx, 127.0.0.9 -> down).
host-record=mx.$ZONE,127.0.0.1
host-record=down.$ZONE,127.0.0.9
host-record=implicit.$ZONE,127.0.0.1

# MX. With no target, mx-host would point at this machine's hostname: always name one.
mx-host=postfix.$ZONE,mx.$ZONE,10
mx-host=two.$ZONE,down.$ZONE,10
mx-host=two.$ZONE,mx.$ZONE,20
mx-host=cname-mx.$ZONE,alias.$ZONE,10
mx-host=dangling.$ZONE,nodata.$ZONE,10
# Null MX (RFC 7505): "." becomes the root name, RDATA 00 00 00 on the wire.
# (dns-rr=nullmx.$ZONE,15,000000 sends the same bytes, but a dns-rr-only name
# is NXDOMAIN for A/AAAA, where mx-host gives the expected NODATA.)
mx-host=nullmx.$ZONE,.,0

# CNAMEs (dnsmasq follows them inside the zone for A/AAAA and MX queries).
cname=alias.$ZONE,mx.$ZONE
cname=www.$ZONE,postfix.$ZONE

# A name that exists with no A/AAAA/MX.
txt-record=nodata.$ZONE,"smtp-probe test: this name has no A, AAAA or MX"

# MTA-STS (RFC 8461) and TLS-RPT (RFC 8460). Both domains' policy hosts are .ci/nginx.sh.
mx-host=sts.$ZONE,mx.$ZONE,10
txt-record=_mta-sts.sts.$ZONE,"v=STSv1; id=20261201"
txt-record=_smtp._tls.sts.$ZONE,"v=TLSRPTv1; rua=mailto:tls@sts.$ZONE"
host-record=mta-sts.sts.$ZONE,$MTA_STS_ADDR
# Its policy names other.$ZONE only: the MX below is not covered.
mx-host=sts-bad.$ZONE,mx.$ZONE,10
txt-record=_mta-sts.sts-bad.$ZONE,"v=STSv1; id=20261201"
host-record=mta-sts.sts-bad.$ZONE,$MTA_STS_ADDR

# DANE (RFC 7672): TLSA 3 1 1 (DANE-EE, SPKI, SHA-256) of $cert.
# Served without AD (dnsmasq does not sign or validate its own data): tlsa-without-dnssec.
dns-rr=$TLSA_OWNER,52,030101$spki
CF

  cat >"$STATE/env" <<ENV
DNSMASQ_ADDR=$ADDR:$PORT
DNSMASQ_ZONE=$ZONE
DNSMASQ_TTL=$TTL
DNSMASQ_LOG=$LOG
DNSMASQ_STS_DOMAIN=sts.$ZONE
DNSMASQ_STS_BAD_DOMAIN=sts-bad.$ZONE
DNSMASQ_MTA_STS_ADDR=$MTA_STS_ADDR
DNSMASQ_TLSA_OWNER=$TLSA_OWNER
DNSMASQ_TLSA=3 1 1 $spki
DNSMASQ_TLSA_CERT=$cert
ENV
}

cmd_start() {
  command -v dnsmasq >/dev/null || die "dnsmasq is not installed (run: $0 install)"
  command -v node >/dev/null || die "node is needed to check the server"
  command -v openssl >/dev/null || die "openssl is needed for the TLSA record"
  postfix_cert >/dev/null

  # Re-runnable: a previous instance is stopped and its state cleared.
  if is_running; then
    log "an instance is already running from $STATE; stopping it first"
    cmd_stop
  fi
  # Anything still listening now is not ours (or an orphan whose state dir was
  # deleted): fail clearly instead of with "address already in use".
  if (exec 3<>"/dev/tcp/$ADDR/$PORT") 2>/dev/null; then
    ss -ltnup "sport = :$PORT" >&2 2>/dev/null || true
    die "$ADDR:$PORT is already in use by another process"
  fi
  rm -f "$CONF" "$PIDFILE" "$LOG" "$STATE/env"

  log "writing config into $STATE"
  write_config
  dnsmasq --test --conf-file="$CONF" >/dev/null 2>&1 || {
    dnsmasq --test --conf-file="$CONF" >&2 || true
    die "dnsmasq rejects $CONF"
  }

  # dnsmasq binds its sockets, then forks into the background and writes the pid
  # file; configuration and bind errors are printed and make it exit non-zero.
  log "dnsmasq --conf-file=$CONF"
  if ! dnsmasq --conf-file="$CONF"; then
    log_tail "$LOG"
    die "dnsmasq did not start"
  fi

  # Wait until it answers over both UDP and TCP.
  local deadline=$((SECONDS + 10)) out=""
  until out=$(dns_check "udp mx.$ZONE A NOERROR:1" "tcp mx.$ZONE A NOERROR:1" 2>&1); do
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf '%s\n' "$out" >&2
      log_tail "$LOG"
      cmd_stop >/dev/null 2>&1 || true   # do not leave a half-working instance behind
      die "no DNS answer from $ADDR:$PORT within 10 s"
    fi
    sleep 0.2
  done

  # A few answers the tests rely on, so a broken server fails here, not in a test.
  if ! out=$(dns_check \
      "udp postfix.$ZONE MX NOERROR:1" \
      "udp two.$ZONE MX NOERROR:2" \
      "udp nullmx.$ZONE MX NOERROR:1" \
      "udp nodata.$ZONE A NOERROR:0" \
      "udp nope.$ZONE MX NXDOMAIN:0" \
      "tcp www.$ZONE MX NOERROR:2" \
      "udp outside.example A REFUSED:0" \
      "udp sts.$ZONE MX NOERROR:1" \
      "udp _mta-sts.sts.$ZONE TXT NOERROR:1" \
      "udp _smtp._tls.sts.$ZONE TXT NOERROR:1" \
      "udp mta-sts.sts-bad.$ZONE A NOERROR:1" \
      "tcp $TLSA_OWNER TLSA NOERROR:1" 2>&1); then
    printf '%s\n' "$out" >&2
    log_tail "$LOG"
    cmd_stop >/dev/null 2>&1 || true
    die "dnsmasq answers differ from what the tests expect"
  fi

  cat <<SUM
$(dnsmasq --version | head -n 1 | cut -d" " -f1-3) running (pid $(our_pid), config $CONF)
  $ADDR:$PORT UDP+TCP, zone $ZONE only (NXDOMAIN inside for missing names, REFUSED outside)
  postfix.$ZONE MX 10 mx.$ZONE (A 127.0.0.1; Postfix on :2525); two/cname-mx/www/nullmx/implicit/nodata/dangling/nope: see $0
  sts.$ZONE, sts-bad.$ZONE: MTA-STS (policy hosts $MTA_STS_ADDR), TLS-RPT; $TLSA_OWNER TLSA $(sed -n 's/^DNSMASQ_TLSA=//p' "$STATE/env" | cut -c1-24)… (no AD)
  log: $LOG   env file: $STATE/env
SUM
}

# -------------------------------------------------------------------- stop
cmd_stop() { stop_daemon dnsmasq "$PIDFILE" is_ours; }

# ------------------------------------------------------------------ status
cmd_status() {
  local rc=0 pid
  if pid=$(our_pid); then
    echo "dnsmasq: running (pid $pid, state dir $STATE)"
  else
    echo "dnsmasq: not running (state dir $STATE)"
    rc=1
  fi
  dns_check "udp mx.$ZONE A NOERROR:1" "tcp mx.$ZONE A NOERROR:1" || rc=1
  return "$rc"
}

case "${1:-}" in
  install) cmd_install ;;
  start)   cmd_start ;;
  stop)    cmd_stop ;;
  status)  cmd_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
