/**
 * Timing helpers shared by the rank-side benchmark programs: repetitions, statistics, and the one-line JSON
 * record rank 0 prints for the driver (`scripts/bench/run.ts`) to collect.
 *
 * @module
 */

import { performance } from "node:perf_hooks";

/** What one case measured: the statistics over its repetitions. */
export interface CaseResult {
  /** The case's name, the same in every implementation (`latency/buf-8B`). */
  case: string;
  ranks: number;
  /** `us` (lower is better), `MB/s` (higher is better), `ms` or `cpu%`. */
  unit: string;
  median: number;
  min: number;
  max: number;
  reps: number;
}

/**
 * Each case runs for at least this long before it is measured, on both sides (`measure.py` has the same): the
 * JIT compilers have to reach their top tier first. One process on a core of its own gets there in about a
 * second of a ping-pong loop; 4 ranks on 2 cores, whose compiler threads share the cores too, take 2-3 s
 * (measured: a 4-rank barrier took 82-91 µs after 0.5 s of warm-up, 39-46 µs after 2 s and 34-55 µs after
 * 3 s, Bun and Deno). mpi4py's figures do not move with it. OSU's benchmarks skip warm-up iterations the same
 * way.
 */
export const WARMUP_MS = 2000;

/** The figures of a short job: batches that start within this long of a case's start (`measure.py` too). */
export const FIRST_SECOND_MS = 1000;

/** Marks the lines of rank output that carry a result. */
export const RECORD_PREFIX = "BENCH ";

/** Median, min and max of `samples` (which it sorts). */
export function summarize(samples: number[]): { median: number; min: number; max: number } {
  samples.sort((a, b) => a - b);
  const middle = samples.length >> 1;
  const median = samples.length % 2 === 1 ? samples[middle] : (samples[middle - 1] + samples[middle]) / 2;
  return { median, min: samples[0], max: samples[samples.length - 1] };
}

/** Prints one case's result for the driver. */
export function emit(name: string, ranks: number, unit: string, samples: number[]): void {
  const result: CaseResult = { case: name, ranks, unit, ...summarize(samples), reps: samples.length };
  console.log(RECORD_PREFIX + JSON.stringify(result));
}

/** Milliseconds since an arbitrary origin, sub-microsecond resolution. */
export function now(): number {
  return performance.now();
}

/** Reads the program's options: `--only REGEX` and `--reps N`. */
export function benchArgs(args: readonly string[]): { only: RegExp; reps: number; quick: boolean } {
  let only = /.*/;
  let reps = 11;
  let quick = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--only") only = new RegExp(args[++i]);
    else if (args[i] === "--reps") reps = Number(args[++i]);
    else if (args[i] === "--quick") quick = true;
  }
  return { only, reps, quick };
}

/** Message sizes of the buffer cases, with their names. */
export const SIZES: readonly { name: string; bytes: number }[] = [
  { name: "8B", bytes: 8 },
  { name: "1KiB", bytes: 1024 },
  { name: "64KiB", bytes: 64 * 1024 },
  { name: "1MiB", bytes: 1 << 20 },
  { name: "16MiB", bytes: 16 << 20 },
];

/** Iterations per repetition for a message of `bytes`: many for small ones, a few for large ones. */
export function iterationsFor(bytes: number, quick: boolean): number {
  const n = bytes <= 1024 ? 1000 : bytes <= 65536 ? 200 : bytes <= 1 << 20 ? 40 : 6;
  return quick ? Math.max(2, n >> 3) : n;
}
