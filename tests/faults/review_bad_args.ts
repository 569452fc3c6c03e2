/** Rank 0 gives a rank as a string (`comm.send(x, "1")`), as a mistaken caller would. */
import { comm, ready } from "./_rank.ts";

await ready();
if (comm.rank === 0) await comm.send("hello", "1" as unknown as number);
else await comm.recv(0);
