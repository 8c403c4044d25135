#!/usr/bin/env bash
# Real Postfix for smtp-probe's interop tests.
#
#   bash .ci/postfix.sh install   # apt-get install postfix + openssl (noninteractive)
#   bash .ci/postfix.sh start     # write a private config, start, wait for both 220 greetings
#   bash .ci/postfix.sh stop      # stop that instance (idempotent)
#   bash .ci/postfix.sh status    # is it running, do the ports answer
#
# The instance is entirely self-contained under $SMTP_PROBE_POSTFIX_DIR
# (default /tmp/smtp-probe-postfix) and driven with `postfix -c DIR`, so no
# system config is written (/etc/postfix only supplies the package's own meta
# files: postfix-files, dynamicmaps.cf) and no system instance runs.
#
# What the tests get (fixed addresses, loopback only):
#   127.0.0.1:2525  VRFY on,  STARTTLS offered (self-signed, CN mx.postfix.test; SAN
#                   mx.postfix.test, mx.dnsmasq.test, localhost: mx.dnsmasq.test is this
#                   server's name as the MX of .ci/dnsmasq.sh's zone, where MTA-STS checks the
#                   certificate names it, and its key is the one dnsmasq's TLSA record pins)
#   127.0.0.1:2526  VRFY off (disable_vrfy_command=yes), no STARTTLS
#   nothing on port 25
#   users alice@postfix.test, bob@postfix.test, list staff@postfix.test (-> alice,bob);
#   mail for them lands in mbox files $SMTP_PROBE_POSTFIX_DIR/mail/{alice,bob}
#   carol@postfix.test: mail for `send` tests only ($SMTP_PROBE_POSTFIX_DIR/mail/carol), so the
#   tests that prove alice's and bob's mailboxes never change can run beside them
#   $SMTP_PROBE_POSTFIX_DIR/env holds KEY=VALUE lines describing all of this.
set -euo pipefail

# Postfix binaries live in /usr/sbin, which a non-login shell may not have.
export PATH="/usr/sbin:/sbin:$PATH"

STATE="${SMTP_PROBE_POSTFIX_DIR:-/tmp/smtp-probe-postfix}"
CONF="$STATE/conf"       # main.cf, master.cf, aliases(.db)
QUEUE="$STATE/queue"     # queue_directory (Postfix owns and fixes its permissions)
DATA="$STATE/data"       # data_directory (tls caches, etc.)
MAIL="$STATE/mail"       # mbox files written by local(8)
TLS="$STATE/tls"         # self-signed cert + key
LOG="$STATE/log/maillog" # maillog_file (there is no syslog here)
VRFY_PORT=2525
NOVRFY_PORT=2526
HOSTNAME_FQDN=mx.postfix.test
# This server's name as an MX in .ci/dnsmasq.sh's zone (a second name in its certificate).
DNSMASQ_MX=mx.dnsmasq.test
DOMAIN=postfix.test

SCRIPT_NAME=postfix.sh
# shellcheck source=.ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_state_dir SMTP_PROBE_POSTFIX_DIR "$STATE"

# ---------------------------------------------------------------- install
cmd_install() {
  # "No configuration": the package installs without writing /etc/postfix/main.cf
  # and without starting a system instance on port 25. We bring our own config.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt_install postfix openssl
  log "$(postconf -d mail_version)"
}

# ----------------------------------------------------------------- helpers
pf() { postfix -c "$CONF" "$@"; }

is_running() {
  [ -f "$CONF/main.cf" ] && pf status >/dev/null 2>&1
}

