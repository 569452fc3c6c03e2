/**
 * A rank that computes for a long time without yielding must not be taken for dead: after a barrier, the last
 * rank busy-loops for 12 s (longer than the 10 s handshake deadline), then every rank joins an allreduce,
 * whose partners may connect to the busy rank for the first time while it computes.
 */
import process from "node:process";
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const BUSY_MS = 12_000;
console.log(`pid:${process.pid}`);
await comm.barrier();
if (comm.rank === comm.size - 1) {
  const until = Date.now() + BUSY_MS;
  while (Date.now() < until) { /* computing, without yielding to the event loop */ }
}
const sum = await comm.allreduce(comm.rank + 1);
console.log(`sum:${sum}`);
