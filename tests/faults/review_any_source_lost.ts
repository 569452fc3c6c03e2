/**
 * Started without a launcher (as `srun` would, without `--kill-on-bad-exit`), 3 ranks: rank 0 waits in
 * recv(ANY_SOURCE) for a message nobody sends; rank 2, which never exchanged anything with rank 0, dies by
 * SIGKILL. Rank 0 must get ERR_PEER_LOST naming rank 2 (it prints it and exits 3) instead of hanging.
 */
import process from "node:process";
import { ANY_SOURCE, MPI, MPIError } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
console.log(`pid:${process.pid}`);
if (comm.rank === 0) {
  try {
    await comm.recv(ANY_SOURCE, 9);
  } catch (error) {
    if (!(error instanceof MPIError)) throw error;
    console.error(`rank 0 got ${error.codeName}: ${error.message}`);
    process.exit(3);
  }
} else if (comm.rank === 1) {
  try {
    await comm.recv(0, 5); // never sent: rank 1 ends when rank 0 does
  } catch {
    process.exit(4);
  }
} else {
  await new Promise((resolve) => setTimeout(resolve, 500));
  process.kill(process.pid, "SIGKILL");
}
