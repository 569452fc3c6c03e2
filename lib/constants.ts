/**
 * The public constants of MPI, as mpi4py names them. Imports nothing.
 *
 * @module
 */

/**
 * Matches a message from any source in `recv`, `irecv` and `probe`.
 *
 * @example
 * ```ts
 * import { ANY_SOURCE, MPI } from "mpirun-deno";
 * if (MPI.COMM_WORLD.size > 1) {
 *   if (MPI.COMM_WORLD.rank === 1) await MPI.COMM_WORLD.send("hi", 0);
 *   if (MPI.COMM_WORLD.rank === 0) console.log(await MPI.COMM_WORLD.recv(ANY_SOURCE));
 * }
 * ```
 */
export const ANY_SOURCE: number = -1;

/** Matches a message with any tag in `recv`, `irecv` and `probe`. */
export const ANY_TAG: number = -1;

/** A peer that makes a send or receive a no-op, as in MPI. */
export const PROC_NULL: number = -2;

/** A peer of the root inside an intercommunicator collective; kept for mpi4py parity. */
export const ROOT: number = -3;

/** The colour that `Split` gives to ranks which want no new communicator (they get `COMM_NULL`). */
export const UNDEFINED: number = -32766;

/** `Get_topology` of a communicator made by `Create_graph`. */
export const GRAPH = 1;
/** `Get_topology` of a communicator made by `Create_cart`. */
export const CART = 2;
/** `Get_topology` of a communicator made by `Create_dist_graph` or `Create_dist_graph_adjacent`. */
export const DIST_GRAPH = 3;

/** The largest tag value that may be used (tags are 0 to `TAG_UB`). */
export const TAG_UB = 2 ** 31 - 1;

/** The `Split_type` kind that groups ranks which share a host. */
export const COMM_TYPE_SHARED = 1;

/** Results of `Group.Compare` and `Comm.Compare`. */
export const IDENT = 0;
/** Same members, same order, different context (see {@linkcode IDENT}). */
export const CONGRUENT = 1;
/** Same members in a different order (see {@linkcode IDENT}). */
export const SIMILAR = 2;
/** Different members (see {@linkcode IDENT}). */
export const UNEQUAL = 3;

/** Marker for "the data is already in the receive buffer", where MPI allows it. */
export const IN_PLACE: unique symbol = Symbol.for("mpirun-deno.IN_PLACE");
/** The type of {@linkcode IN_PLACE}. */
export type InPlace = typeof IN_PLACE;

/** The mpirun-deno version, as `cli.ts --version` and `MPI.Get_library_version()` print it. */
export const VERSION = "0.1.0";

/** The MPI standard version whose semantics the module follows, as `[major, minor]`. */
export const MPI_VERSION: readonly [number, number] = [3, 1];
