/**
 * The case that failed on a loaded machine (issue 16, item 4): a large transfer between two ranks, then a
 * collective whose partners connect to each other for the first time. The test runs it beside CPU hogs;
 * every rank prints the checksum it saw and the collective's result.
 */
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const ELEMENTS = 8 * 1024 * 1024; // 64 MiB of Float64

/** A checksum that notices any moved, lost or changed element. */
function checksum(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i += 4099) sum = (sum * 31 + values[i] * (i + 1)) % 1_000_000_007;
  return sum + values[values.length - 1];
}

const data = new Float64Array(ELEMENTS);
if (comm.rank === 0) {
  for (let i = 0; i < ELEMENTS; i++) data[i] = i % 1009;
  await comm.Send(data, 1, 5);
  console.log(`checksum:${checksum(data)}`);
} else if (comm.rank === 1) {
  await comm.Recv(data, 0, 5);
  console.log(`checksum:${checksum(data)}`);
}
const sum = await comm.allreduce(comm.rank + 1);
const everyone = await comm.allgather(comm.rank);
console.log(`sum:${sum} ranks:${everyone.join(",")}`);
