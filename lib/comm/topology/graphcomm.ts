/**
 * `Graphcomm` (`Comm.Create_graph`) and `Distgraphcomm` (`Comm.Create_dist_graph_adjacent`,
 * `Comm.Create_dist_graph`): communicators whose ranks know their neighbours in a graph.
 *
 * @module
 */

import { DIST_GRAPH, GRAPH } from "../../constants.ts";
import { ErrorCode, mpiError } from "../../errors.ts";
import { notAnInteger } from "../args.ts";
import type { Contexts, Job } from "../comm.ts";
import { dupTopology } from "./make.ts";
import { Topocomm } from "./topocomm.ts";

/** The graph of `Create_graph`: the neighbours of rank i are `edges[index[i-1] .. index[i]-1]`. */
export interface Graph {
  index: readonly number[];
  edges: readonly number[];
}

/**
 * A communicator on a graph, as `Create_graph` makes it: every rank knows the whole graph.
 *
 * @example A ring as a graph
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const n = MPI.COMM_WORLD.size;
 * const index = Array.from({ length: n }, (_, i) => 2 * (i + 1));
 * const edges = Array.from({ length: n }, (_, i) => [(i - 1 + n) % n, (i + 1) % n]).flat();
 * const graph = await MPI.COMM_WORLD.Create_graph(index, edges);
 * assert.deepEqual(graph.neighbors, [(graph.rank - 1 + n) % n, (graph.rank + 1) % n]);
 * ```
 */
export class Graphcomm extends Topocomm {
  readonly #graph: Graph;

  /** @internal Made by `Create_graph` and `Dup`. */
  constructor(
    job: Job,
    members: readonly number[],
    rank: number,
    contexts: Contexts,
    name: string,
    graph: Graph,
  ) {
    super(job, members, rank, contexts, name);
    this.#graph = graph;
  }

  /** `GRAPH`. */
  override Get_topology(): number {
    this.core.live("Get_topology");
    return GRAPH;
  }

  /** `[nnodes, nedges]`: the number of nodes and of edges (each listed edge counts). */
  Get_dims(): [nnodes: number, nedges: number] {
    this.core.live("Get_dims");
    return [this.#graph.index.length, this.#graph.edges.length];
  }

  /** Number of nodes. */
  get nnodes(): number {
    return this.Get_dims()[0];
  }

  /** Number of edges. */
  get nedges(): number {
    return this.Get_dims()[1];
  }

  /** `[index, edges]`, as given to `Create_graph`. */
  Get_topo(): [index: number[], edges: number[]] {
    this.core.live("Get_topo");
    return [this.#graph.index.slice(), this.#graph.edges.slice()];
  }

  /** Same as {@linkcode Graphcomm.Get_topo}. */
  get topo(): [index: number[], edges: number[]] {
    return this.Get_topo();
  }

  /** The `index` given to `Create_graph`. */
  get index(): number[] {
    return this.Get_topo()[0];
  }

  /** The `edges` given to `Create_graph`. */
  get edges(): number[] {
    return this.Get_topo()[1];
  }

  /** Number of neighbours of `rank`. */
  Get_neighbors_count(rank: number): number {
    return this.Get_neighbors(rank).length;
  }

  /** The neighbours of `rank`, in the order of `edges`. */
  Get_neighbors(rank: number): number[] {
    const where = "Get_neighbors";
    this.core.live(where);
    const wrongType = notAnInteger(rank);
    if (wrongType !== undefined) throw mpiError(ErrorCode.ERR_RANK, `${where}: rank ${wrongType}`);
    const { index, edges } = this.#graph;
    if (rank < 0 || rank >= index.length) {
      throw mpiError(
        ErrorCode.ERR_RANK,
        `${where}: rank ${rank} is out of range for a graph of ${index.length}`,
      );
    }
    return edges.slice(rank === 0 ? 0 : index[rank - 1], index[rank]);
  }

  /** This rank's neighbours. */
  get neighbors(): number[] {
    return this.Get_neighbors(this.core.rank);
  }

  /** Number of this rank's neighbours. */
  get nneighbors(): number {
    return this.neighbors.length;
  }

  /** A new graph communicator on the same graph, with a context of its own. */
  override Dup(): Promise<Graphcomm> {
    return dupTopology(
      super.Dup(),
      (comm) => new Graphcomm(comm.job, comm.members, comm.rank, comm.contexts, comm.name, this.#graph),
    );
  }

  /** @internal This rank's neighbours: both whom it receives from and whom it sends to. */
  get inedges(): number[] {
    return this.neighbors;
  }

  /** @internal Same as {@linkcode Graphcomm.inedges}. */
  get outedges(): number[] {
    return this.neighbors;
  }
}

/** One rank's part of a distributed graph. */
export interface DistNeighbours {
  sources: readonly number[];
  destinations: readonly number[];
  /** `[sourceweights, destweights]`, or null when the graph is unweighted. */
  weights: readonly [readonly number[], readonly number[]] | null;
}

/**
 * A communicator on a distributed graph, as `Create_dist_graph_adjacent` and `Create_dist_graph` make it:
 * each rank knows whom it receives from (`inedges`) and whom it sends to (`outedges`).
 *
 * @example A ring, each rank sending to the next
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const { rank, size } = MPI.COMM_WORLD;
 * const ring = await MPI.COMM_WORLD.Create_dist_graph_adjacent([(rank - 1 + size) % size], [(rank + 1) % size]);
 * assert.deepEqual(ring.Get_dist_neighbors_count(), [1, 1, false]);
 * ```
 */
export class Distgraphcomm extends Topocomm {
  readonly #mine: DistNeighbours;

  /** @internal Made by `Create_dist_graph_adjacent`, `Create_dist_graph` and `Dup`. */
  constructor(
    job: Job,
    members: readonly number[],
    rank: number,
    contexts: Contexts,
    name: string,
    mine: DistNeighbours,
  ) {
    super(job, members, rank, contexts, name);
    this.#mine = mine;
  }

  /** `DIST_GRAPH`. */
  override Get_topology(): number {
    this.core.live("Get_topology");
    return DIST_GRAPH;
  }

  /** `[indegree, outdegree, weighted]`. */
  Get_dist_neighbors_count(): [indegree: number, outdegree: number, weighted: boolean] {
    this.core.live("Get_dist_neighbors_count");
    return [this.#mine.sources.length, this.#mine.destinations.length, this.#mine.weights !== null];
  }

  /** `[sources, destinations, weights]`, weights being `[sourceweights, destweights]` or null. */
  Get_dist_neighbors(): [sources: number[], destinations: number[], weights: [number[], number[]] | null] {
    this.core.live("Get_dist_neighbors");
    const { sources, destinations, weights } = this.#mine;
    return [sources.slice(), destinations.slice(), weights && [weights[0].slice(), weights[1].slice()]];
  }

  /** A new distributed graph communicator on the same graph, with a context of its own. */
  override Dup(): Promise<Distgraphcomm> {
    return dupTopology(
      super.Dup(),
      (comm) => new Distgraphcomm(comm.job, comm.members, comm.rank, comm.contexts, comm.name, this.#mine),
    );
  }

  /** The ranks this one receives from, in order. */
  get inedges(): number[] {
    this.core.live("inedges");
    return this.#mine.sources.slice();
  }

  /** The ranks this one sends to, in order. */
  get outedges(): number[] {
    this.core.live("outedges");
    return this.#mine.destinations.slice();
  }
}
