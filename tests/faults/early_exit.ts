/** Rank 1 finishes its script (exit 0) while the others still wait for its message in recv. */
import { comm, failing, ready } from "./_rank.ts";

await ready();
if (comm.rank === 1) failing();
else await comm.recv(1, 9);
