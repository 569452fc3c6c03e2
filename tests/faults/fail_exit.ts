/** Rank 1 calls process.exit(3) while the others wait for its message in recv. */
import process from "node:process";
import { comm, failing, ready } from "./_rank.ts";

await ready();
if (comm.rank === 1) {
  failing();
  process.exit(3);
}
await comm.recv(1, 9);
