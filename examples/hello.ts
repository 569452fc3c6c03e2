/**
 * Hello world: every rank says who it is and where it runs.
 *
 * ```sh
 * mpirun-deno -n 4 examples/hello.ts
 * ```
 *
 * @module
 */

import { MPI } from "mpirun-deno";

const comm = MPI.COMM_WORLD;
console.log(
  `Hello, World! I am process ${comm.Get_rank()} of ${comm.Get_size()} on ${MPI.Get_processor_name()}.`,
);
