/**
 * The rank side of `report_overhead.ts --in-process`: on 2 ranks, the ping-pong of a small value and of 8
 * bytes is measured, then, with `--install`, `--report`'s counting is installed in both ranks at once
 * (`lib/comm/profile.ts`, as `MPIRUN_DENO_REPORT=1` would at start), and the same cases are measured again in
 * the same processes. Without `--install` (the control) nothing changes between the two halves: what moves
 * there is the drift of the machine and of the JIT. Comparing the halves of one process leaves out the
 * differences between processes, which on a small shared machine are larger than the cost being measured.
 * Rank 0 prints one `BENCH` record per case and half (`latency/buf-8B/before`, `.../after`).
 *
 * ```sh
 * deno run -A cli.ts -n 2 --bind-to core scripts/bench/report_switch.ts [--install] [--reps 11] [--quick]
 * ```
 *
 * @module
 */

import process from "node:process";
import { MPI } from "mpirun-deno";
import { Profiler } from "../../lib/comm/profile.ts";
import { benchArgs, emit } from "./measure.ts";
import { bufferRoundTrips, valueRoundTrips, warmUp } from "./pingpong.ts";

const comm = MPI.COMM_WORLD;
if (comm.size !== 2) throw new Error(`report_switch needs 2 ranks, not ${comm.size}`);
const args = process.argv.slice(2);
const { reps, quick } = benchArgs(args);
const install = args.includes("--install");
const iterations = quick ? 200 : 2000;
const small = { x: 1, y: 2.0 };
const buffer = new Uint8Array(8);
const cases: [string, () => Promise<number>][] = [
  ["latency/value-small", () => valueRoundTrips(comm, small, iterations)],
  ["latency/buf-8B", () => bufferRoundTrips(comm, buffer, iterations)],
];

let profiler: Profiler | undefined;
for (const half of ["before", "after"]) {
  if (half === "after" && install) {
    await comm.Barrier();
    profiler = new Profiler(comm.rank, comm.size);
    profiler.install(comm.job.engine);
  }
  for (const [name, measure] of cases) {
    await warmUp(comm, measure, 1);
    const samples: number[] = [];
    for (let i = 0; i < reps; i++) samples.push(await measure());
    if (comm.rank === 0) emit(`${name}/${half}`, 2, "us", samples);
  }
}
if (profiler && !(profiler.snapshot().calls.Send?.calls > 0)) {
  throw new Error("the counting was installed on another copy of the library than the one this script uses");
}
