/**
 * Started without a launcher: rank 0 dies by SIGKILL while the others wait in a barrier; each of them must
 * get ERR_PEER_LOST (and exits with 3 to prove it) instead of hanging.
 */
import process from "node:process";
import { ErrorCode, MPIError } from "../../mod.ts";
import { comm, ready } from "./_rank.ts";

await ready();
if (comm.rank === 0) {
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(process.pid, "SIGKILL");
}
try {
  await comm.barrier();
} catch (error) {
  if (error instanceof MPIError && error.code === ErrorCode.ERR_PEER_LOST) {
    console.error(`rank ${comm.rank} got ERR_PEER_LOST in barrier: ${error.message}`);
    process.exit(3);
  }
  throw error;
}
