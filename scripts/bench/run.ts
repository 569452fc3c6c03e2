/**
 * The benchmark driver (`deno task bench`): runs the OSU-style suite through the real launcher and prints one
 * JSON line per case to stdout and a readable table to stderr.
 *
 * ```sh
 * deno task bench                                   # every runtime found: deno, bun, the compiled binary
 * deno task bench --runtime bun --only latency      # one runtime, the cases whose name matches
 * deno task bench --impl mpi4py-tcp                 # the same cases with mpi4py on Open MPI (TCP)
 * deno task bench --impl mpi4py-shm                 # ... on Open MPI's default (shared-memory) transport
 * ```
 *
 * Options: `--impl mpirun-deno|mpi4py-tcp|mpi4py-shm`, `--runtime deno,bun,binary`, `--groups
 * p2p,coll,pi,hello,garbage` (`garbage`: heap objects per call, Bun and the binary only), `--only REGEX`
 * (case names), `--reps N` (repetitions per case, default 11), `--ranks 2,4,8,16` (the rank counts of the
 * collective cases, default 2,4), `--quick` (fewer iterations, for a smoke test). Every case reports median, min and max over its repetitions. On a machine with many cores and no
 * Deno, `scripts/bench/device.sh` runs the same sweep with the compiled binary.
 *
 * @module
 */

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { type CaseResult, RECORD_PREFIX, summarize } from "./measure.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const BENCH = path.join(REPO, "scripts", "bench");
const BIN = path.join(REPO, "node_modules", ".bin");

/** A result line of the driver: a case, and what ran it. */
export interface BenchRecord extends CaseResult {
  /** `mpirun-deno`, `mpi4py-tcp` or `mpi4py-shm`. */
  impl: string;
  /** `deno`, `bun`, `binary` or `python3`. */
  runtime: string;
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    impl: { type: "string", default: "mpirun-deno" },
    runtime: { type: "string" },
    groups: { type: "string", default: "p2p,coll,pi,hello,garbage" },
    only: { type: "string", default: ".*" },
    reps: { type: "string", default: "11" },
    quick: { type: "boolean", default: false },
    ranks: { type: "string", default: "2,4" },
  },
});
const impl = values.impl!;
if (!["mpirun-deno", "mpi4py-tcp", "mpi4py-shm"].includes(impl)) throw new Error(`unknown --impl ${impl}`);
const groups = new Set(values.groups!.split(","));
const only = new RegExp(values.only!);
const reps = Number(values.reps);
/** The rank counts of the collective cases (`--ranks 2,4,8,16`: a sweep). */
const collRanks = values.ranks!.split(",").map(Number);
if (collRanks.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`bad --ranks ${values.ranks}`);
const rankArgs = ["--only", values.only!, "--reps", String(reps), ...(values.quick ? ["--quick"] : [])];
/** Whole-job cases (pi, hello) are launched this many times. */
const launches = values.quick ? 3 : Math.max(3, Math.min(reps, 7));

/** How one implementation starts `n` ranks of a program. */
interface Launcher {
  runtime: string;
  /** `options` go to our launcher before the program (`-x NAME=VALUE`); mpi4py's take none. */
  command(
    n: number,
    program: string,
    args: string[],
    options?: string[],
  ): { command: string; args: string[] };
}

function ourLaunchers(): Launcher[] {
  const binary = path.join(REPO, "dist", "mpirun-deno");
  const all: { [name: string]: Launcher } = {
    deno: {
      runtime: "deno",
      command: (n, program, args, options = []) => ({
        command: path.join(BIN, "deno"),
        args: [
          "run",
          "-A",
          "--no-check",
          path.join(REPO, "cli.ts"),
          "-n",
          String(n),
          "--oversubscribe",
          ...options,
          program,
          ...args,
        ],
      }),
    },
    bun: {
      runtime: "bun",
      command: (n, program, args, options = []) => ({
        command: path.join(BIN, "bun"),
        args: [path.join(REPO, "cli.ts"), "-n", String(n), "--oversubscribe", ...options, program, ...args],
      }),
    },
    binary: {
      runtime: "binary",
      command: (n, program, args, options = []) => ({
        command: binary,
        args: ["-n", String(n), "--oversubscribe", ...options, program, ...args],
      }),
    },
  };
  const wanted = values.runtime?.split(",") ?? ["deno", "bun", ...(fs.existsSync(binary) ? ["binary"] : [])];
  return wanted.map((name) => {
    if (!all[name]) throw new Error(`unknown --runtime ${name}`);
    return all[name];
  });
}

