/**
 * mpirun-deno: MPI for TypeScript, on Deno and Bun. Importing this module makes the process an MPI rank:
 * started by `mpirun-deno -n 4 script.ts`, by `srun`, or alone (a world of one).
 *
 * Values (anything msgpack-able: numbers, bigints, strings, arrays, plain objects, Map, Set, Date, typed
 * arrays) travel with the lowercase calls; the bytes of typed arrays travel with no encoding with the
 * capitalised ones, as in mpi4py.
 *
 * @example Hello from every rank
 * ```ts
 * import { MPI } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * console.log(`Hello from rank ${comm.rank} of ${comm.size} on ${MPI.Get_processor_name()}`);
 * ```
 *
 * @module
 */

export * from "./lib/comm/api.ts";
export * as MPI from "./lib/comm/api.ts";
