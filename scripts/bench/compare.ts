/**
 * Ratio table of benchmark runs: our figures against mpi4py's, measured in the same run. Reads run
 * directories (each with the JSON lines of `run.ts` for mpirun-deno, mpi4py-tcp and mpi4py-shm), prints a
 * markdown table of each case as ours / theirs, against mpi4py on Open MPI's TCP transport and on its default
 * shared-memory one, and marks the targets met or missed. Ratios are taken within a run; over several
 * runs the table gives their median and range.
 *
 * ```sh
 * deno run -A scripts/bench/compare.ts .tmp/bench/run-1 .tmp/bench/run-2 .tmp/bench/run-3
 * ```
 *
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import type { BenchRecord } from "./run.ts";

/** A target: which runtimes, and the bound on ours / mpi4py (or on our own figure). */
interface Target {
  case: string;
  ranks: number;
  /** Bound per runtime; `absolute` targets bound our own figure, not a ratio. */
  bound: (runtime: string) => number;
  /** "max": ratio must be at most the bound; "min": at least. */
  kind: "max" | "min";
  absolute?: boolean;
  /** The reference of the ratio: mpi4py on Open MPI's TCP transport (the default) or its shared memory. */
  against?: "tcp" | "shm";
}

const latencyBound = (runtime: string) => runtime === "deno" ? 2.0 : 1.0;

/** The targets. */
export const TARGETS: readonly Target[] = [
  { case: "latency/value-small", ranks: 2, bound: latencyBound, kind: "max" },
  { case: "latency/buf-8B", ranks: 2, bound: latencyBound, kind: "max" },
  { case: "bandwidth/buf-1MiB", ranks: 2, bound: () => 1.2, kind: "min" },
  { case: "bandwidth/buf-16MiB", ranks: 2, bound: () => 1.2, kind: "min" },
  { case: "allreduce/f64-1M", ranks: 4, bound: () => 1.0, kind: "max" },
  { case: "barrier", ranks: 4, bound: () => 1.5, kind: "max" },
  { case: "bcast/value-small", ranks: 4, bound: () => 1.5, kind: "max" },
  { case: "bcast/f64-1", ranks: 4, bound: () => 1.5, kind: "max" },
  { case: "hello/wall", ranks: 4, bound: () => 1.0, kind: "max" },
  // A rank that waited 1 s must not have burnt more than a tenth of a core.
  { case: "idle-wait/cpu", ranks: 2, bound: () => 10, kind: "max", absolute: true },
  // A full node (shared memory between ranks of one host): against Open MPI's own shared memory.
  { case: "latency/buf-8B", ranks: 2, bound: () => 1.5, kind: "max", against: "shm" },
  { case: "latency/value-small", ranks: 2, bound: () => 1.5, kind: "max", against: "shm" },
  { case: "bandwidth/buf-1MiB", ranks: 2, bound: () => 1.0, kind: "min", against: "shm" },
  { case: "bandwidth/buf-16MiB", ranks: 2, bound: () => 1.0, kind: "min", against: "shm" },
  ...[4, 8, 16].flatMap((ranks): Target[] => [
    { case: "barrier", ranks, bound: () => 2, kind: "max", against: "shm" },
    { case: "barrier", ranks, bound: () => 1, kind: "max" },
    { case: "allreduce/f64-1K", ranks, bound: () => 2, kind: "max", against: "shm" },
    { case: "allreduce/f64-1K", ranks, bound: () => 1, kind: "max" },
    { case: "allreduce/f64-1M", ranks, bound: () => 1, kind: "max", against: "shm" },
  ]),
];

/** The records of one run: a directory holding `mpirun-deno.jsonl`, `mpi4py-tcp.jsonl`, `mpi4py-shm.jsonl`. */
export function loadRun(dir: string): BenchRecord[] {
  const records: BenchRecord[] = [];
  for (const name of ["mpirun-deno", "mpi4py-tcp", "mpi4py-shm"]) {
    const file = path.join(dir, `${name}.jsonl`);
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (line.trim().startsWith("{")) records.push(JSON.parse(line));
    }
  }
  return records;
}

function show(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "-";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `median` alone for one run; `median [min-max]` over several. */
function spread(values: number[]): string {
  if (values.length <= 1) return show(values[0]);
  return `${show(median(values))} [${show(Math.min(...values))}-${show(Math.max(...values))}]`;
}

const key = (r: { case: string; ranks: number }) => `${r.case}@${r.ranks}`;

/**
 * The markdown table over one or more runs: one row per case and runtime with each side's median (over the
 * runs, of each run's median) and the ratio ours / theirs of each run (median, and range when there are
 * several runs). A target's verdict uses the median ratio.
 */
export function ratioTable(runs: readonly BenchRecord[][]): string {
  const lines = [
    "| case | ranks | runtime | ours | mpi4py tcp | mpi4py shm | ours/tcp | ours/shm | target | met |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  ];
  const rows = new Map<string, BenchRecord>();
  for (const run of runs) {
    for (const r of run) if (r.impl === "mpirun-deno") rows.set(`${r.runtime}/${key(r)}`, r);
  }
  for (const r of rows.values()) {
    const ours: number[] = [];
    const tcp: number[] = [];
    const shm: number[] = [];
    const toTcp: number[] = [];
    const toShm: number[] = [];
    for (const run of runs) {
      const mine = run.find((x) => x.impl === "mpirun-deno" && x.runtime === r.runtime && key(x) === key(r));
      const t = run.find((x) => x.impl === "mpi4py-tcp" && key(x) === key(r));
      const s = run.find((x) => x.impl === "mpi4py-shm" && key(x) === key(r));
      if (mine) ours.push(mine.median);
      if (t) tcp.push(t.median);
      if (s) shm.push(s.median);
      if (mine && t) toTcp.push(mine.median / t.median);
      if (mine && s) toShm.push(mine.median / s.median);
    }
    const texts: string[] = [];
    const verdicts: string[] = [];
    for (const target of TARGETS.filter((x) => x.case === r.case && x.ranks === r.ranks)) {
      const bound = target.bound(r.runtime);
      const against = target.against ?? "tcp";
      const value = target.absolute ? median(ours) : median(against === "shm" ? toShm : toTcp);
      const what = target.absolute ? r.unit : `/${against}`;
      texts.push(`${what} ${target.kind === "max" ? "≤" : "≥"} ${bound}`);
      if (!Number.isNaN(value)) {
        verdicts.push((target.kind === "max" ? value <= bound : value >= bound) ? "yes" : "**no**");
      }
    }
    const targetText = texts.join(", ");
    const met = verdicts.join(", ");
    lines.push(
      `| ${r.case} | ${r.ranks} | ${r.runtime} | ${show(median(ours))} ${r.unit} | ${show(median(tcp))} | ` +
        `${show(median(shm))} | ${spread(toTcp)} | ${spread(toShm)} | ${targetText} | ${met} |`,
    );
  }
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) throw new Error("usage: compare.ts RUN_DIR...");
  process.stdout.write(ratioTable(dirs.map(loadRun)));
}