# Read the greeting from 127.0.0.1:$1 with bash's /dev/tcp; print it on success.
greeting() {
  local port=$1 line=""
  # A subshell so the fd is closed whatever happens.
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
  mkdir -p "$CONF" "$QUEUE" "$DATA" "$MAIL" "$TLS" "$(dirname "$LOG")"
  chmod 755 "$STATE" "$CONF" "$QUEUE" "$TLS" "$(dirname "$LOG")"
  # master keeps its lock file in data_directory as user postfix; postfix check
  # only warns about the owner, start then fails, so set it here.
  chown postfix:postfix "$DATA"
  chmod 700 "$DATA"

  # local(8) writes to files named in a root-owned alias map with default_privs
  # (nobody), so the mail dir must be writable by nobody. Not 1777: a sticky
  # world-writable dir would bring fs.protected_regular into play.
  chown nobody:nogroup "$MAIL"
  chmod 755 "$MAIL"

  # Self-signed cert, new on every start (cheap, and no stale files to reason about).
  # Self-signed rather than from a CA: the caps tests assert exactly that. Its extra names
  # serve the MX walks through dnsmasq (mx.dnsmasq.test: MTA-STS wants the MX name in the
  # certificate, RFC 8461 §4.2). A new key means a new TLSA digest: restart dnsmasq after it.
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
    -keyout "$TLS/key.pem" -out "$TLS/cert.pem" -subj "/CN=$HOSTNAME_FQDN" \
    -addext "subjectAltName=DNS:$HOSTNAME_FQDN,DNS:$DNSMASQ_MX,DNS:localhost" \
    >/dev/null 2>&1 || die "openssl could not make a certificate"
  chmod 600 "$TLS/key.pem"   # smtpd loads it as root before dropping privileges
  chmod 644 "$TLS/cert.pem"

  cat >"$CONF/main.cf" <<CF
# Generated by .ci/postfix.sh — smtp-probe interop-test instance. Do not edit.
compatibility_level = 3.6

queue_directory = $QUEUE
data_directory = $DATA
mail_owner = postfix
setgid_group = postdrop

# Identity: what the tests see in the banner and EHLO reply.
myhostname = $HOSTNAME_FQDN
mydomain = $DOMAIN
myorigin = \$mydomain
smtpd_banner = \$myhostname ESMTP \$mail_name
mydestination = \$myhostname, \$mydomain, localhost, postfix.dnsmasq.test

# Loopback only, IPv4 only (the listeners in master.cf name 127.0.0.1 anyway).
inet_interfaces = loopback-only
inet_protocols = ipv4

# Closed like a real MX: the test client (127.0.0.1) is NOT in mynetworks, so
# relaying is refused with 554 5.7.1; local recipients still pass because
# reject_unauth_destination lets mail for \$mydestination through.
mynetworks = 127.0.0.2/32
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination

# Nothing ever leaves the box, and nothing waits on DNS.
default_transport = error:smtp-probe CI instance delivers locally only
relay_transport = error:smtp-probe CI instance delivers locally only
smtp_dns_support_level = disabled
smtpd_peername_lookup = no

# Users without Unix accounts: everything is an alias, delivered to files.
alias_maps = hash:$CONF/aliases
alias_database = hash:$CONF/aliases
local_recipient_maps = \$alias_maps
allow_mail_to_files = alias
allow_mail_to_commands =
biff = no

# VRFY on by default; port 2526 turns it off in master.cf.
disable_vrfy_command = no

# STARTTLS offered (opportunistic) on 2525; 2526 overrides this to none.
smtpd_tls_security_level = may
smtpd_tls_cert_file = $TLS/cert.pem
smtpd_tls_key_file = $TLS/key.pem
smtpd_tls_loglevel = 1

# No syslog here: log to a file through the postlog service.
maillog_file = $LOG
maillog_file_prefixes = $STATE
CF
  # master.cf written from scratch: only our two inet listeners (no :25 smtpd,
  # no submission/smtps), every service unchrooted (the queue dir is not set
  # up as a chroot), plus postlog for maillog_file.
  cat >"$CONF/master.cf" <<'CF'
# Generated by .ci/postfix.sh. service type private unpriv chroot wakeup maxproc command
127.0.0.1:2525 inet n   -       n       -       -       smtpd
  -o syslog_name=postfix/vrfy
127.0.0.1:2526 inet n   -       n       -       -       smtpd
  -o syslog_name=postfix/novrfy
  -o disable_vrfy_command=yes
  -o smtpd_tls_security_level=none
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF

  cat >"$CONF/aliases" <<AL
# Generated by .ci/postfix.sh. Local users exist only here.
alice: $MAIL/alice
bob: $MAIL/bob
carol: $MAIL/carol
staff: alice, bob
postmaster: alice
root: alice
MAILER-DAEMON: postmaster
AL
  # Postfix commands sleep (in 0.3 s steps, ~2.5 s here) while main.cf looks
  # "just written" (mtime within the last second or so), to avoid reading a file
  # that is still being edited. Ours is complete, so backdate it.
  touch -d "@$(($(date +%s) - 10))" "$CONF/main.cf" "$CONF/master.cf"
  postalias -c "$CONF" "hash:$CONF/aliases"

  # Empty mailboxes up front, so tests can read/size them before the first delivery.
  install -o nobody -g nogroup -m 644 /dev/null "$MAIL/alice"
  install -o nobody -g nogroup -m 644 /dev/null "$MAIL/bob"
  install -o nobody -g nogroup -m 644 /dev/null "$MAIL/carol"

  cat >"$STATE/env" <<ENV
POSTFIX_VRFY_ADDR=127.0.0.1:$VRFY_PORT
POSTFIX_NOVRFY_ADDR=127.0.0.1:$NOVRFY_PORT
POSTFIX_MAILDIR=$MAIL
POSTFIX_CERT=$TLS/cert.pem
POSTFIX_DOMAIN=$DOMAIN
POSTFIX_HOSTNAME=$HOSTNAME_FQDN
POSTFIX_MAILLOG=$LOG
ENV
}

