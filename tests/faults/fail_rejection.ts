/** Rank 1 leaves a rejected promise unhandled while the others wait in recv. */
import { comm, failing, ready } from "./_rank.ts";

await ready();
if (comm.rank === 1) {
  failing();
  // Nobody handles this rejection, on purpose.
  new Promise((_, reject) => setTimeout(() => reject(new RangeError("rank 1 rejects on purpose")), 10));
} else {
  await comm.recv(1, 9);
}
