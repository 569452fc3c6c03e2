#!/usr/bin/env bash
# Fake "hosts" for the ssh launcher tests: N sshd instances, each in its own
# network namespace (preferred) or on a loopback alias (fallback).
#
# Usage: scripts/services/ssh_hosts.sh up|down|env|status
#
#   up      create the hosts (tears down a half-broken previous set first; a
#           healthy running set is left as is), print the exports
#   down    stop every sshd we started (by pid), delete namespaces, bridge,
#           /etc/hosts lines and the state dir; safe to run twice
#   env     print shell exports for tests: eval "$(ssh_hosts.sh env)"
#   status  exit 0 if every host answers over ssh
#
# Layout (netns mode, the default when `ip netns add` works), with PREFIX and
# NET derived from the state dir (see state.sh; `up` prints them):
#   bridge PREFIX-br0 on the host, NET.1/24
#   namespace PREFIX-hI, veth "eth0" inside with NET.(10+I)/24, attached to
#   the bridge through host end PREFIX-vI; only a /24 route inside (no default
#   route, no forwarding), so traffic stays between these addresses.
#   sshd in each namespace on port 22, also in its own UTS namespace with
#   hostname PREFIX-hI (so `ssh PREFIX-h2 hostname` prints PREFIX-h2).
#   scripts/services/slurm.sh runs its slurmd nodes in these namespaces too.
# Loopback mode (MPD_SSH_WANT_MODE=loopback, or automatic when netns is refused):
#   hosts PREFIX-hI -> 127.0.0.(1+I), sshd on port 22 of that address (2222 if
#   something already listens on *:22); hostname is shared with the machine.
#
#   A black hole, NET.250: a permanent neighbour entry on the bridge with a
#   MAC address nobody has, so packets to it vanish without an answer (as to
#   a host that is switched off); exported as MPD_SSH_BLACKHOLE. A
#   low-priority `prohibit` route for NET.0/24 keeps test traffic from
#   leaving by the default route while the bridge is down.
# Knobs (environment): MPD_SSH_NHOSTS (3), MPD_SERVICES_STATE (state.sh),
# MPD_SSH_WANT_MODE (auto|netns|loopback), MPD_SSH_UTS (1: own hostname per
# netns host; 0: shared hostname).
#
# State per checkout: the state dir derives from the checkout's path, and the
# prefix ("m" and 3 hex digits), the subnet (10.213.<8..247>) and the
# /etc/hosts tag derive from the state dir, so that another checkout's set
# runs beside this one. MPD_SSH_PREFIX and MPD_SSH_NET override them.
set -euo pipefail

# shellcheck source=state.sh
source "$(dirname "${BASH_SOURCE[0]}")/state.sh"
STATE=$BASE/ssh
N=${MPD_SSH_NHOSTS:-3}
WANT_MODE=${MPD_SSH_WANT_MODE:-auto}
UTS=${MPD_SSH_UTS:-1}
PREFIX=${MPD_SSH_PREFIX:-m$(printf %03x $((BASE_HASH % 4096)))}
NET=${MPD_SSH_NET:-10.213.$((8 + BASE_HASH % 240))}
BRIDGE=$PREFIX-br0
BLACKHOLE=$NET.250
BLACKHOLE_MAC=02:00:00:00:00:fa
PROHIBIT_METRIC=4000
HOSTS_TAG="# mpirun-deno-services ssh_hosts"
HOSTS_TAG="$HOSTS_TAG $PREFIX"
SSHD=/usr/sbin/sshd
LOG=$STATE/ssh_hosts.log

log() { echo "[ssh_hosts] $*" >&2; }
die() {
  echo "[ssh_hosts] ERROR: $*" >&2
  show_logs
  exit 1
}

show_logs() {
  local f
  for f in "$LOG" "$STATE"/h*/sshd.log; do
    [[ -s $f ]] || continue
    echo "----- tail $f -----" >&2
    tail -n 25 "$f" >&2 || true
  done
}

host_name() { echo "$PREFIX-h$1"; }

