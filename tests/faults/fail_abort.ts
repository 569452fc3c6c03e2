/** Rank 1 calls Abort(5) while the others wait in recv. */
import { comm, failing, ready } from "./_rank.ts";

await ready();
if (comm.rank === 1) {
  failing();
  await comm.Abort(5);
}
await comm.recv(1, 9);
