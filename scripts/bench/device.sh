#!/usr/bin/env bash
# The scale benchmark in one call, for a machine with many cores that has no Deno, Bun or npm: the compiled
# binary (carried xz-compressed) against mpi4py on Open MPI, over its default transport (shared memory) and
# over TCP, in the same run. Writes one directory per rank count in the layout scripts/bench/compare.ts reads
# (mpirun-deno.jsonl, mpi4py-shm.jsonl, mpi4py-tcp.jsonl), so that the figures can be compared and plotted
# where Deno runs:
#
#   scripts/bench/device.sh BINARY.xz OUT [RANKS...]        # default ranks: 2 4 8 16
#   deno run -A scripts/bench/compare.ts OUT/n*             # then, where Deno is
#   deno run -A scripts/bench/plot.ts OUT/n* > docs/bench-scale.svg
#
# Environment: REPS (repetitions per case, default 5), PYTHON (default: python3 on PATH).
set -uo pipefail
cd "$(dirname "$0")/../.."

BINARY_XZ=$1
OUT=$2
shift 2
if [ $# -gt 0 ]; then RANKS=("$@"); else RANKS=(2 4 8 16); fi
REPS=${REPS:-5}
PYTHON=${PYTHON:-$(command -v python3)}
BENCH=scripts/bench
COLL_CASES='^(barrier|bcast/value-small|allreduce/f64-1K|allreduce/f64-1M)$'
P2P_CASES='^(latency/buf-8B|latency/value-small|bandwidth/buf-1MiB|bandwidth/buf-16MiB|idle-wait/cpu)$'

mkdir -p "$OUT"
BIN=$OUT/mpirun-deno
xz -dc "$BINARY_XZ" >"$BIN" && chmod +x "$BIN"
"$BIN" --version
nproc
df -h /dev/shm | tail -1
lscpu | grep -E "Model name|Thread|Socket|NUMA node\(s\)" || true

# Rank 0's `BENCH {json}` lines as the driver's records (see scripts/bench/run.ts).
records() { # impl runtime
  sed -n "s/^.*BENCH {/{\"impl\":\"$1\",\"runtime\":\"$2\",/p"
}
ours() { # ranks program args...
  local n=$1
  shift
  timeout 120 "$BIN" -n "$n" --oversubscribe "$@" 2>>"$OUT/stderr.log"
}
theirs() { # btl ranks program args...
  local btl=$1 n=$2
  shift 2
  local mca=()
  [ "$btl" = tcp ] && mca=(--mca pml ob1 --mca btl self,tcp)
  timeout 120 mpiexec --allow-run-as-root --oversubscribe "${mca[@]}" -x PATH -n "$n" "$PYTHON" "$@" \
    2>>"$OUT/stderr.log"
}

for n in "${RANKS[@]}"; do
  dir=$OUT/n$n
  mkdir -p "$dir"
  echo "== $n ranks" >&2
  args=(--only "$COLL_CASES" --reps "$REPS")
  theirs tcp "$n" "$BENCH/coll.py" "${args[@]}" | records mpi4py-tcp python3 >>"$dir/mpi4py-tcp.jsonl"
  ours "$n" "$BENCH/coll.ts" "${args[@]}" | records mpirun-deno binary >>"$dir/mpirun-deno.jsonl"
  theirs shm "$n" "$BENCH/coll.py" "${args[@]}" | records mpi4py-shm python3 >>"$dir/mpi4py-shm.jsonl"
  if [ "$n" = 2 ]; then
    args=(--only "$P2P_CASES" --reps "$REPS")
    theirs tcp 2 "$BENCH/p2p.py" "${args[@]}" | records mpi4py-tcp python3 >>"$dir/mpi4py-tcp.jsonl"
    ours 2 "$BENCH/p2p.ts" "${args[@]}" | records mpirun-deno binary >>"$dir/mpirun-deno.jsonl"
    theirs shm 2 "$BENCH/p2p.py" "${args[@]}" | records mpi4py-shm python3 >>"$dir/mpi4py-shm.jsonl"
  fi
  # The barrier over messages only (MPIRUN_DENO_TRANSPORT=socket), as before shared memory: how its rounds
  # scale, with the default polling budget and with a wait that never sleeps.
  MPIRUN_DENO_TRANSPORT=socket ours "$n" "$BENCH/coll.ts" --only '^barrier$' --reps "$REPS" |
    records mpirun-deno-socket binary >>"$dir/diagnosis.jsonl"
  MPIRUN_DENO_TRANSPORT=socket MPIRUN_DENO_POLL_US=10000000 ours "$n" "$BENCH/coll.ts" --only '^barrier$' \
    --reps "$REPS" | records mpirun-deno-socket-spin binary >>"$dir/diagnosis.jsonl"
done

# Start-up: the wall time of `-n 16 hello`, ours and mpirun + python3, median of 5.
wall() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>>"$OUT/stderr.log"
  end=$(date +%s%N)
  echo $(((end - start) / 1000))
}
mkdir -p "$OUT/n16"
for impl in mpirun-deno mpi4py-shm; do
  samples=()
  for _ in 1 2 3 4 5 6; do
    if [ "$impl" = mpirun-deno ]; then
      samples+=("$(wall "$BIN" -n 16 --oversubscribe examples/hello.ts)")
    else
      samples+=("$(wall mpiexec --allow-run-as-root --oversubscribe -x PATH -n 16 "$PYTHON" "$BENCH/hello.py")")
    fi
  done
  # The first launch warms the file cache: the other five count.
  printf '%s\n' "${samples[@]:1}" | sort -n | awk -v impl="$impl" -v runtime="$([ "$impl" = mpirun-deno ] &&
    echo binary || echo python3)" '{ v[NR] = $1 / 1000 } END {
      printf "{\"impl\":\"%s\",\"runtime\":\"%s\",\"case\":\"hello/wall\",\"ranks\":16,\"unit\":\"ms\",", impl, runtime
      printf "\"median\":%.3f,\"min\":%.3f,\"max\":%.3f,\"reps\":%d}\n", v[3], v[1], v[NR], NR }' \
    >>"$OUT/n16/$impl.jsonl"
done
rm -f "$BIN"
echo "done" >&2
