/**
 * Direct launch, 3 ranks: rank 2 waits for rank 0, which it never exchanged anything with; rank 0 dies.
 * Rank 2 must get ERR_PEER_LOST (and exit 3 to prove it) instead of hanging.
 */
import process from "node:process";
import { ErrorCode, MPI, MPIError } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(process.pid, "SIGKILL");
}
if (comm.rank === 2) {
  try {
    await comm.recv(0, 9);
  } catch (error) {
    if (error instanceof MPIError && error.code === ErrorCode.ERR_PEER_LOST) {
      console.error(`rank 2 got ERR_PEER_LOST: ${error.message}`);
      process.exit(3);
    }
    throw error;
  }
}
