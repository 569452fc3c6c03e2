/**
 * Run by `pid_namespace_test.ts` as two ranks of one host, one of them in a PID namespace of its own: each
 * names the other differently, or not at all. Messages both ways, a value broadcast and a reduction; each
 * rank prints what it got.
 */
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const peer = 1 - comm.rank;
const buffer = new Float64Array(4);
for (let round = 0; round < 200; round++) {
  if (comm.rank === 0) {
    await comm.Send(Float64Array.of(round, 1, 2, 3), peer, 1);
    await comm.Recv(buffer, peer, 2);
    if (buffer[0] !== round + 1) throw new Error(`round ${round}: got ${buffer[0]} back`);
  } else {
    await comm.Recv(buffer, peer, 1);
    buffer[0] += 1;
    await comm.Send(buffer, peer, 2);
  }
}
const value = await comm.bcast(comm.rank === 0 ? { from: "rank 0" } : undefined, 0);
const sum = new Float64Array(1);
await comm.Allreduce(Float64Array.of(comm.rank + 1), sum, MPI.SUM);
console.log(`rank ${comm.rank}: 200 round trips, bcast ${JSON.stringify(value)}, sum ${sum[0]}`);