function mpi4pyLauncher(transport: "tcp" | "shm"): Launcher {
  const root = process.getuid?.() === 0 ? ["--allow-run-as-root"] : [];
  const btl = transport === "tcp" ? ["--mca", "pml", "ob1", "--mca", "btl", "self,tcp"] : [];
  return {
    runtime: "python3",
    command: (n, program, args) => ({
      command: "mpirun",
      args: [...root, "--oversubscribe", ...btl, "-n", String(n), "/usr/bin/python3", program, ...args],
    }),
  };
}

/** The programs of each group, per implementation: [ranks, program]. */
function program(name: string): string {
  if (impl === "mpirun-deno") {
    if (name === "pi") return path.join(REPO, "examples", "pi_reduce.ts");
    if (name === "hello") return path.join(REPO, "examples", "hello.ts");
    return path.join(BENCH, `${name}.ts`);
  }
  return path.join(BENCH, `${name}.py`);
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  millis: number;
}

function launch(
  launcher: Launcher,
  n: number,
  name: string,
  args: string[],
  options?: string[],
): Promise<Finished> {
  const { command, args: argv } = launcher.command(n, program(name), args, options);
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, argv, { cwd: BENCH, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => stdout += chunk);
    child.stderr.on("data", (chunk) => stderr += chunk);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, millis: performance.now() - start }));
  });
}

const records: BenchRecord[] = [];

function report(launcher: Launcher, result: CaseResult): void {
  const record: BenchRecord = { impl, runtime: launcher.runtime, ...result };
  records.push(record);
  console.log(JSON.stringify(record));
}

async function rankSuite(launcher: Launcher, n: number, name: string, options?: string[]): Promise<void> {
  const job = await launch(launcher, n, name, rankArgs, options);
  if (job.code !== 0) {
    process.stderr.write(
      `bench: ${name} on ${n} ranks (${launcher.runtime}) exited ${job.code}:\n${job.stderr}\n`,
    );
  }
  for (const line of job.stdout.split("\n")) {
    const at = line.indexOf(RECORD_PREFIX);
    if (at >= 0) report(launcher, JSON.parse(line.slice(at + RECORD_PREFIX.length)));
  }
}

async function wholeJob(launcher: Launcher, n: number, name: string, caseName: string): Promise<void> {
  if (!only.test(caseName)) return;
  const samples: number[] = [];
  await launch(launcher, n, name, []); // warm the file cache and any compile cache
  for (let i = 0; i < launches; i++) {
    const job = await launch(launcher, n, name, []);
    if (job.code !== 0) {
      process.stderr.write(`bench: ${caseName} (${launcher.runtime}) exited ${job.code}:\n${job.stderr}\n`);
      return;
    }
    if (name === "hello") {
      samples.push(job.millis);
      continue;
    }
    const match = /pi computed in ([\d.]+) sec/.exec(job.stdout);
    if (!match) throw new Error(`pi printed no time: ${job.stdout}`);
    samples.push(Number(match[1]) * 1000);
  }
  report(launcher, { case: caseName, ranks: n, unit: "ms", ...summarize(samples), reps: samples.length });
}

const launchers = impl === "mpirun-deno"
  ? ourLaunchers()
  : [mpi4pyLauncher(impl === "mpi4py-tcp" ? "tcp" : "shm")];
for (const launcher of launchers) {
  if (groups.has("p2p")) await rankSuite(launcher, 2, "p2p");
  if (groups.has("coll")) { for (const n of collRanks) await rankSuite(launcher, n, "coll"); }
  if (groups.has("pi")) { for (const n of [1, 2, 4]) await wholeJob(launcher, n, "pi", `pi/n${n}`); }
  if (groups.has("hello")) await wholeJob(launcher, 4, "hello", "hello/wall");
  // Heap objects per call: Bun's counts (the binary's runtime), with its collector off so that none are lost.
  if (groups.has("garbage") && impl === "mpirun-deno" && launcher.runtime !== "deno") {
    await rankSuite(launcher, 2, "garbage", ["-x", "BUN_JSC_useGC=0"]);
  }
}

process.stderr.write(table(records));

/** A fixed-width table of `rows`. */
export function table(rows: readonly BenchRecord[]): string {
  const lines = [["impl", "runtime", "case", "ranks", "median", "min", "max", "unit"]];
  for (const r of rows) {
    lines.push([
      r.impl,
      r.runtime,
      r.case,
      String(r.ranks),
      fixed(r.median),
      fixed(r.min),
      fixed(r.max),
      r.unit,
    ]);
  }
  const widths = lines[0].map((_, i) => Math.max(...lines.map((line) => line[i].length)));
  return lines.map((line) =>
    line.map((cell, i) => i >= 3 && i <= 6 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join("  ")
  )
    .join("\n") + "\n";
}

function fixed(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
