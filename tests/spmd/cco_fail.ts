/**
 * Expected failure: the root scatters a list with one item too many and does not catch the error. The job
 * must end with the root named and the count in the message, while the other ranks wait in the scatter.
 *
 * @module
 */

import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const items = comm.rank === 0 ? Array.from({ length: comm.size + 1 }, (_, i) => i) : null;
await comm.scatter(items, 0);
console.log(`cco_fail: rank ${comm.rank} was not stopped`);
