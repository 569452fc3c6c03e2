/**
 * Rank 0 dies by SIGKILL while rank 1 waits for it in recv: rank 1 must get ERR_PEER_LOST (it exits with 3 to
 * prove it saw that error) unless the launcher has already ended the job. Rank 0 first hands rank 1 a message
 * with `ssend`, which completes only once rank 1 has matched it: a plain send may still be on its way (in this
 * process) when the process is killed.
 */
import process from "node:process";
import { ErrorCode, MPI, MPIError } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  await comm.ssend("hello", 1, 0);
  process.kill(process.pid, "SIGKILL");
}
await comm.recv(0, 0);
try {
  await comm.recv(0, 1);
} catch (error) {
  if (error instanceof MPIError && error.code === ErrorCode.ERR_PEER_LOST) {
    console.error(`rank 1 got ERR_PEER_LOST: ${error.message}`);
    process.exit(3);
  }
  throw error;
}
