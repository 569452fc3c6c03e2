/**
 * A deadlock: rank 0 waits in recv(source=1, tag=6), rank 1 in recv(source=0, tag=5), and any other rank in a
 * barrier that rank 0 and 1 never reach.
 */
import { comm, ready } from "./_rank.ts";

await ready();
if (comm.rank === 0) await comm.recv(1, 6);
else if (comm.rank === 1) await comm.recv(0, 5);
else await comm.barrier();
