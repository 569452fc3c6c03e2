/**
 * Large messages between two ranks of one host, copied by both (see SHARED_COPY_MIN in lib/wire/limits.ts):
 * every byte arrives, whether the sender writes its half or is too busy to, and a receive never waits for a
 * sender that computes outside MPI calls. Run on 2 ranks; prints `p2p_shared_copy ok on rank R of 2`.
 *
 * @module
 */

import { MPI } from "../../mod.ts";
import { same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
if (size !== 2) throw new Error(`p2p_shared_copy needs 2 ranks, not ${size}`);
const peer = 1 - rank;
const SIZE = 4 * 1024 * 1024 + 3;
const pattern = (round: number) => new Uint8Array(SIZE).map((_, i) => (i * 11 + round * 7) & 255);
const wallClock = () => performance.timeOrigin + performance.now();

/** Is every byte of `bytes` the pattern of `round`? */
function intact(bytes: Uint8Array, round: number): boolean {
  for (let i = 0; i < SIZE; i++) if (bytes[i] !== ((i * 11 + round * 7) & 255)) return false;
  return true;
}

// Idle senders: each rank sends to the other and waits (the first from a peer is read whole).
for (let round = 0; round < 4; round++) {
  const landed = new Uint8Array(SIZE);
  await comm.Sendrecv(pattern(round), peer, 1, landed, peer, 1);
  same(intact(landed, round), true, `round ${round} intact`);
}

// A busy sender: rank 0 starts an Isend and computes for 1.5 s before it waits. Rank 1's receive completes
// during that time (it reads the sender's half itself), before rank 0 is done computing.
if (rank === 0) {
  const message = pattern(9);
  const request = comm.Isend(message, 1, 2);
  const until = performance.now() + 1500;
  while (performance.now() < until) { /* computing, outside MPI */ }
  const busyEnded = wallClock();
  await request.wait();
  await comm.send(busyEnded, 1, 3);
} else {
  const landed = new Uint8Array(SIZE);
  await comm.Recv(landed, 0, 2);
  const received = wallClock();
  const busyEnded = await comm.recv(0, 3) as number;
  same(intact(landed, 9), true, "the busy sender's message intact");
  same(received < busyEnded, true, "the receive completed while the sender was computing");
}
console.log(`p2p_shared_copy ok on rank ${rank} of ${size}`);
