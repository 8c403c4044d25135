#!/usr/bin/env bash
# Real Exim for smtp-probe's interop tests, beside the Postfix of .ci/postfix.sh.
#
#   bash .ci/exim.sh install   # apt-get download exim4-daemon-light, dpkg -x it, its libraries, Debian-exim user
#   bash .ci/exim.sh start     # write a private config, start both daemons, wait for their 220 greetings
#   bash .ci/exim.sh stop      # stop them (idempotent)
#   bash .ci/exim.sh status    # is it running, do the ports answer
#
# The Debian package conflicts with postfix through apt, so it is not installed: its .deb is
# unpacked with `dpkg -x` under $SMTP_PROBE_EXIM_DIR/root (default /tmp/smtp-probe-exim) and the
# binary runs from there with its own config file (-C), spool, log and pid paths under the same
# directory. Nothing is written to /etc/exim4 or /var/spool/exim4, no system instance runs, and
# the apt database never hears of Exim (only its shared libraries are apt-installed, as missing
# packages). The package's other parts (exim4-base: cron jobs, utilities, docs; exim4-config: the
# Debian config template) are not needed by the binary, so they are not fetched.
#
# What the tests get (fixed addresses, loopback only, IPv4), two daemons from one config file:
#   127.0.0.1:2527  Debian's defaults: Debian's config has no acl_smtp_vrfy or acl_smtp_expn, so
#                   EHLO does not offer VRFY or EXPN and Exim refuses them ("implicit DENY"):
#                   VRFY "252 Administrative prohibition", EXPN "550 Administrative prohibition";
#                   ETRN (no acl_smtp_etrn) "458 Administrative prohibition"
#   127.0.0.1:2528  the same with acl_smtp_vrfy and acl_smtp_expn set to accept (-DVRFY_OPEN), as an
#                   admin who wants them sets it: EHLO offers VRFY and EXPN, and they look up. Two
#                   daemons, because whether EHLO offers them depends on the option being set at all.
#   both: STARTTLS (self-signed, CN/SAN mx.exim.test; Debian's Exim offers STARTTLS too, with a
#   certificate of its own making or exim-gencert's), and Exim's defaults for everything a probe meets:
#   smtp_max_unknown_commands 3 (the 4th unrecognised command: "500 Too many unrecognized
#   commands" and the session is dropped), smtp_max_synprot_errors 3, smtp_accept_max_nonmail 10,
#   the ~200 ms Exim holds its reply to QUIT in clear text; none of them is set in this config.
#   users alice@exim.test, bob@exim.test, list staff@exim.test (-> alice, bob), postmaster -> alice;
#   other local parts are unknown; other domains are not relayed. Mail for them is delivered at
#   once (no queue runner is needed) into mbox files $SMTP_PROBE_EXIM_DIR/mail/{alice,bob}, by
#   Debian-exim (the binary is not setuid, so delivery runs as Exim's own user; each delivery
#   logs "exim user lost privilege for using -C option" to mainlog and paniclog, which is expected:
#   -C is trusted only through /etc/exim4/trusted_configs, and nothing here writes /etc/exim4).
#   AUTH PLAIN and LOGIN with one fixed test account (Exim's built-in plaintext authenticators, no
#   SASL daemon), offered only after STARTTLS as a submission server offers them: 235 for the
#   right credentials, 535 for wrong ones; before TLS EHLO lists no AUTH and AUTH gets 503.
# Deliberate differences from a Debian install: no reverse DNS lookup of clients (host_lookup is
# empty: CI has no resolver, Debian's default looks up every host), and authenticators on the
# MX ports (Debian's config has them commented out; a submission port would have them).
# $SMTP_PROBE_EXIM_DIR/env holds KEY=VALUE lines describing all of this.
set -euo pipefail

export PATH="/usr/sbin:/sbin:$PATH"

STATE="${SMTP_PROBE_EXIM_DIR:-/tmp/smtp-probe-exim}"
ROOT="$STATE/root"       # the unpacked package
DEBS="$STATE/debs"       # the downloaded .deb
EXIM="$ROOT/usr/sbin/exim4"
CONF="$STATE/conf"       # exim.conf, aliases
SPOOL="$STATE/spool"     # spool_directory (Exim creates its subdirectories as Debian-exim)
LOGDIR="$STATE/log"      # mainlog, rejectlog, paniclog
TLS="$STATE/tls"
EXIM_USER=Debian-exim    # compiled into Debian's binary (EXIM_USER); it refuses to start without it
PACKAGE=exim4-daemon-light
DEFAULT_PORT=2527
VRFY_PORT=2528
HOSTNAME_FQDN=mx.exim.test
DOMAIN=exim.test
MAIL="$STATE/mail"       # mbox files written by the mailbox transport
# The test account for AUTH (fixed; it guards nothing but this loopback instance). Kept free of
# characters Exim's string expansion treats specially ($ \\ { } :).
AUTH_USER=probe-user
AUTH_PASSWORD=Sm0ke-Test-Pa55word

