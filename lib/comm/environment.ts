/**
 * The process-wide MPI calls and the predefined communicators: `COMM_WORLD`, `COMM_SELF`, `Wtime`,
 * `Get_processor_name`, `Init`/`Finalize` and friends.
 *
 * @module
 */

import { MPI_VERSION, VERSION } from "../constants.ts";
import { EnvName, readIntEnv } from "../env.ts";
import { runtimeName, runtimeVersion, scriptArguments } from "../runtime/detect.ts";
import type { Comm } from "./comm.ts";
import { world } from "./world.ts";

/**
 * All ranks of the job. Ready at import: no `Init` needed.
 *
 * @example
 * ```ts
 * import { COMM_WORLD } from "mpirun-deno";
 * console.log(`rank ${COMM_WORLD.rank} of ${COMM_WORLD.size}`);
 * ```
 */
export const COMM_WORLD: Comm = world.commWorld;

/** A communicator of this rank alone. */
export const COMM_SELF: Comm = world.commSelf;

/**
 * The script's arguments: what follows the script on the command line, the same on every rank and on Deno,
 * Bun and the compiled binary (mpi4py's `sys.argv[1:]`; on Deno also `Deno.args`).
 *
 * @example
 * ```ts
 * import { MPI } from "mpirun-deno";
 * // mpirun-deno -n 4 app.ts --size 10  ->  ["--size", "10"] on every rank
 * console.log(MPI.argv);
 * ```
 */
export const argv: readonly string[] = Object.freeze(scriptArguments());

const origin = globalThis.performance.timeOrigin;

/**
 * Seconds since an arbitrary point in the past, with sub-microsecond resolution where the runtime gives it.
 *
 * @example
 * ```ts
 * import { MPI } from "mpirun-deno";
 * const start = MPI.Wtime();
 * console.log(`took ${MPI.Wtime() - start} s`);
 * ```
 */
export function Wtime(): number {
  return (origin + globalThis.performance.now()) / 1000;
}

/** The resolution of {@linkcode Wtime}, in seconds. */
export function Wtick(): number {
  return 1e-6;
}

/** The name of the host this rank runs on. */
export function Get_processor_name(): string {
  return world.hostname;
}

/** The MPI standard version whose semantics this follows, as `[major, minor]`. */
export function Get_version(): [number, number] {
  return [MPI_VERSION[0], MPI_VERSION[1]];
}

/** The library's name, version and runtime, e.g. `"mpirun-deno 0.1.0 (deno 2.5.0)"`. */
export function Get_library_version(): string {
  return `mpirun-deno ${VERSION} (${runtimeName} ${runtimeVersion})`;
}

let finalized = false;

/** Does nothing: the rank is ready at import. Kept for those who write it out of habit. */
export function Init(): void {}

/** Marks MPI finalized; the rank still ends cleanly when its script does. */
export function Finalize(): void {
  finalized = true;
}

/** Always true: importing the module initialises MPI. */
export function Is_initialized(): boolean {
  return true;
}

/** Has `Finalize` been called? */
export function Is_finalized(): boolean {
  return finalized;
}

/** This rank's index among the ranks on its host. */
export function Get_local_rank(): number {
  return world.localRank;
}

/** How many ranks of the job run on this rank's host. */
export function Get_local_size(): number {
  return world.localSize;
}

/**
 * Which program of an MPMD job this rank runs: 0 for the first (`mpirun-deno -n 1 a.ts : -n 3 b.ts` gives
 * rank 0 the number 0 and ranks 1-3 the number 1), and 0 for every rank of an SPMD job or one started
 * without a launcher. mpi4py reads the same number as `COMM_WORLD.Get_attr(MPI.APPNUM)`; here it is the
 * value itself.
 *
 * @example
 * ```ts
 * import { MPI } from "mpirun-deno";
 * if (MPI.APPNUM === 0) console.log("the master program");
 * ```
 */
export const APPNUM: number = readIntEnv(EnvName.APPNUM, 0, 2 ** 31 - 1) ?? 0;
