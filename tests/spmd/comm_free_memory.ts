/**
 * Communicators made and freed in a loop keep no shared memory: each one's collectives map a region (a file in
 * memory, when the host offers one), and `Free` unmaps it. Counts this process's mappings of such regions
 * in `/proc/self/maps` while a communicator lives and after all are freed.
 */

import { MPI } from "mpirun-deno";
import { readFileSync } from "node:fs";
import { same } from "./_check.ts";

const world = MPI.COMM_WORLD;
const LOOPS = 12;

/** This process's mappings of communicators' shared-memory regions (`c<tag>`; the rings of pairs are `r<peer>`). */
function regionMappings(): number {
  return readFileSync("/proc/self/maps", "utf8").split("\n").filter((line) =>
    /\/memfd:mpirun-deno-c\d+-/.test(line)
  ).length;
}

await world.barrier();
const before = regionMappings();
let mappedWhileAlive = 0;
for (let round = 0; round < LOOPS; round++) {
  const comm = await world.Split(0, world.rank);
  const sum = new Float64Array(4);
  await comm.Allreduce(Float64Array.of(1, 2, 3, world.rank), sum, MPI.SUM);
  const ranks = world.size;
  same([...sum], [ranks, 2 * ranks, 3 * ranks, (ranks * (ranks - 1)) / 2], `round ${round}: Allreduce`);
  mappedWhileAlive = Math.max(mappedWhileAlive, regionMappings() - before);
  comm.Free();
}
await world.barrier();
const after = regionMappings() - before;
if (world.size > 1 && mappedWhileAlive > 0) {
  same(after, 0, `regions of ${LOOPS} freed communicators still mapped`);
  console.log(`regions released on rank ${world.rank}`);
}
console.log(`comm_free_memory ok on rank ${world.rank} of ${world.size}`);
