/**
 * Ratio table of a benchmark run: our figures against mpi4py's, measured in the same run. Reads the JSON lines
 * of `run.ts` (any number of files), prints a markdown table of each case as ours / theirs, against mpi4py on
 * Open MPI's TCP transport and on its default shared-memory one, and marks the targets met or missed.
 *
 * ```sh
 * deno run -A scripts/bench/compare.ts ours.jsonl mpi4py-tcp.jsonl mpi4py-shm.jsonl
 * ```
 *
 * @module
 */

import * as fs from "node:fs";
import process from "node:process";
import type { BenchRecord } from "./run.ts";

/** A target of the issue: which runtimes, and the bound on ours / mpi4py-tcp (or on our own figure). */
interface Target {
  case: string;
  ranks: number;
  /** Bound per runtime; `absolute` targets bound our own figure, not a ratio. */
  bound: (runtime: string) => number;
  /** "max": ratio must be at most the bound; "min": at least. */
  kind: "max" | "min";
  absolute?: boolean;
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
];

function load(files: readonly string[]): BenchRecord[] {
  const records: BenchRecord[] = [];
  for (const file of files) {
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      if (line.trim().startsWith("{")) records.push(JSON.parse(line));
    }
  }
  return records;
}

function show(value: number | undefined): string {
  if (value === undefined) return "-";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** The markdown table: one row per case and runtime, with ratios and target verdicts. */
export function ratioTable(records: readonly BenchRecord[]): string {
  const key = (r: { case: string; ranks: number }) => `${r.case}@${r.ranks}`;
  const theirs = (implName: string) => new Map(records.filter((r) => r.impl === implName).map((r) => [key(r), r]));
  const tcp = theirs("mpi4py-tcp");
  const shm = theirs("mpi4py-shm");
  const ours = records.filter((r) => r.impl === "mpirun-deno");
  const lines = [
    "| case | ranks | runtime | ours (median) | mpi4py tcp | mpi4py shm | ours/tcp | ours/shm | target | met |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |",
  ];
  for (const r of ours) {
    const t = tcp.get(key(r));
    const s = shm.get(key(r));
    const target = TARGETS.find((x) => x.case === r.case && x.ranks === r.ranks);
    const ratio = t ? r.median / t.median : undefined;
    let targetText = "";
    let met = "";
    if (target) {
      const bound = target.bound(r.runtime);
      const value = target.absolute ? r.median : ratio;
      targetText = `${target.absolute ? r.unit : "ratio"} ${target.kind === "max" ? "≤" : "≥"} ${bound}`;
      if (value !== undefined) {
        met = (target.kind === "max" ? value <= bound : value >= bound) ? "yes" : "**no**";
      }
    }
    lines.push(
      `| ${r.case} | ${r.ranks} | ${r.runtime} | ${show(r.median)} ${r.unit} | ${show(t?.median)} | ${show(s?.median)} | ` +
        `${show(ratio)} | ${show(s ? r.median / s.median : undefined)} | ${targetText} | ${met} |`,
    );
  }
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  process.stdout.write(ratioTable(load(process.argv.slice(2))));
}
