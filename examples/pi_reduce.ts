/**
 * Pi by the midpoint rule, from the mpi4py tutorial, with a reduction: like `pi_gather.ts`, but rank 0 gets
 * the sum of the partial sums directly from `reduce(partialPi, MPI.SUM, 0)` (a binomial tree: no rank receives
 * more than `log2 p` messages) and prints the time and the error against `Math.PI`.
 *
 * ```sh
 * mpirun-deno -n 4 examples/pi_reduce.ts
 * ```
 *
 * @module
 */

import { MPI } from "mpirun-deno";

const t0 = MPI.Wtime();
const comm = MPI.COMM_WORLD;
const nprocs = comm.Get_size();
const myrank = comm.Get_rank();

// Number of integration steps, and the step size.
const nsteps = 10_000_000;
const dx = 1.0 / nsteps;

let ranges: [number, number][] | null = null;
if (myrank === 0) {
  // The first `nsteps % nprocs` ranks take one step more.
  const ave = Math.floor(nsteps / nprocs), res = nsteps % nprocs;
  const counts = Array.from({ length: nprocs }, (_, p) => (p < res ? ave + 1 : ave));
  let start = 0;
  ranges = counts.map((count) => [start, start += count]);
}
const [first, end] = await comm.scatter<[number, number]>(ranges, 0);

// This rank's part of the sum.
let partialPi = 0.0;
for (let i = first; i < end; i++) {
  const x = (i + 0.5) * dx;
  partialPi += 4.0 / (1.0 + x * x);
}
partialPi *= dx;

const pi = await comm.reduce(partialPi, MPI.SUM, 0);
if (myrank === 0) {
  const error = Math.abs(pi! - Math.PI);
  console.log(`pi computed in ${(MPI.Wtime() - t0).toFixed(3)} sec`);
  console.log(`error is ${error}`);
  if (!(error < 1e-10)) throw new Error(`pi is off by ${error}`);
}