# ---------------------------------------------------------------- /etc/hosts
hosts_remove() {
  [[ -f /etc/hosts ]] || return 0
  # Only this set's lines (the tag ends the line: another set's tag is longer).
  if awk -v tag=" $HOSTS_TAG" 'substr($0, length($0) - length(tag) + 1) == tag { found = 1 } END { exit !found }' /etc/hosts; then
    local tmp
    tmp=$(mktemp)
    awk -v tag=" $HOSTS_TAG" 'substr($0, length($0) - length(tag) + 1) != tag' /etc/hosts >"$tmp" || true
    # Rewrite in place (not rename): /etc/hosts may be a bind mount.
    cat "$tmp" >/etc/hosts
    rm -f "$tmp"
  fi
}

hosts_add() { # addr name
  echo "$1 $2 $HOSTS_TAG" >>/etc/hosts
}

# ---------------------------------------------------------------- down
# A pid counts as alive unless gone or a zombie (this machine's init reaps
# orphans lazily, so killed daemons can linger as zombies for a while).
alive() {
  local st
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# all descendants of a pid (children, grandchildren, ...)
descendants() {
  local all
  all=$(awk '{ s=$0; sub(/^.*\) /, "", s); split(s, f, " "); print $1, f[2] }' /proc/[0-9]*/stat 2>/dev/null || true)
  awk -v root="$1" '
    { kids[$2] = kids[$2] " " $1 }
    END {
      n = split(kids[root], q, " "); i = 1
      while (i <= n) { p = q[i++]; print p; m = split(kids[p], c, " "); for (j = 1; j <= m; j++) q[++n] = c[j] }
    }' <<<"$all"
}

# Stop an sshd by its pidfile, and the sessions (and their commands) that it
# spawned: sshd's listener leaves running sessions alone on SIGTERM.
kill_pidfile() {
  local pf=$1 pid i kids
  [[ -f $pf ]] || return 0
  pid=$(cat "$pf" 2>/dev/null || true)
  if alive "$pid"; then
    kids=$(descendants "$pid")
    # shellcheck disable=SC2086
    [[ -z $kids ]] || kill $kids 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$pf"
}

do_down() {
  local i ns pf nmax=$N
  # Use the host count recorded at `up` time, if larger.
  if [[ -f $STATE/nhosts ]]; then
    local rec
    rec=$(cat "$STATE/nhosts")
    [[ $rec =~ ^[0-9]+$ ]] && ((rec > nmax)) && nmax=$rec
  fi
  for pf in "$STATE"/h*/sshd.pid; do
    [[ -e $pf ]] && kill_pidfile "$pf"
  done
  for i in $(seq 1 "$nmax"); do
    ns=$(host_name "$i")
    if ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns"; then
      # Anything else still running in the namespace was started by us (ssh
      # sessions of tests): end it by pid.
      local pids
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      if [[ -n $pids ]]; then
        # shellcheck disable=SC2086
        kill $pids 2>/dev/null || true
        sleep 0.2
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        # shellcheck disable=SC2086
        [[ -n $pids ]] && kill -9 $pids 2>/dev/null || true
      fi
      ip netns del "$ns" 2>/dev/null || true
    fi
    ip link del "$PREFIX-v$i" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  ip route del prohibit "$NET.0/24" metric "$PROHIBIT_METRIC" 2>/dev/null || true
  hosts_remove
  rm -rf "$STATE"
  rmdir "$BASE" 2>/dev/null || true
}

# ---------------------------------------------------------------- up
netns_allowed() {
  local probe=$PREFIX-probe$$
  if ip netns add "$probe" 2>/dev/null; then
    local ok=0
    ip netns exec "$probe" ip link set lo up 2>/dev/null && ok=1
    ip netns del "$probe" 2>/dev/null || true
    if ((ok)) && ip link add $PREFIX-probe-br type bridge 2>/dev/null; then
      ip link del $PREFIX-probe-br 2>/dev/null || true
      ip link add $PREFIX-probe-a type veth peer name $PREFIX-probe-b 2>/dev/null || return 1
      ip link del $PREFIX-probe-a 2>/dev/null || true
      return 0
    fi
  fi
  return 1
}

write_sshd_config() { # dir listen_addr port
  local d=$1 addr=$2 port=$3 usepam=no
  # With UsePAM no, sshd refuses accounts whose password field is locked
  # ("!..."); PAM-mode accepts key logins for them.
  if [[ $(getent shadow root 2>/dev/null | cut -d: -f2) == '!'* ]]; then
    usepam=yes
  fi
  cat >"$d/sshd_config" <<EOF
# generated by scripts/services/ssh_hosts.sh
ListenAddress $addr:$port
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM $usepam
StrictModes no
AcceptEnv MPIRUN_DENO_*
UseDNS no
PrintMotd no
PrintLastLog no
X11Forwarding no
# the launcher may open many sessions at once
MaxStartups 200:30:400
MaxSessions 200
LoginGraceTime 30
ClientAliveInterval 0
LogLevel INFO
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

start_sshd() { # i addr port mode
  local i=$1 addr=$2 port=$3 mode=$4 d ns hn
  d=$STATE/h$i
  ns=$(host_name "$i")
  hn=$ns
  mkdir -p "$d"
  ssh-keygen -q -t ed25519 -N '' -C "$hn-hostkey" -f "$d/ssh_host_ed25519_key" >>"$LOG" 2>&1
  write_sshd_config "$d" "$addr" "$port"
  "$SSHD" -t -f "$d/sshd_config" >>"$LOG" 2>&1 || die "sshd -t rejected $d/sshd_config"
  : >"$d/sshd.log"
  if [[ $mode == netns ]]; then
    if [[ $UTS == 1 ]]; then
      ip netns exec "$ns" unshare --uts /bin/sh -c \
        'hostname "$1" && exec "$2" -f "$3" -E "$4"' sh \
        "$hn" "$SSHD" "$d/sshd_config" "$d/sshd.log" </dev/null >>"$LOG" 2>&1 9>&- ||
        die "sshd for $ns failed to start"
    else
      ip netns exec "$ns" "$SSHD" -f "$d/sshd_config" -E "$d/sshd.log" </dev/null >>"$LOG" 2>&1 9>&- ||
        die "sshd for $ns failed to start"
    fi
  else
    "$SSHD" -f "$d/sshd_config" -E "$d/sshd.log" </dev/null >>"$LOG" 2>&1 9>&- ||
      die "sshd for $ns failed to start"
  fi
}

write_client_files() { # mode port
  local mode=$1 port=$2 i addr hn
  {
    echo "# generated by scripts/services/ssh_hosts.sh; use: ssh -F $STATE/ssh_config $PREFIX-h1"
    for i in $(seq 1 "$N"); do
      hn=$(host_name "$i")
      addr=$(addr_of "$i" "$mode")
      echo "Host $hn"
      echo "  HostName $addr"
      echo "  Port $port"
      echo
    done
    if [[ $mode == netns ]]; then
      echo "Host $NET.*"
    else
      echo "Host 127.0.0.*"
    fi
    echo "  Port $port"
    echo
    echo "Host $PREFIX-h* $(if [[ $mode == netns ]]; then echo "$NET.*"; else echo "127.0.0.*"; fi)"
    echo "  User root"
    echo "  IdentityFile $STATE/id_ed25519"
    echo "  IdentitiesOnly yes"
    echo "  StrictHostKeyChecking no"
    echo "  UserKnownHostsFile /dev/null"
    echo "  BatchMode yes"
    echo "  LogLevel ERROR"
    echo "  ConnectTimeout 10"
  } >"$STATE/ssh_config"
}

addr_of() { # i mode
  if [[ $2 == netns ]]; then
    echo "$NET.$((10 + $1))"
  else
    echo "127.0.0.$((1 + $1))"
  fi
}

write_env() { # mode port
  local mode=$1 port=$2 i hosts="" addrs="" hostaddr headname
  for i in $(seq 1 "$N"); do
    hosts+="${hosts:+ }$(host_name "$i")"
    addrs+="${addrs:+ }$(addr_of "$i" "$mode")"
  done
  local blackhole=""
  if [[ $mode == netns ]]; then hostaddr=$NET.1 headname=$PREFIX-head blackhole=$BLACKHOLE; else hostaddr=127.0.0.1 headname=localhost; fi
  cat >"$STATE/env.sh" <<EOF
export MPD_SSH_MODE=$mode
export MPD_SSH_STATE=$STATE
export MPD_SSH_CONFIG=$STATE/ssh_config
export MPD_SSH_KEY=$STATE/id_ed25519
export MPD_SSH_HOSTS="$hosts"
export MPD_SSH_ADDRS="$addrs"
export MPD_SSH_PORT=$port
export MPD_SSH_HOST_ADDR=$hostaddr
export MPD_SSH_HEAD=$headname
export MPD_SSH_CMD="ssh -F $STATE/ssh_config"
export MPD_SSH_PREFIX=$PREFIX
export MPD_SSH_BRIDGE=$BRIDGE
export MPD_SSH_BLACKHOLE=$blackhole
EOF
}

healthy() {
  [[ -f $STATE/env.sh && -f $STATE/ssh_config ]] || return 1
  local h pf
  for pf in "$STATE"/h*/sshd.pid; do
    [[ -f $pf ]] && alive "$(cat "$pf")" || return 1
  done
  # shellcheck disable=SC1091
  for h in $(. "$STATE/env.sh"; echo "$MPD_SSH_HOSTS"); do
    ssh -F "$STATE/ssh_config" -o ConnectTimeout=3 "$h" true </dev/null >/dev/null 2>&1 || return 1
  done
}

do_up() {
  local t0 mode port=22 i ns addr
  t0=$(date +%s.%N)
  [[ $(id -u) -eq 0 ]] || { echo "[ssh_hosts] must run as root" >&2; exit 1; }
  command -v "$SSHD" >/dev/null || [[ -x $SSHD ]] ||
    die "sshd not installed: run scripts/services/install.sh"
  command -v ssh >/dev/null || die "ssh client not installed: run scripts/services/install.sh"

  if healthy; then
    log "already up ($(cat "$STATE/nhosts") hosts)"
    cat "$STATE/env.sh"
    return 0
  fi
  do_down
  mkdir -p "$STATE"
  : >"$LOG"
  echo "$N" >"$STATE/nhosts"

  case $WANT_MODE in
    netns) netns_allowed || die "network namespaces not available (MPD_SSH_WANT_MODE=netns)"; mode=netns ;;
    loopback) mode=loopback ;;
    auto)
      if netns_allowed; then mode=netns; else
        mode=loopback
        log "network namespaces not allowed here: falling back to loopback aliases"
      fi ;;
    *) die "bad MPD_SSH_WANT_MODE=$WANT_MODE (auto|netns|loopback)" ;;
  esac
  echo "$mode" >"$STATE/mode"

  # sshd's privilege-separation directory (normally made by systemd).
  mkdir -p /run/sshd
  chmod 0755 /run/sshd

  ssh-keygen -q -t ed25519 -N '' -C mpirun-deno-tests -f "$STATE/id_ed25519" >>"$LOG" 2>&1
  cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
  chmod 600 "$STATE/authorized_keys" "$STATE/id_ed25519"

  if [[ $mode == netns ]]; then
    {
      ip link add "$BRIDGE" type bridge
      ip addr add "$NET.1/24" dev "$BRIDGE"
      ip link set "$BRIDGE" up
      # Nothing for the test subnet leaves by the default route when the bridge is down.
      ip route replace prohibit "$NET.0/24" metric "$PROHIBIT_METRIC"
      for i in $(seq 1 "$N"); do
        ns=$(host_name "$i")
        addr=$(addr_of "$i" netns)
        ip netns add "$ns"
        ip link add "$PREFIX-v$i" type veth peer name "$PREFIX-v${i}p"
        ip link set "$PREFIX-v${i}p" netns "$ns"
        ip link set "$PREFIX-v$i" master "$BRIDGE"
        ip link set "$PREFIX-v$i" up
        ip -n "$ns" link set lo up
        ip -n "$ns" link set "$PREFIX-v${i}p" name eth0
        ip -n "$ns" addr add "$addr/24" dev eth0
        ip -n "$ns" link set eth0 up
      done
      # After the ports: a bridge without carrier drops its neighbour entries, permanent ones too.
      ip neigh replace "$BLACKHOLE" lladdr "$BLACKHOLE_MAC" dev "$BRIDGE" nud permanent
    } >>"$LOG" 2>&1 || die "network setup failed"
  else
    # Something on *:22 would make binding 127.0.0.x:22 fail.
    if ss -Hltn 2>/dev/null | awk '{print $4}' | grep -Eq '^(0\.0\.0\.0|\*|\[::\]):22$'; then
      port=2222
    fi
  fi

  for i in $(seq 1 "$N"); do
    start_sshd "$i" "$(addr_of "$i" "$mode")" "$port" "$mode"
  done

  hosts_remove
  if [[ $mode == netns ]]; then
    # The launcher's side, as seen from inside the namespaces ("vm" or
    # localhost would resolve to each namespace's own loopback there).
    hosts_add "$NET.1" "$PREFIX-head"
  fi
  for i in $(seq 1 "$N"); do
    hosts_add "$(addr_of "$i" "$mode")" "$(host_name "$i")"
  done

  write_client_files "$mode" "$port"
  write_env "$mode" "$port"

  # Wait until every host answers over ssh (sshd daemonizes before listening
  # is guaranteed only by the pidfile; poll to be sure).
  local h ok deadline t_check
  deadline=$(($(date +%s) + 20))
  t_check=$(($(date +%s) + 1))
  for i in $(seq 1 "$N"); do
    h=$(host_name "$i")
    ok=0
    while (($(date +%s) < deadline)); do
      if ssh -F "$STATE/ssh_config" -o ConnectTimeout=2 "$h" true </dev/null >/dev/null 2>&1; then
        ok=1
        break
      fi
      if (($(date +%s) >= t_check)) && ! alive "$(cat "$STATE/h$i/sshd.pid" 2>/dev/null)"; then
        die "sshd of $h is not running (see $STATE/h$i/sshd.log)"
      fi
      sleep 0.2
    done
    if ((!ok)); then
      ssh -F "$STATE/ssh_config" -o ConnectTimeout=2 "$h" true </dev/null >>"$LOG" 2>&1 ||
        die "$h does not answer over ssh"
    fi
  done

  if [[ $mode == netns ]]; then
    # Routing check: namespace -> other namespace (ssh from inside PREFIX-h1 to
    # PREFIX-h2's address) and namespace -> host side (a TCP connect to the
    # bridge address must connect or be refused, not time out / be unroutable).
    if ((N >= 2)); then
      ip netns exec "$(host_name 1)" ssh -F "$STATE/ssh_config" -o ConnectTimeout=3 \
        "$(addr_of 2 netns)" true </dev/null >>"$LOG" 2>&1 ||
        die "$(host_name 1) cannot reach $(addr_of 2 netns) over ssh"
    fi
    local out
    out=$(ip netns exec "$(host_name 1)" timeout 3 bash -c "exec 3<>/dev/tcp/$NET.1/9" 2>&1) || true
    [[ -z $out || $out == *refused* ]] || die "$(host_name 1) cannot reach host side $NET.1: $out"
  fi
  # Env forwarding check (AcceptEnv MPIRUN_DENO_*).
  local got
  got=$(MPIRUN_DENO_TOKEN=probe-$$ ssh -F "$STATE/ssh_config" -o SendEnv=MPIRUN_DENO_TOKEN \
    "$(host_name 1)" 'echo "$MPIRUN_DENO_TOKEN"' </dev/null 2>>"$LOG") || true
  [[ $got == "probe-$$" ]] || die "SendEnv/AcceptEnv MPIRUN_DENO_* does not work (got '$got')"

  log "up: $N hosts, mode=$mode, port=$port, in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s"
  cat "$STATE/env.sh"
}

do_env() {
  if [[ ! -f $STATE/env.sh ]]; then
    echo "[ssh_hosts] not up (no $STATE/env.sh); run: $0 up" >&2
    exit 1
  fi
  cat "$STATE/env.sh"
}

# One up/down at a time (tests may call these concurrently). The lock file
# lives beside, not in, the state dir that `down` deletes.
lock() {
  mkdir -p "$(dirname "$BASE")"
  exec 9>"$BASE.ssh.lock"
  flock -w 120 9 || { echo "[ssh] could not get lock $BASE.ssh.lock" >&2; exit 1; }
}

case "${1:-}" in
  up|down) lock ;;
esac

case "${1:-}" in
  up) do_up ;;
  down)
    do_down
    log "down"
    ;;
  env) do_env ;;
  status)
    if healthy; then log "up"; else log "not up"; exit 1; fi ;;
  *)
    echo "usage: $0 up|down|env|status" >&2
    exit 2 ;;
esac
