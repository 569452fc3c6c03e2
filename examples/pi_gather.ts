/**
 * Pi by the midpoint rule, from the mpi4py tutorial: rank 0 scatters a range of the 10,000,000 steps of the
 * integral of 4 / (1 + x^2) over [0, 1] to each rank, every rank sums its part, and `gather` brings the
 * partial sums back to rank 0, which adds them up and prints the time and the error against `Math.PI`.
 *
 * ```sh
 * mpirun-deno -n 4 examples/pi_gather.ts
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

const partials = await comm.gather(partialPi, 0);
if (myrank === 0) {
  const pi = partials!.reduce((a, b) => a + b, 0);
  const error = Math.abs(pi - Math.PI);
  console.log(`pi computed in ${(MPI.Wtime() - t0).toFixed(3)} sec`);
  console.log(`error is ${error}`);
  if (!(error < 1e-10)) throw new Error(`pi is off by ${error}`);
}