SCRIPT_NAME=exim.sh
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_state_dir SMTP_PROBE_EXIM_DIR "$STATE"

# ---------------------------------------------------------------- install
# runtime_libraries DEB: the library packages the .deb depends on (first alternative, no versions).
runtime_libraries() {
  dpkg-deb -f "$1" Depends | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/[[:space:]]//g' |
    grep '^lib' || true
}

cmd_install() {
  apt_install openssl
  if ! id "$EXIM_USER" >/dev/null 2>&1; then
    log "adding system user $EXIM_USER"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin "$EXIM_USER"
  fi
  rm -rf "$DEBS" "$ROOT"
  mkdir -p "$DEBS" "$ROOT"
  # apt drops to _apt for downloads; give it the folder so it does not warn about doing it as root.
  if id _apt >/dev/null 2>&1; then chown _apt "$DEBS"; fi
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    log "apt package lists are empty: apt-get update"
    apt-get update -q
  fi
  log "apt-get download $PACKAGE"
  if ! (cd "$DEBS" && apt-get download -q "$PACKAGE"); then
    log "download failed; retrying after apt-get update"
    apt-get update -q
    (cd "$DEBS" && apt-get download -q "$PACKAGE")
  fi
  local deb
  deb=$(compgen -G "$DEBS/${PACKAGE}_*.deb" | head -n 1) || die "no $PACKAGE .deb in $DEBS"
  # shellcheck disable=SC2046 # one word per package name
  apt_install $(runtime_libraries "$deb")
  dpkg -x "$deb" "$ROOT"
  # The binary is setuid root in the package; it is only ever started by root here, so the bit
  # would only leave a setuid binary lying in /tmp.
  chmod u-s "$EXIM"
  local version
  version=$("$EXIM" -C /dev/null -bV 2>/dev/null | sed -n 's/^Exim version \([^ ]*\).*/\1/p')
  [ -n "$version" ] || die "$EXIM does not run: $("$EXIM" -C /dev/null -bV 2>&1 | head -n 3)"
  log "$PACKAGE $(dpkg-deb -f "$deb" Version) unpacked into $ROOT (Exim $version)"
}

# ----------------------------------------------------------------- helpers
# pidfile PORT: the daemon listening on PORT writes its pid here (pid_file_path in the config).
pidfile() { printf '%s/exim-%s.pid' "$STATE" "$1"; }

# is_running PORT
is_running() {
  [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null
}

# Read the greeting from 127.0.0.1:$1 with bash's /dev/tcp; print it on success.
greeting() {
  local port=$1 line=""
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    IFS= read -r -t 3 line <&3 || exit 1
    printf 'QUIT\r\n' >&3
    line=${line%$'\r'}
    case "$line" in 220\ *) printf '%s\n' "$line" ;; *) exit 1 ;; esac
  ) 2>/dev/null
}

