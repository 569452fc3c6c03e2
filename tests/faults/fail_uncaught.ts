/** Rank 1 throws from a timer callback (outside the script's top level) while the others wait in recv. */
import { comm, failing, ready } from "./_rank.ts";

await ready();
if (comm.rank === 1) {
  setTimeout(() => {
    failing();
    throw new TypeError("rank 1 throws from a timer\nsecond line of the message");
  }, 10);
} else {
  await comm.recv(1, 9);
}
