/**
 * Collective benchmarks on any number of ranks: barrier, bcast of a small value, `Bcast` and `Allreduce`
 * (SUM) on Float64Arrays of 1, 1 K and 1 M elements. Each rank times its own iterations; a case reports the
 * slowest rank's time per call, in microseconds, once warm and (as `<case>/first-second`) over the first
 * second of its warm-up. Rank 0 prints one `BENCH {json}` line per case.
 *
 * ```sh
 * deno run -A cli.ts -n 4 scripts/bench/coll.ts [--only REGEX] [--reps N] [--quick]
 * ```
 *
 * @module
 */

import process from "node:process";
import { MPI } from "mpirun-deno";
import { benchArgs, emit, FIRST_SECOND_MS, now, WARMUP_MS } from "./measure.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const { only, reps, quick } = benchArgs(process.argv.slice(2));

/** The slowest rank's microseconds per call of `iterations` calls of `call`. */
async function timed(iterations: number, call: () => Promise<unknown>): Promise<number> {
  await comm.Barrier();
  const start = now();
  for (let i = 0; i < iterations; i++) await call();
  const mine = (now() - start) * 1000 / iterations;
  return await comm.allreduce(mine, MPI.MAX);
}

async function run(name: string, iterations: number, call: () => Promise<unknown>): Promise<void> {
  if (!only.test(name)) return;
  const count = quick ? Math.max(2, iterations >> 3) : iterations;
  const start = now();
  // The warm-up's batches of its first second are the figures of a short job (cold JIT tiers): reported too.
  const firstSecond: number[] = [];
  do {
    const began = now() - start;
    const time = await timed(Math.max(1, count >> 2), call);
    if (began < FIRST_SECOND_MS) firstSecond.push(time);
  } while (await comm.bcast(now() - start < WARMUP_MS, 0));
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) samples.push(await timed(count, call));
  if (rank === 0) {
    emit(name, size, "us", samples);
    emit(`${name}/first-second`, size, "us", firstSecond);
  }
}

const ELEMENTS = [
  { name: "1", count: 1, iterations: 1000 },
  { name: "1K", count: 1024, iterations: 500 },
  { name: "1M", count: 1 << 20, iterations: 10 },
];

await run("barrier", 1000, () => comm.Barrier());
await run("bcast/value-small", 1000, () => comm.bcast(rank === 0 ? { x: 1, y: 2.0 } : null, 0));
for (const { name, count, iterations } of ELEMENTS) {
  const buffer = new Float64Array(count).fill(rank);
  await run(`bcast/f64-${name}`, iterations, () => comm.Bcast(buffer, 0));
}
for (const { name, count, iterations } of ELEMENTS) {
  const send = new Float64Array(count).fill(rank + 1);
  const recv = new Float64Array(count);
  await run(`allreduce/f64-${name}`, iterations, async () => {
    await comm.Allreduce(send, recv, MPI.SUM);
  });
}