# ------------------------------------------------------------------- start
write_config() {
  mkdir -p "$CONF" "$SPOOL" "$LOGDIR" "$TLS" "$MAIL"
  chmod 755 "$STATE" "$CONF" "$TLS"
  # Exim writes its spool, logs and mailboxes as Debian-exim after dropping root (appendfile
  # also puts its lock files beside the mailboxes).
  chown "$EXIM_USER:$EXIM_USER" "$SPOOL" "$LOGDIR" "$MAIL"
  chmod 750 "$SPOOL" "$LOGDIR"
  chmod 755 "$MAIL"
  # Empty mailboxes up front, so tests can read/size them before the first delivery; owned by
  # the delivering user and in the transport's mode, or appendfile refuses them.
  install -o "$EXIM_USER" -g "$EXIM_USER" -m 644 /dev/null "$MAIL/alice"
  install -o "$EXIM_USER" -g "$EXIM_USER" -m 644 /dev/null "$MAIL/bob"

  openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
    -keyout "$TLS/key.pem" -out "$TLS/cert.pem" \
    -subj "/CN=$HOSTNAME_FQDN" -addext "subjectAltName=DNS:$HOSTNAME_FQDN" \
    >/dev/null 2>&1 || die "openssl could not make a certificate"
  # Read after the receiving process has dropped to Debian-exim (Debian: root:Debian-exim 640).
  chown "root:$EXIM_USER" "$TLS/key.pem"
  chmod 640 "$TLS/key.pem"
  chmod 644 "$TLS/cert.pem"

  cat >"$CONF/aliases" <<AL
# Generated by .ci/exim.sh. Local users exist only here.
postmaster: alice
root: alice
staff: alice, bob
AL

  # Exim refuses a config file that its owner's group or others may write.
  cat >"$CONF/exim.conf" <<CF
# Generated by .ci/exim.sh — smtp-probe interop-test instance. Do not edit.
# Anything not set here is Exim's default, as in Debian's config (which sets none of the limits
# below): smtp_max_unknown_commands 3, smtp_max_synprot_errors 3, smtp_accept_max_nonmail 10.
exim_path = $EXIM
primary_hostname = $HOSTNAME_FQDN
qualify_domain = $DOMAIN
domainlist local_domains = $DOMAIN : $HOSTNAME_FQDN

# One daemon per port, each started with -DPORT=… (the two share spool and logs).
local_interfaces = <; 127.0.0.1.PORT
pid_file_path = $STATE/exim-PORT.pid
disable_ipv6 = true

spool_directory = $SPOOL
log_file_path = $LOGDIR/%slog
never_users = root
keep_environment =

# CI has no resolver: no reverse lookup of clients (Debian looks up every host).
host_lookup =

# STARTTLS as Debian's MAIN_TLS_ENABLE with a generated certificate gives it.
tls_advertise_hosts = *
tls_certificate = $TLS/cert.pem
tls_privatekey = $TLS/key.pem

acl_smtp_rcpt = acl_check_rcpt
# Debian's config sets no VRFY or EXPN ACL: EHLO does not offer them and Exim refuses both.
# The daemon on :$VRFY_PORT is started with -DVRFY_OPEN and accepts them.
.ifdef VRFY_OPEN
acl_smtp_vrfy = accept
acl_smtp_expn = accept
.endif

begin acl

acl_check_rcpt:
  accept domains = +local_domains
         verify = recipient
  deny   message = relay not permitted

begin routers

aliases:
  driver = redirect
  domains = +local_domains
  data = \${lookup{\$local_part}lsearch{$CONF/aliases}}

users:
  driver = accept
  domains = +local_domains
  local_parts = alice : bob
  transport = mailbox

begin transports

mailbox:
  driver = appendfile
  # \$local_part_data: the users router's local_parts match, untainted (Exim 4.96 refuses a
  # file name made from the tainted \$local_part).
  file = $MAIL/\$local_part_data
  user = $EXIM_USER
  mode = 0644

begin authenticators

# RFC 4616 PLAIN: \$auth1 authzid, \$auth2 user, \$auth3 password. Advertised and accepted only
# once TLS is up (server_advertise_condition also refuses the mechanism before it: 503).
plain:
  driver = plaintext
  public_name = PLAIN
  server_prompts = :
  server_condition = \${if and{{eq{\$auth2}{$AUTH_USER}}{eq{\$auth3}{$AUTH_PASSWORD}}}}
  server_set_id = \$auth2
  server_advertise_condition = \${if def:tls_in_cipher}

# LOGIN (draft-murchison-sasl-login): the user and the password, each asked for in turn.
login:
  driver = plaintext
  public_name = LOGIN
  server_prompts = Username:: : Password::
  server_condition = \${if and{{eq{\$auth1}{$AUTH_USER}}{eq{\$auth2}{$AUTH_PASSWORD}}}}
  server_set_id = \$auth1
  server_advertise_condition = \${if def:tls_in_cipher}
CF
  chmod 644 "$CONF/exim.conf" "$CONF/aliases"

  cat >"$STATE/env" <<ENV
EXIM_ADDR=127.0.0.1:$DEFAULT_PORT
EXIM_VRFY_ADDR=127.0.0.1:$VRFY_PORT
EXIM_CERT=$TLS/cert.pem
EXIM_DOMAIN=$DOMAIN
EXIM_HOSTNAME=$HOSTNAME_FQDN
EXIM_VERSION=$("$EXIM" -C "$CONF/exim.conf" -bV | sed -n 's/^Exim version \([^ ]*\).*/\1/p')
EXIM_MAINLOG=$LOGDIR/mainlog
EXIM_MAILDIR=$MAIL
EXIM_AUTH_USER=$AUTH_USER
EXIM_AUTH_PASSWORD=$AUTH_PASSWORD
ENV
}