cmd_start() {
  command -v postfix >/dev/null || die "postfix is not installed (run: $0 install)"

  # Re-runnable: a previous instance is stopped, and its mail, queue and log are
  # cleared so each run starts from an empty mailbox and a fresh log.
  if is_running; then
    log "an instance is already running from $CONF; stopping it first"
    cmd_stop
  fi
  # Anything still answering now is not ours (or is an orphan whose state dir was
  # deleted under it): fail clearly instead of with "address already in use".
  local port
  for port in "$VRFY_PORT" "$NOVRFY_PORT"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      ss -ltnp "sport = :$port" >&2 2>/dev/null || true
      die "127.0.0.1:$port is already in use by another process"
    fi
  done
  rm -rf "$CONF" "$QUEUE" "$DATA" "$MAIL" "$TLS" "$(dirname "$LOG")" "$STATE/env"

  log "writing config into $STATE"
  write_config

  # `postfix check` also creates missing queue subdirectories with the right owners.
  if ! pf check; then
    log_tail "$LOG"
    die "postfix check failed"
  fi
  log "postfix start"
  if ! pf start; then
    log_tail "$LOG"
    die "postfix start failed"
  fi

  # master binds its listeners before `postfix start` returns, but wait for real
  # 220 greetings on both ports before telling the tests to go.
  local deadline=$((SECONDS + 20)) g1="" g2=""
  while :; do
    [ -n "$g1" ] || g1=$(greeting "$VRFY_PORT" || true)
    [ -n "$g2" ] || g2=$(greeting "$NOVRFY_PORT" || true)
    if [ -n "$g1" ] && [ -n "$g2" ]; then break; fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log_tail "$LOG"
      # Do not leave a half-working instance behind.
      pf stop >/dev/null 2>&1 || true
      die "no 220 greeting within 20 s (2525: '${g1:-none}', 2526: '${g2:-none}')"
    fi
    sleep 0.2
  done

  cat <<SUM
Postfix $(postconf -c "$CONF" -h mail_version) running (config dir $CONF)
  127.0.0.1:$VRFY_PORT   VRFY on,  STARTTLS offered   greeting: $g1
  127.0.0.1:$NOVRFY_PORT   VRFY off, no STARTTLS        greeting: $g2
  recipients: alice@$DOMAIN bob@$DOMAIN staff@$DOMAIN(->alice,bob) carol@$DOMAIN(send tests); others 550 5.1.1; relay 554 5.7.1
  mailboxes:  $MAIL/{alice,bob,carol}   cert: $TLS/cert.pem   log: $LOG
  env file:   $STATE/env
SUM
}

# -------------------------------------------------------------------- stop
cmd_stop() {
  if ! is_running; then
    log "not running (config dir $CONF)"
    return 0
  fi
  pf stop || true
  # `postfix stop` only signals master; wait until it and the listeners are gone
  # so an immediate start does not hit "address already in use".
  local deadline=$((SECONDS + 15))
  while is_running || greeting "$VRFY_PORT" >/dev/null || greeting "$NOVRFY_PORT" >/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "postfix did not stop within 15 s; trying abort"
      pf abort || true
      sleep 1
      break
    fi
    sleep 0.2
  done
  log "stopped"
}

# ------------------------------------------------------------------ status
cmd_status() {
  local rc=0
  if is_running; then
    echo "postfix: running (config dir $CONF)"
  else
    echo "postfix: not running (config dir $CONF)"
    rc=1
  fi
  local port g
  for port in "$VRFY_PORT" "$NOVRFY_PORT"; do
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
