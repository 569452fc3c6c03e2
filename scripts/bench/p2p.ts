/**
 * Point-to-point benchmarks on 2 ranks, OSU-style: ping-pong latency (one way, half a round trip) of values
 * and of typed-array buffers, streaming bandwidth with a window of 64 `Isend`s, and the CPU a rank burns while
 * it waits a long time in `recv`. Rank 0 prints one `BENCH {json}` line per case.
 *
 * ```sh
 * deno run -A cli.ts -n 2 scripts/bench/p2p.ts [--only REGEX] [--reps N] [--quick]
 * ```
 *
 * @module
 */

import process from "node:process";
import { MPI } from "mpirun-deno";
import { benchArgs, emit, iterationsFor, now, SIZES } from "./measure.ts";
import { bufferRoundTrips, valueRoundTrips, warmUp } from "./pingpong.ts";

const comm = MPI.COMM_WORLD;
const rank = comm.rank;
if (comm.size !== 2) throw new Error(`p2p benchmarks need 2 ranks, not ${comm.size}`);
const { only, reps, quick } = benchArgs(process.argv.slice(2));
const peer = 1 - rank;
const WINDOW = 64;

/** Bandwidth in MB/s (10^6 bytes) of `iterations` windows of 64 Isends, each acknowledged by the receiver. */
async function streaming(buffer: Uint8Array, iterations: number): Promise<number> {
  const ack = new Uint8Array(4);
  await comm.Barrier();
  const start = now();
  for (let i = 0; i < iterations; i++) {
    const requests = [];
    if (rank === 0) {
      for (let w = 0; w < WINDOW; w++) requests.push(comm.Isend(buffer, peer, 2));
      await MPI.Request.waitall(requests);
      await comm.Recv(ack, peer, 3);
    } else {
      for (let w = 0; w < WINDOW; w++) requests.push(comm.Irecv(buffer, peer, 2));
      await MPI.Request.waitall(requests);
      await comm.Send(ack, peer, 3);
    }
  }
  const seconds = (now() - start) / 1000;
  return buffer.length * WINDOW * iterations / seconds / 1e6;
}

async function run(
  name: string,
  unit: string,
  measure: () => Promise<number>,
  { warmups = 1, repetitions = reps } = {},
): Promise<void> {
  if (!only.test(name)) return;
  await warmUp(comm, measure, warmups);
  const samples: number[] = [];
  for (let i = 0; i < repetitions; i++) samples.push(await measure());
  if (rank === 0) emit(name, 2, unit, samples);
}

const small = { x: 1, y: 2.0 };
const array1000 = Array.from({ length: 1000 }, (_, i) => i + 0.5);
await run("latency/value-small", "us", () => valueRoundTrips(comm, small, quick ? 200 : 2000));
await run("latency/value-array1000", "us", () => valueRoundTrips(comm, array1000, quick ? 100 : 500));
for (const { name, bytes } of SIZES) {
  const buffer = new Uint8Array(bytes).fill(rank + 1);
  await run(`latency/buf-${name}`, "us", () => bufferRoundTrips(comm, buffer, iterationsFor(bytes, quick)));
}
for (const { name, bytes } of SIZES) {
  const buffer = new Uint8Array(bytes).fill(rank + 1);
  const windows = Math.max(1, Math.ceil(iterationsFor(bytes, quick) / 20));
  await run(`bandwidth/buf-${name}`, "MB/s", () => streaming(buffer, windows));
}

// CPU burnt by a rank that waits 1 s in recv: busy polling would show ~100%.
await run("idle-wait/cpu", "cpu%", async () => {
  await comm.Barrier();
  if (rank === 0) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await comm.send(0, peer, 4);
    return (await comm.recv(peer, 5)) as number;
  }
  const before = process.cpuUsage();
  const start = now();
  await comm.recv(peer, 4);
  const used = process.cpuUsage(before);
  const percent = (used.user + used.system) / 1000 / (now() - start) * 100;
  await comm.send(percent, peer, 5);
  return percent;
}, { warmups: 0, repetitions: 3 });