cmd_start() {
  [ -x "$EXIM" ] || die "exim is not unpacked (run: $0 install)"
  id "$EXIM_USER" >/dev/null 2>&1 || die "no $EXIM_USER user (run: $0 install)"
  if is_running "$DEFAULT_PORT" || is_running "$VRFY_PORT"; then
    log "an instance is already running; stopping it first"
    cmd_stop
  fi
  local port
  for port in "$DEFAULT_PORT" "$VRFY_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      ss -ltnp "sport = :$port" >&2 2>/dev/null || true
      die "127.0.0.1:$port is already in use by another process"
    fi
  done
  rm -rf "$CONF" "$SPOOL" "$LOGDIR" "$TLS" "$MAIL" "$STATE/env" "$(pidfile "$DEFAULT_PORT")" \
    "$(pidfile "$VRFY_PORT")"

  log "writing config into $STATE"
  write_config
  if ! "$EXIM" -C "$CONF/exim.conf" -DPORT="$DEFAULT_PORT" -bV >/dev/null; then
    die "exim rejects $CONF/exim.conf"
  fi
  # -bd: a daemon, no queue runner (each message is delivered as it arrives); it forks and
  # returns once it listens.
  local daemon
  for daemon in "-DPORT=$DEFAULT_PORT" "-DPORT=$VRFY_PORT -DVRFY_OPEN"; do
    log "exim -bd $daemon"
    # shellcheck disable=SC2086 # the macros are separate words
    if ! "$EXIM" -C "$CONF/exim.conf" $daemon -bd; then
      log_tail "$LOGDIR/paniclog"
      log_tail "$LOGDIR/mainlog"
      cmd_stop >/dev/null 2>&1 || true
      die "exim -bd $daemon failed"
    fi
  done

  local deadline=$((SECONDS + 20)) g1="" g2=""
  while :; do
    [ -n "$g1" ] || g1=$(greeting "$DEFAULT_PORT" || true)
    [ -n "$g2" ] || g2=$(greeting "$VRFY_PORT" || true)
    if [ -n "$g1" ] && [ -n "$g2" ]; then break; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log_tail "$LOGDIR/paniclog"
      log_tail "$LOGDIR/mainlog"
      cmd_stop >/dev/null 2>&1 || true
      die "no 220 greeting within 20 s ($DEFAULT_PORT: '${g1:-none}', $VRFY_PORT: '${g2:-none}')"
    fi
    sleep 0.2
  done

  cat <<SUM
Exim $(sed -n 's/^EXIM_VERSION=//p' "$STATE/env") running (config $CONF/exim.conf)
  127.0.0.1:$DEFAULT_PORT   Debian defaults: VRFY 252, EXPN 550 (no ACL), STARTTLS   greeting: $g1
  127.0.0.1:$VRFY_PORT   VRFY and EXPN accepted, STARTTLS                    greeting: $g2
  recipients: alice@$DOMAIN bob@$DOMAIN staff@$DOMAIN(->alice,bob) postmaster->alice; no relay
  mailboxes:  $MAIL/{alice,bob}   AUTH PLAIN/LOGIN after STARTTLS: $AUTH_USER (password in the env file)
  cert: $TLS/cert.pem   log: $LOGDIR/mainlog   env file: $STATE/env
SUM
}

# -------------------------------------------------------------------- stop
# stop_daemons PORT...: TERM to each, then wait for the daemons and their listeners to go, so an
# immediate start does not hit "address already in use" (Exim takes a second or two to exit).
# Sessions in progress are children that end on their own.
stop_daemons() {
  local port pids=() ports=()
  for port in "$@"; do
    is_running "$port" || continue
    pids+=("$(cat "$(pidfile "$port")")")
    ports+=("$port")
    kill -TERM "${pids[-1]}" 2>/dev/null || true
  done
  local i deadline=$((SECONDS + 15))
  for i in "${!pids[@]}"; do
    while kill -0 "${pids[$i]}" 2>/dev/null || greeting "${ports[$i]}" >/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        log "exim on :${ports[$i]} did not stop within 15 s; sending KILL to ${pids[$i]}"
        kill -KILL "${pids[$i]}" 2>/dev/null || true
        sleep 1
        break
      fi
      sleep 0.2
    done
    rm -f "$(pidfile "${ports[$i]}")"
    log "stopped the daemon on :${ports[$i]}"
  done
}

cmd_stop() {
  if ! is_running "$DEFAULT_PORT" && ! is_running "$VRFY_PORT"; then
    log "not running (no live pid in $STATE/exim-*.pid)"
    return 0
  fi
  stop_daemons "$DEFAULT_PORT" "$VRFY_PORT"
}

# ------------------------------------------------------------------ status
cmd_status() {
  local rc=0 port g
  for port in "$DEFAULT_PORT" "$VRFY_PORT"; do
    if is_running "$port"; then
      echo "exim on :$port: running (pid $(cat "$(pidfile "$port")"), config $CONF/exim.conf)"
    else
      echo "exim on :$port: not running"
      rc=1
    fi
    if g=$(greeting "$port"); then
      echo "127.0.0.1:$port: $g"
    else
      echo "127.0.0.1:$port: no greeting"
      rc=1
    fi
  done
  return "$rc"
}

case "${1:-}" in
  install) cmd_install ;;
  start)   cmd_start ;;
  stop)    cmd_stop ;;
  status)  cmd_status ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
