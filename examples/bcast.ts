/**
 * Broadcast of a buffer, from the mpi4py tutorial: rank 0 holds the Float64Array `[0, 1, 2, 3]` and `Bcast`
 * copies its bytes (no encoding) into the array every other rank has ready.
 *
 * ```sh
 * mpirun-deno -n 4 examples/bcast.ts
 * ```
 *
 * @module
 */

import { MPI } from "mpirun-deno";

const comm = MPI.COMM_WORLD;
const rank = comm.Get_rank();

const data = rank === 0 ? Float64Array.from([0, 1, 2, 3]) : new Float64Array(4);
await comm.Bcast(data, 0);

console.log(`Process ${rank} has data: ${numpyFormat(data)}`);
data.forEach((value, i) => {
  if (value !== i) throw new Error(`rank ${rank}: data[${i}] is ${value}, expected ${i}`);
});

/** Prints whole-number floats as NumPy does: `[ 8.  9. 10. 11.]`. */
function numpyFormat(values: Float64Array): string {
  const items = [...values].map((value) => `${value}.`);
  const width = Math.max(...items.map((item) => item.length));
  return `[${items.map((item) => item.padStart(width)).join(" ")}]`;
}
