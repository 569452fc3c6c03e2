/**
 * Making the graph communicators: `Create_graph` (every rank gives the whole graph), and
 * `Create_dist_graph_adjacent` / `Create_dist_graph` (each rank gives a part). The distributed forms
 * allgather the parts on the parent first, so that every rank knows its neighbours and every rank sees the
 * same inconsistency, if any (an edge that one end lists and the other does not), and fails with the same
 * error instead of hanging in a later neighbourhood collective. Ranks keep their order (`reorder` accepted).
 *
 * @module
 */

import { allgatherValue } from "../../collectives/allgather.ts";
import { UNDEFINED } from "../../constants.ts";
import { ErrorCode, mpiError } from "../../errors.ts";
import { describeValue, namedArgs } from "../args.ts";
import { collective } from "../collective_calls.ts";
import { type CommCore, trim } from "../core.ts";
import { dup, split } from "../management.ts";
import { Distgraphcomm, type DistNeighbours, type Graph, Graphcomm } from "./graphcomm.ts";
import { checkCounts, checkRankList, checkReorder, withTopology } from "./topology_args.ts";

const GRAPH_NAMES = ["reorder"] as const;
const ADJACENT_NAMES = ["sourceweights", "destweights", "reorder"] as const;
const DIST_NAMES = ["weights", "reorder"] as const;

/** `Create_graph(index, edges, { reorder })`: the first `index.length` ranks; the others get COMM_NULL. */
export function createGraph(
  core: CommCore,
  index: unknown,
  edges: unknown,
  named: unknown[],
): Promise<Graphcomm> {
  const where = "Create_graph";
  let graph: Graph;
  try {
    core.live(where);
    checkReorder(where, namedArgs(where, GRAPH_NAMES, trim(named)).reorder);
    graph = checkGraph(where, index, edges, core.size);
  } catch (error) {
    return Promise.reject(error);
  }
  const inGraph = core.rank < graph.index.length;
  return split(
    core,
    [inGraph ? 0 : UNDEFINED, core.rank],
    withTopology((made) =>
      new Graphcomm(core.job, made.members, made.rank, made.contexts, `${where}(${core.name})`, graph)
    ),
  );
}

/** `Create_dist_graph_adjacent(sources, destinations, { sourceweights, destweights, reorder })`. */
export function createDistGraphAdjacent(
  core: CommCore,
  sources: unknown,
  destinations: unknown,
  named: unknown[],
): Promise<Distgraphcomm> {
  const where = "Create_dist_graph_adjacent";
  let mine: DistNeighbours;
  try {
    core.live(where);
    const args = namedArgs(where, ADJACENT_NAMES, trim(named));
    checkReorder(where, args.reorder);
    const from = checkRankList(where, "sources", sources, core.size);
    const to = checkRankList(where, "destinations", destinations, core.size);
    const fromWeights = checkCounts(where, "sourceweights", args.sourceweights, from.length);
    const toWeights = checkCounts(where, "destweights", args.destweights, to.length);
    if ((fromWeights === undefined) !== (toWeights === undefined)) {
      throw mpiError(ErrorCode.ERR_ARG, `${where}: give both sourceweights and destweights, or neither`);
    }
    mine = {
      sources: from,
      destinations: to,
      weights: fromWeights && toWeights ? [fromWeights, toWeights] : null,
    };
  } catch (error) {
    return Promise.reject(error);
  }
  return collective(core, where, false, (shape) => allgatherValue(shape, [mine.sources, mine.destinations]))
    .then((all) => {
      checkAdjacentAgree(where, all as [number[], number[]][]);
      return distGraphComm(core, where, mine);
    });
}

