/**
 * Garbage per call, on 2 ranks of Bun (the runtime of the binary): the heap objects that one call of each
 * common operation leaves behind, counted with `heapStats()` of `bun:jsc` while the collector is off. Rank 0
 * prints one `BENCH {json}` line per case, in objects per call.
 *
 * Why it is a benchmark: one rank's garbage collection (3-4 ms with the one marker thread a rank on a full
 * host gets) holds up every collective, so with `p` ranks the collectives stall `p` times as often as one
 * rank collects. The count does not depend on the machine, so a 2-core machine measures what matters at 16
 * ranks.
 *
 * ```sh
 * bun cli.ts -n 2 -x BUN_JSC_useGC=0 scripts/bench/garbage.ts [--only REGEX] [--reps N] [--quick]
 * ```
 *
 * @module
 */

import process from "node:process";
import { MPI } from "mpirun-deno";
import { benchArgs, emit } from "./measure.ts";

const comm = MPI.COMM_WORLD;
const rank = comm.rank;
if (comm.size !== 2) throw new Error(`garbage benchmarks need 2 ranks, not ${comm.size}`);
if (!("Bun" in globalThis)) throw new Error("garbage benchmarks count Bun's heap objects: run them on Bun");
if (process.env.BUN_JSC_useGC !== "0") {
  throw new Error("garbage benchmarks count objects with the collector off: launch with -x BUN_JSC_useGC=0");
}
const { heapStats } = await import("bun:jsc" as string) as {
  heapStats(): { objectTypeCounts: Record<string, number> };
};

/** The objects on the heap now (`objectCount` stays 0 while the collector is off; the counts by type do not). */
function objects(): number {
  let count = 0;
  for (const each of Object.values(heapStats().objectTypeCounts)) count += each;
  return count;
}
const { only, reps, quick } = benchArgs(process.argv.slice(2));
const peer = 1 - rank;
/** Calls per repetition: enough that the JIT's top tier (which removes some allocations) is what counts. */
const CALLS = quick ? 2000 : 20000;

/** Heap objects left per call of `call`, in `reps` repetitions after a warm-up of as many calls. */
async function run(name: string, call: () => Promise<unknown>): Promise<void> {
  if (!only.test(name)) return;
  for (let i = 0; i < CALLS; i++) await call();
  const samples: number[] = [];
  const idle = async () => {};
  for (let r = 0; r < reps; r++) {
    // What the loop itself leaves (an `await` of a settled promise) is counted apart and taken off.
    let before = objects();
    for (let i = 0; i < CALLS; i++) await idle();
    const loop = objects() - before;
    await comm.Barrier();
    before = objects();
    for (let i = 0; i < CALLS; i++) await call();
    samples.push((objects() - before - loop) / CALLS);
  }
  // Each rank counts its own; the case reports the rank with more.
  const worst = await Promise.all(samples.map((objects) => comm.allreduce(objects, MPI.MAX)));
  if (rank === 0) emit(name, comm.size, "objects", worst);
}

const byte = new Uint8Array(8);
await run("garbage/send-recv-8B", async () => {
  if (rank === 0) {
    await comm.Send(byte, peer, 1);
    await comm.Recv(byte, peer, 1);
  } else {
    await comm.Recv(byte, peer, 1);
    await comm.Send(byte, peer, 1);
  }
});
await run("garbage/barrier", () => comm.Barrier());
await run("garbage/bcast/value-small", () => comm.bcast(rank === 0 ? { x: 1, y: 2.0 } : null, 0));
const block = new Float64Array(1024).fill(rank);
await run("garbage/bcast/f64-1K", () => comm.Bcast(block, 0));
for (const count of [1, 1024]) {
  const send = new Float64Array(count).fill(rank + 1);
  const recv = new Float64Array(count);
  await run(`garbage/allreduce/f64-${count === 1 ? "1" : "1K"}`, () => comm.Allreduce(send, recv, MPI.SUM));
}
