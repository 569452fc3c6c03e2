/**
 * Rank 0 streams 8 MiB messages (rendezvous) to rank 1, which receives them forever and says how many it got.
 * The driver kills rank 1 with SIGKILL in the middle of the stream: the launcher must name rank 1 and exit
 * 137, since rank 0's failed sends are a consequence (ERR_PEER_LOST naming rank 1), never the cause.
 */
import process from "node:process";
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const message = new Uint8Array(8 * 1024 * 1024);
console.log(`pid:${process.pid}`);
if (comm.rank === 0) {
  for (;;) await comm.Send(message, 1, 7);
} else if (comm.rank === 1) {
  for (let count = 1;; count++) {
    await comm.Recv(message, 0, 7);
    if (count <= 3) console.log(`received:${count}`);
  }
}
