/**
 * Scatter of uneven blocks, from the mpi4py tutorial: rank 0 splits the 15 numbers `0..14` as evenly as the
 * ranks allow (4, 4, 4, 3 on four ranks) and `Scatterv` sends each rank its block, straight into a
 * Float64Array of the right length.
 *
 * ```sh
 * mpirun-deno -n 4 examples/scatter.ts
 * ```
 *
 * @module
 */

import { MPI } from "mpirun-deno";

const comm = MPI.COMM_WORLD;
const size = comm.Get_size();
const rank = comm.Get_rank();

const total = 15;
// The size of each rank's block: the first `total % size` ranks take one more.
const ave = Math.floor(total / size), res = total % size;
const counts = Array.from({ length: size }, (_, p) => (p < res ? ave + 1 : ave));
const starts = counts.map((_, p) => counts.slice(0, p).reduce((a, b) => a + b, 0));

const data = rank === 0 ? Float64Array.from({ length: total }, (_, i) => i) : null;
const mine = new Float64Array(counts[rank]);
await comm.Scatterv(data ? [data, counts, starts] : null, mine, 0);

console.log(`Process ${rank} has data: ${numpyFormat(mine)}`);
mine.forEach((value, i) => {
  if (value !== starts[rank] + i) {
    throw new Error(`rank ${rank}: element ${i} is ${value}, expected ${starts[rank] + i}`);
  }
});

/** Prints whole-number floats as NumPy does: `[ 8.  9. 10. 11.]`. */
function numpyFormat(values: Float64Array): string {
  const items = [...values].map((value) => `${value}.`);
  const width = Math.max(0, ...items.map((item) => item.length));
  return `[${items.map((item) => item.padStart(width)).join(" ")}]`;
}
