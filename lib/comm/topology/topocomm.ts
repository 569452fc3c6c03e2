/**
 * `Topocomm`: what the communicators with a topology share (`Cartcomm`, `Graphcomm`, `Distgraphcomm`):
 * their neighbours, and the neighbourhood collectives over them.
 *
 * @module
 */

import { Comm } from "../comm.ts";

/**
 * A communicator with a topology: its ranks know their neighbours. Made by `Create_cart`, `Create_graph`,
 * `Create_dist_graph_adjacent` or `Create_dist_graph`; every call of {@linkcode Comm} works on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const ring = await MPI.COMM_WORLD.Create_cart([MPI.COMM_WORLD.size], { periods: [true] });
 * assert.ok(ring instanceof MPI.Topocomm);
 * assert.equal(ring.indegree, 2);
 * ```
 */
export abstract class Topocomm extends Comm {
  /** @internal The ranks this one receives from in a neighbourhood collective, in order (PROC_NULL: none). */
  abstract get inedges(): number[];

  /** @internal The ranks this one sends to in a neighbourhood collective, in order (PROC_NULL: none). */
  abstract get outedges(): number[];

  /** Number of ranks this one receives from in a neighbourhood collective (PROC_NULL entries included). */
  get indegree(): number {
    return this.inedges.length;
  }

  /** Number of ranks this one sends to in a neighbourhood collective (PROC_NULL entries included). */
  get outdegree(): number {
    return this.outedges.length;
  }
}
