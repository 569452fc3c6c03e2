# shellcheck shell=bash
# Sourced by ssh_hosts.sh and slurm.sh: where this checkout's services keep their state, and what derives from
# it, so that two checkouts (or a checkout and an explicit MPD_SERVICES_STATE) run their services side by side
# instead of one using, and then stopping, the other's.
#
#   BASE        the state dir: MPD_SERVICES_STATE, else /tmp/mpirun-deno-services-<hash of the checkout path>
#   BASE_HASH   a number derived from BASE, from which the scripts derive names, a subnet and ports
#
# `bash scripts/services/state.sh` prints BASE.

SERVICES_CHECKOUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
BASE=${MPD_SERVICES_STATE:-/tmp/mpirun-deno-services-$(printf %s "$SERVICES_CHECKOUT" | cksum | awk '{printf "%08x", $1}')}
BASE_HASH=$(printf %s "$BASE" | cksum | awk '{print $1}')

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  echo "$BASE"
fi
