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