/** `Create_dist_graph(sources, degrees, destinations, { weights, reorder })`: any edges, from any rank. */
export function createDistGraph(
  core: CommCore,
  sources: unknown,
  degrees: unknown,
  destinations: unknown,
  named: unknown[],
): Promise<Distgraphcomm> {
  const where = "Create_dist_graph";
  let edges: Edge[];
  try {
    core.live(where);
    const args = namedArgs(where, DIST_NAMES, trim(named));
    checkReorder(where, args.reorder);
    const from = checkRankList(where, "sources", sources, core.size);
    const counts = checkCounts(where, "degrees", degrees, from.length) as number[];
    if (counts === undefined) {
      throw mpiError(ErrorCode.ERR_ARG, `${where}: degrees must be an array of ${from.length} integers >= 0`);
    }
    const to = checkRankList(where, "destinations", destinations, core.size);
    const total = counts.reduce((sum, count) => sum + count, 0);
    if (total !== to.length) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: degrees add up to ${total}, but destinations has ${to.length} entries`,
      );
    }
    const weights = checkCounts(where, "weights", args.weights, to.length);
    edges = [];
    let at = 0;
    from.forEach((source, i) => {
      for (let k = 0; k < counts[i]; k++, at++) edges.push([source, to[at], weights?.[at] ?? -1]);
    });
  } catch (error) {
    return Promise.reject(error);
  }
  return collective(core, where, false, (shape) => allgatherValue(shape, edges)).then((all) => {
    return distGraphComm(core, where, neighboursIn(all.flat() as Edge[], core.rank));
  });
}

/** The new communicator of `where` (a dup of `core`'s group), with this rank's neighbours `mine`. */
function distGraphComm(core: CommCore, where: string, mine: DistNeighbours): Promise<Distgraphcomm> {
  return dup(
    core,
    (made) =>
      new Distgraphcomm(core.job, made!.members, made!.rank, made!.contexts, `${where}(${core.name})`, mine),
  );
}

/** An edge of `Create_dist_graph`: from, to, and its weight (-1: none given). */
type Edge = [source: number, destination: number, weight: number];

/**
 * The neighbours of `rank` among all `edges`, in the order the edges were given (by the rank that gave
 * them, then in its lists): the same order at both ends of each edge, which is what the neighbourhood
 * collectives match messages by. Weighted when any edge has a weight (an edge without one weighs 1).
 */
function neighboursIn(edges: readonly Edge[], rank: number): DistNeighbours {
  const sources: number[] = [];
  const sourceWeights: number[] = [];
  const destinations: number[] = [];
  const destWeights: number[] = [];
  for (const [source, destination, weight] of edges) {
    if (destination === rank) {
      sources.push(source);
      sourceWeights.push(weight < 0 ? 1 : weight);
    }
    if (source === rank) {
      destinations.push(destination);
      destWeights.push(weight < 0 ? 1 : weight);
    }
  }
  const weighted = edges.some((edge) => edge[2] >= 0);
  return { sources, destinations, weights: weighted ? [sourceWeights, destWeights] : null };
}

/**
 * Checks that the parts of `Create_dist_graph_adjacent` agree: rank b lists a among its sources as many
 * times as a lists b among its destinations. Every rank runs it on the same data, so all fail alike.
 */
function checkAdjacentAgree(where: string, all: readonly [number[], number[]][]): void {
  const count = (list: readonly number[], rank: number) => list.filter((entry) => entry === rank).length;
  all.forEach(([, destinations], a) => {
    for (const b of new Set(destinations)) {
      const sent = count(destinations, b);
      const expected = count(all[b][0], a);
      if (sent !== expected) {
        throw mpiError(
          ErrorCode.ERR_ARG,
          `${where}: rank ${a} lists rank ${b} ${sent} time(s) in destinations, but rank ${b} lists rank ${a} ` +
            `${expected} time(s) in sources`,
        );
      }
    }
  });
  all.forEach(([sources], b) => {
    for (const a of new Set(sources)) {
      if (count(all[a][1], b) === 0) {
        throw mpiError(
          ErrorCode.ERR_ARG,
          `${where}: rank ${b} lists rank ${a} in sources, but rank ${a} does not list rank ${b} in destinations`,
        );
      }
    }
  });
}

/** Checks `Create_graph`'s `index` and `edges` against a communicator of `size`. */
function checkGraph(where: string, index: unknown, edges: unknown, size: number): Graph {
  if (!Array.isArray(index)) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: index must be an array of integers, not ${describeValue(index)}`,
    );
  }
  if (index.length > size) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: index has ${index.length} nodes, more than the ${size} ranks of the communicator`,
    );
  }
  let previous = 0;
  index.forEach((entry: unknown, i) => {
    if (typeof entry !== "number" || !Number.isSafeInteger(entry) || entry < previous) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: index[${i}] is ${
          describeValue(entry)
        }, not an integer >= ${previous} (index is cumulative)`,
      );
    }
    previous = entry;
  });
  const checkedEdges = checkRankList(where, "edges", edges, index.length);
  if (checkedEdges.length !== previous) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: edges has ${checkedEdges.length} entries, but index ends at ${previous}`,
    );
  }
  return { index: index.slice(), edges: checkedEdges };
}
