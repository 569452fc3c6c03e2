#!/usr/bin/env bash
# Install the system packages that the ssh / Slurm integration tests need (and Chromium, for the screenshot
# of the --report page).
#
# Idempotent and non-interactive: packages that are already installed are
# skipped (a re-run with nothing to do takes well under a second and does not
# touch apt at all). Services are NOT started here (on machines without an
# init, /usr/sbin/policy-rc.d usually forbids it anyway); use
# scripts/services/ssh_hosts.sh and scripts/services/slurm.sh for that.
#
# Usage: scripts/services/install.sh [--ssh-only|--slurm-only]
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

SSH_PKGS=(openssh-server openssh-client)
SLURM_PKGS=(slurm-wlm slurmctld slurmd slurm-client munge)
BASE_PKGS=(iproute2 procps)
# The screenshot test of the --report HTML page (tests/observe/report_test.ts) opens it in headless Chromium.
BROWSER_PKGS=(chromium)

case "${1:-all}" in
  --ssh-only) WANT=("${BASE_PKGS[@]}" "${SSH_PKGS[@]}") ;;
  --slurm-only) WANT=("${BASE_PKGS[@]}" "${SLURM_PKGS[@]}") ;;
  all|--all) WANT=("${BASE_PKGS[@]}" "${SSH_PKGS[@]}" "${SLURM_PKGS[@]}" "${BROWSER_PKGS[@]}") ;;
  -h|--help)
    sed -n '2,12p' "$0"; exit 0 ;;
  *) echo "install.sh: unknown argument: $1" >&2; exit 2 ;;
esac

log() { echo "[services/install] $*"; }

if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
else
  SUDO=
fi

is_installed() {
  # dpkg-query prints "install ok installed" for a fully installed package.
  local st
  st=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)
  [[ $st == "install ok installed" ]]
}

missing=()
for p in "${WANT[@]}"; do
  if is_installed "$p"; then
    log "already installed: $p"
  else
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "nothing to do"
  exit 0
fi

log "installing: ${missing[*]}"
start=$(date +%s)

apt_install() {
  $SUDO apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}"
}

# Refresh the package lists only when they are absent/stale or the install
# fails because of them (saves ~10 s on machines that already ran update).
lists_fresh() {
  local newest
  newest=$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -360 2>/dev/null | head -n1)
  [[ -n $newest ]]
}

if ! lists_fresh; then
  log "apt-get update"
  $SUDO apt-get update -q
fi

if ! apt_install; then
  log "install failed; retrying after apt-get update"
  $SUDO apt-get update -q
  apt_install
fi

still=()
for p in "${missing[@]}"; do
  is_installed "$p" || still+=("$p")
done
if [[ ${#still[@]} -ne 0 ]]; then
  echo "[services/install] ERROR: still not installed: ${still[*]}" >&2
  exit 1
fi

log "installed ${missing[*]} in $(( $(date +%s) - start ))s"
