# Shared helpers of the .ci peer scripts (sourced, not run). Set SCRIPT_NAME first.

log() { printf '[%s %s] %s\n' "${SCRIPT_NAME:-ci}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# require_state_dir VAR VALUE: the state dir is wiped on start, so refuse anything odd.
require_state_dir() {
  case "$2" in
    /*) ;;
    *) die "$1 must be an absolute path (got '$2')" ;;
  esac
  [ "$2" != "/" ] || die "$1 must not be /"
}

# apt_install PKG...: install only the packages that are missing (naming an installed
# package to apt-get would upgrade it and its libraries as a side effect), noninteractive;
# refresh package lists only when they are empty or the install fails.
apt_install() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "$* already installed"
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get install -y -q --no-install-recommends "${missing[@]}")
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    log "apt package lists are empty: apt-get update"
    apt-get update -q
  fi
  log "apt-get install ${missing[*]}"
  if ! "${apt[@]}"; then
    log "install failed; retrying after apt-get update"
    apt-get update -q
    "${apt[@]}"
  fi
}

# log_tail FILE: the end of a peer's log on stderr, for a failed start.
log_tail() {
  if [ -f "$1" ]; then
    log "last lines of $1:"
    tail -n 40 "$1" >&2
  else
    log "(no log at $1)"
  fi
}

# apt_install_no_start PKG...: apt_install while every package's attempt to start its system
# service is refused (policy-rc.d exit 101, "action forbidden by policy"). Debian's nginx starts
# a server on 0.0.0.0:80 from its postinst when it can; ours run from private configs instead.
# A policy-rc.d already on the machine (Docker images ship one) is left as it is.
apt_install_no_start() {
  local guard=/usr/sbin/policy-rc.d
  if [ -e "$guard" ]; then
    apt_install "$@"
    return
  fi
  (
    # A subshell so the guard goes away however the install ends (a failure, a timeout's TERM).
    trap 'rm -f "$guard"' EXIT
    trap 'exit 143' TERM
    trap 'exit 130' INT
    printf '#!/bin/sh\n# smtp-probe CI (.ci/lib.sh): packages must not start services.\nexit 101\n' >"$guard"
    chmod 755 "$guard"
    apt_install "$@"
  )
}

# no_wide_listener NAME: fail if a process whose command name is NAME listens anywhere but
# loopback (a system instance started by a package, or a config gone wrong).
no_wide_listener() {
  local wide
  wide=$(ss -Hltnup 2>/dev/null | grep -F "((\"$1\"" | awk '{print $5}' | grep -vE '^(127\.|\[::1\]:|::1:)' || true)
  [ -z "$wide" ] || die "$1 listens beyond loopback: $(echo "$wide" | tr '\n' ' ')"
}

# make_ca DIR CN: DIR/ca.pem and DIR/ca.key, a private CA valid 30 days (P-256, new each start).
make_ca() {
  mkdir -p "$1"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
    -keyout "$1/ca.key" -out "$1/ca.pem" -subj "/CN=$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    >/dev/null 2>&1 || die "openssl could not make the CA $2"
  chmod 600 "$1/ca.key"
  chmod 644 "$1/ca.pem"
}

# make_leaf DIR CN SAN: DIR/cert.pem and DIR/key.pem for a TLS server, signed by DIR/ca.pem;
# SAN in openssl's form ("DNS:a.test,IP:127.0.0.1").
make_leaf() {
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$1/key.pem" -out "$1/leaf.csr" -subj "/CN=$2" >/dev/null 2>&1 ||
    die "openssl could not make a key for $2"
  printf '%s\n' "subjectAltName=$3" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$1/leaf.ext"
  openssl x509 -req -in "$1/leaf.csr" -CA "$1/ca.pem" -CAkey "$1/ca.key" -days 30 \
    -set_serial "0x$(openssl rand -hex 12)" -extfile "$1/leaf.ext" -out "$1/cert.pem" \
    >/dev/null 2>&1 || die "openssl could not sign the certificate for $2"
  rm -f "$1/leaf.csr" "$1/leaf.ext"
  chmod 600 "$1/key.pem"
  chmod 644 "$1/cert.pem"
}

# spki_sha256 CERT: the hex SHA-256 of CERT's SubjectPublicKeyInfo (TLSA selector 1, matching 1).
spki_sha256() {
  openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -d' ' -f1
}

# cmdline_has PID TEXT: PID is a live process (not a zombie: its cmdline is empty) whose command
# line contains TEXT, e.g. the config file our instance was started with.
cmdline_has() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# pid_from_file PIDFILE CHECK: the pid in PIDFILE when `CHECK pid` says it is ours; fails otherwise.
pid_from_file() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(tr -dc '0-9' <"$1")
  [ -n "$pid" ] && "$2" "$pid" || return 1
  printf '%s\n' "$pid"
}

# stop_daemon NAME PIDFILE CHECK [ADDR:PORT]: TERM our instance, wait until it is gone (and its
# port closed, so an immediate start does not hit "address in use"), KILL it and its children
# after 10 s. Idempotent: not running is not an error.
stop_daemon() {
  local name=$1 pidfile=$2 check=$3 endpoint=${4:-} pid
  if ! pid=$(pid_from_file "$pidfile" "$check"); then
    log "not running"
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + 10))
  while "$check" "$pid" || { [ -n "$endpoint" ] && (exec 3<>"/dev/tcp/${endpoint%:*}/${endpoint##*:}") 2>/dev/null; }; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$name (pid $pid) did not stop within 10 s; sending KILL to it and its children"
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
  done
  rm -f "$pidfile"
  log "stopped (pid $pid)"
}
