/** Rank 1 kills itself with SIGKILL while the others wait for its message in recv. */
import process from "node:process";
import { comm, failing, ready } from "./_rank.ts";

await ready();
if (comm.rank === 1) {
  failing();
  process.kill(process.pid, "SIGKILL");
}
await comm.recv(1, 9);
