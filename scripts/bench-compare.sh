#!/usr/bin/env bash
# Runs the benchmark suite with mpirun-deno (Deno, Bun, and the compiled binary when dist/ has it) and the
# same cases with mpi4py on Open MPI, over its TCP transport (--mca btl self,tcp) and over its default
# shared-memory one, in the same run; then prints each case as a ratio, ours / theirs.
#
#   scripts/bench-compare.sh [run.ts options, e.g. --quick or --only latency]
#
# Results go to .tmp/bench/ (one JSON-lines file per implementation, and ratios.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mpirun >/dev/null || ! /usr/bin/python3 -c "import mpi4py, numpy" 2>/dev/null; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openmpi-bin python3-mpi4py python3-numpy >/dev/null
fi

DENO=node_modules/.bin/deno
OUT=.tmp/bench
mkdir -p "$OUT"
echo "== mpirun-deno" >&2
"$DENO" run -A scripts/bench/run.ts "$@" >"$OUT/mpirun-deno.jsonl"
echo "== mpi4py on Open MPI, TCP" >&2
"$DENO" run -A scripts/bench/run.ts --impl mpi4py-tcp "$@" >"$OUT/mpi4py-tcp.jsonl"
echo "== mpi4py on Open MPI, default transport (shared memory)" >&2
"$DENO" run -A scripts/bench/run.ts --impl mpi4py-shm "$@" >"$OUT/mpi4py-shm.jsonl"
"$DENO" run -A scripts/bench/compare.ts "$OUT"/mpirun-deno.jsonl "$OUT"/mpi4py-tcp.jsonl "$OUT"/mpi4py-shm.jsonl \
  | tee "$OUT/ratios.md"
