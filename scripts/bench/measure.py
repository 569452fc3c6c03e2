"""Timing helpers of the mpi4py benchmark programs: the twins of measure.ts, same records, same case names."""

import json
import sys

RECORD_PREFIX = "BENCH "

# Each case runs for at least this long before it is measured (see measure.ts).
WARMUP_SECONDS = 2.0  # as WARMUP_MS in measure.ts, which says why
FIRST_SECOND = 1.0  # as FIRST_SECOND_MS in measure.ts

SIZES = [("8B", 8), ("1KiB", 1024), ("64KiB", 64 * 1024), ("1MiB", 1 << 20), ("16MiB", 16 << 20)]


def summarize(samples):
    samples = sorted(samples)
    n = len(samples)
    median = samples[n // 2] if n % 2 == 1 else (samples[n // 2 - 1] + samples[n // 2]) / 2
    return {"median": median, "min": samples[0], "max": samples[-1]}


def emit(name, ranks, unit, samples):
    record = {"case": name, "ranks": ranks, "unit": unit, **summarize(samples), "reps": len(samples)}
    print(RECORD_PREFIX + json.dumps(record), flush=True)


def bench_args(argv):
    import re

    only, reps, quick = re.compile(".*"), 11, False
    i = 0
    while i < len(argv):
        if argv[i] == "--only":
            i += 1
            only = re.compile(argv[i])
        elif argv[i] == "--reps":
            i += 1
            reps = int(argv[i])
        elif argv[i] == "--quick":
            quick = True
        i += 1
    return only, reps, quick


def iterations_for(nbytes, quick):
    n = 1000 if nbytes <= 1024 else 200 if nbytes <= 65536 else 40 if nbytes <= 1 << 20 else 6
    return max(2, n >> 3) if quick else n


ARGS = bench_args(sys.argv[1:])
