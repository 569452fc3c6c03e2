#!/usr/bin/env bash
# Runs the benchmark suite with mpirun-deno (Deno, Bun, and the compiled binary when dist/ has it) and the
# same cases with mpi4py on Open MPI, over its TCP transport (--mca btl self,tcp) and over its default
# shared-memory one, in the same run; then prints each case as a ratio, ours / theirs.
#
#   scripts/bench-compare.sh [run.ts options, e.g. --quick or --only latency]
#   RUNS=1 scripts/bench-compare.sh          # one run instead of 3
#
# The machine is shared and has 2 cores, so one run can be far off: the whole comparison runs RUNS times
# (default 3), and the table gives each ratio's median over the runs and its range.
# Results go to .tmp/bench/run-N/ (one JSON-lines file per implementation) and .tmp/bench/ratios.md.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v mpirun >/dev/null || ! /usr/bin/python3 -c "import mpi4py, numpy" 2>/dev/null; then
  SUDO=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openmpi-bin python3-mpi4py python3-numpy >/dev/null
fi

DENO=node_modules/.bin/deno
OUT=.tmp/bench
RUNS=${RUNS:-3}
rm -rf "$OUT"/run-*
for run in $(seq 1 "$RUNS"); do
  DIR="$OUT/run-$run"
  mkdir -p "$DIR"
  # One group at a time, each implementation in turn, so that a burst of load on the machine (two cores,
  # shared) falls on both sides of a ratio rather than on one.
  for group in p2p coll pi hello; do
    echo "== run $run/$RUNS, $group: mpi4py on Open MPI, TCP" >&2
    "$DENO" run -A scripts/bench/run.ts --impl mpi4py-tcp --groups "$group" "$@" >>"$DIR/mpi4py-tcp.jsonl"
    echo "== run $run/$RUNS, $group: mpirun-deno" >&2
    "$DENO" run -A scripts/bench/run.ts --groups "$group" "$@" >>"$DIR/mpirun-deno.jsonl"
    echo "== run $run/$RUNS, $group: mpi4py on Open MPI, default transport (shared memory)" >&2
    "$DENO" run -A scripts/bench/run.ts --impl mpi4py-shm --groups "$group" "$@" >>"$DIR/mpi4py-shm.jsonl"
  done
done
"$DENO" run -A scripts/bench/compare.ts "$OUT"/run-* | tee "$OUT/ratios.md"
