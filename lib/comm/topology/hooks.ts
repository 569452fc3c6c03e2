/**
 * How `Comm` reaches the topology constructors without importing them: `Cartcomm` and the graph
 * communicators extend `Comm`, so comm.ts cannot import their modules (the class they extend would not exist
 * yet when they load). make.ts registers the constructors here when it loads, which the public module does.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../../errors.ts";
import type { CommCore } from "../core.ts";
import type { Cartcomm } from "./cartcomm.ts";
import type { Distgraphcomm, Graphcomm } from "./graphcomm.ts";

/** The options of `Create_cart`. */
export interface CartOptions {
  /** Per dimension, does it wrap around? Default: none does. */
  periods?: readonly (boolean | number)[];
  /** May ranks be renumbered? Accepted; the ranks keep their order (the identity mapping). */
  reorder?: boolean;
}

/** The options of `Create_graph`. */
export interface GraphOptions {
  /** Accepted; the ranks keep their order (the identity mapping). */
  reorder?: boolean;
}

/** The options of `Create_dist_graph_adjacent` and `Create_dist_graph`. */
export interface DistGraphOptions {
  /** Weight of each incoming edge (`Create_dist_graph_adjacent`), or null/undefined for none. */
  sourceweights?: readonly number[] | null;
  /** Weight of each outgoing edge (`Create_dist_graph_adjacent`), or null/undefined for none. */
  destweights?: readonly number[] | null;
  /** Weight of each edge given (`Create_dist_graph`), or null/undefined for none. */
  weights?: readonly number[] | null;
  /** Accepted; the ranks keep their order (the identity mapping). */
  reorder?: boolean;
}

/** The communicator-making calls of the topologies, as make.ts provides them. */
export interface TopologyMakers {
  cart(core: CommCore, dims: unknown, named: unknown[]): Promise<Cartcomm>;
  graph(core: CommCore, index: unknown, edges: unknown, options: unknown): Promise<Graphcomm>;
  distGraphAdjacent(
    core: CommCore,
    sources: unknown,
    destinations: unknown,
    options: unknown,
  ): Promise<Distgraphcomm>;
  distGraph(
    core: CommCore,
    sources: unknown,
    degrees: unknown,
    destinations: unknown,
    options: unknown,
  ): Promise<Distgraphcomm>;
}

let registered: TopologyMakers | undefined;

/** Called once by make.ts. */
export function registerTopologyMakers(makers: TopologyMakers): void {
  registered = makers;
}

/**
 * Runs `call` with the registered makers; rejects with ERR_INTERN if make.ts was never loaded (the public
 * module always loads it).
 */
export function withTopologyMakers<T>(
  where: string,
  call: (makers: TopologyMakers) => Promise<T>,
): Promise<T> {
  if (registered === undefined) {
    return Promise.reject(mpiError(
      ErrorCode.ERR_INTERN,
      `${where}: the topology module is not loaded (import the public module "mpirun-deno")`,
    ));
  }
  return call(registered);
}
