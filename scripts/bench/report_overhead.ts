/**
 * The cost of `--report`: runs the ping-pong cases of `p2p.ts` on 2 ranks through the launcher, alternately
 * without and with `--report` (so that a change in the machine's load hits both alike), and prints the median
 * of each case's medians and the overhead, twice: as the ratio of those medians, and as the median of the
 * ratios of the two runs of each pair (which a slow spell of the machine moves less). `--bind` binds each
 * rank to a core (`--bind-to core`), which steadies the figures on a small machine.
 *
 * `--in-process` measures within processes instead (`report_switch.ts`: a small value and 8 bytes, Deno or
 * Bun): each run measures, installs the counting half-way (or, every other run, does not: the control), and
 * measures again; the overhead is the median ratio of the halves with the counting over that of the controls.
 * The differences between processes, larger than the cost on a small shared machine, drop out. The figures in
 * docs/benchmarks.md come from here.
 *
 * ```sh
 * deno run -A scripts/bench/report_overhead.ts [--runs 6] [--runtime deno|bun|binary] [--only REGEX] [--quick]
 *   [--bind] [--in-process]
 * ```
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type CaseResult, RECORD_PREFIX } from "./measure.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: "string", default: "6" },
    runtime: { type: "string", default: "deno" },
    only: { type: "string", default: "latency/(value-small|buf-8B|buf-1KiB)$" },
    reps: { type: "string", default: "11" },
    quick: { type: "boolean", default: false },
    bind: { type: "boolean", default: false },
    "in-process": { type: "boolean", default: false },
  },
});

function launcher(): string[] {
  switch (values.runtime) {
    case "binary":
      return [path.join(REPO, "dist", "mpirun-deno")];
    case "bun":
      return [path.join(REPO, "node_modules", ".bin", "bun"), path.join(REPO, "cli.ts")];
    default:
      return [path.join(REPO, "node_modules", ".bin", "deno"), "run", "-A", path.join(REPO, "cli.ts")];
  }
}

/** One run of `script` with `launcherArgs` and `scriptArgs`: the medians of its cases by name. */
function runOnce(launcherArgs: string[], script: string, scriptArgs: string[]): Map<string, number> {
  const [command, ...args] = launcher();
  const result = spawnSync(command, [
    ...args,
    "-n",
    "2",
    "--oversubscribe",
    ...(values.bind ? ["--bind-to", "core"] : []),
    ...launcherArgs,
    path.join(REPO, "scripts", "bench", script),
    ...scriptArgs,
    "--reps",
    values.reps!,
    ...(values.quick ? ["--quick"] : []),
  ], { cwd: REPO, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`benchmark failed (${result.status}): ${result.stderr}`);
  const medians = new Map<string, number>();
  for (const line of result.stdout.split("\n")) {
    if (!line.startsWith(RECORD_PREFIX)) continue;
    const record = JSON.parse(line.slice(RECORD_PREFIX.length)) as CaseResult;
    medians.set(record.case, record.median);
  }
  if (launcherArgs.includes("--report") && !/report of 2 ranks/.test(result.stderr)) {
    throw new Error("--report printed no report");
  }
  return medians;
}

/** A run of `p2p.ts`'s cases, with or without `--report`. */
function runP2p(report: boolean): Map<string, number> {
  return runOnce(report ? ["--report"] : [], "p2p.ts", ["--only", values.only!]);
}

/** A run of `report_switch.ts`, counting installed half-way or not: the ratio after/before of each case. */
function runSwitch(install: boolean): Map<string, number> {
  const medians = runOnce([], "report_switch.ts", install ? ["--install"] : []);
  const ratios = new Map<string, number>();
  for (const [name, before] of medians) {
    if (name.endsWith("/before")) {
      ratios.set(name.slice(0, -"/before".length), medians.get(name.replace(/before$/, "after"))! / before);
    }
  }
  return ratios;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

if (values["in-process"] && values.runtime === "binary") {
  throw new Error(
    "--in-process needs --runtime deno or bun: the binary's library cannot be reached from a script",
  );
}
const runWith = values["in-process"] ? runSwitch : runP2p;
const samples = { off: new Map<string, number[]>(), on: new Map<string, number[]>() };
for (let run = 0; run < Number(values.runs); run++) {
  for (const mode of run % 2 === 0 ? ["off", "on"] as const : ["on", "off"] as const) {
    for (const [name, value] of runWith(mode === "on")) {
      const list = samples[mode].get(name) ?? [];
      list.push(value);
      samples[mode].set(name, list);
    }
  }
}
const bound = values.bind ? ", ranks bound to cores" : "";
if (values["in-process"]) {
  console.log(
    `runtime ${values.runtime}, ${values.runs} runs each way${bound}, medians of the ratios after/before:`,
  );
  for (const [name, off] of samples.off) {
    const [a, b] = [median(off), median(samples.on.get(name) ?? [])];
    console.log(
      `${name.padEnd(26)} control ${a.toFixed(4)}  counting installed ${b.toFixed(4)}  ` +
        `overhead ${(100 * (b / a - 1)).toFixed(1)}%`,
    );
  }
  process.exit(0);
}
console.log(
  `runtime ${values.runtime}, ${values.runs} runs each way${bound}, medians of per-run medians (µs, one way):`,
);
for (const [name, off] of samples.off) {
  const on = samples.on.get(name) ?? [];
  const [a, b] = [median(off), median(on)];
  const paired = median(on.map((value, run) => value / off[run]));
  console.log(
    `${name.padEnd(26)} without ${a.toFixed(2).padStart(8)}  with --report ${b.toFixed(2).padStart(8)}  ` +
      `overhead ${(100 * (b - a) / a).toFixed(1)}%, paired ${(100 * (paired - 1)).toFixed(1)}%`,
  );
}
