/**
 * The ping-pong loops of the 2-rank benchmarks (`p2p.ts`, `report_switch.ts`), and their warm-up: ranks 0
 * and 1 of `comm` send a message back and forth, OSU-style, and the time is given one way (half a round trip).
 *
 * @module
 */

import type { Comm } from "mpirun-deno";
import { now, WARMUP_MS } from "./measure.ts";

/** One-way latency in microseconds of `iterations` round trips of a value. */
export async function valueRoundTrips(comm: Comm, value: unknown, iterations: number): Promise<number> {
  const peer = 1 - comm.rank;
  await comm.Barrier();
  const start = now();
  for (let i = 0; i < iterations; i++) {
    if (comm.rank === 0) {
      await comm.send(value, peer, 1);
      await comm.recv(peer, 1);
    } else {
      await comm.send(await comm.recv(peer, 1), peer, 1);
    }
  }
  return (now() - start) * 1000 / (2 * iterations);
}

/** One-way latency in microseconds of `iterations` round trips of the bytes of `buffer`. */
export async function bufferRoundTrips(
  comm: Comm,
  buffer: Uint8Array,
  iterations: number,
): Promise<number> {
  const peer = 1 - comm.rank;
  await comm.Barrier();
  const start = now();
  for (let i = 0; i < iterations; i++) {
    if (comm.rank === 0) {
      await comm.Send(buffer, peer, 1);
      await comm.Recv(buffer, peer, 1);
    } else {
      await comm.Recv(buffer, peer, 1);
      await comm.Send(buffer, peer, 1);
    }
  }
  return (now() - start) * 1000 / (2 * iterations);
}

/**
 * Runs `measure` at least `minimum` times and until WARMUP_MS have passed (JIT tiers, caches), the same
 * number of times on every rank: rank 0 decides.
 */
export async function warmUp(
  comm: Comm,
  measure: () => Promise<number>,
  minimum: number,
): Promise<void> {
  if (minimum === 0) return;
  const start = now();
  for (let i = 0;; i++) {
    await measure();
    if (!await comm.bcast(i + 1 < minimum || now() - start < WARMUP_MS, 0)) return;
  }
}
