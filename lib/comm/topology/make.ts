/**
 * Making the communicators with a topology: `Create_cart`, `Cartcomm.Sub`, `Create_graph`,
 * `Create_dist_graph_adjacent` and `Create_dist_graph`. Each checks its arguments on every rank before
 * anything is sent, then makes the communicator by a `Split` of the parent (ranks outside the topology get
 * `COMM_NULL`, as `Split` with `UNDEFINED` gives), and hands it the topology. `reorder` is accepted and ranks
 * keep their order (the identity mapping), so that a rank's place in the grid is its rank in the parent.
 *
 * Registers itself in hooks.ts when it loads.
 *
 * @module
 */

import { UNDEFINED } from "../../constants.ts";
import { ErrorCode, mpiError } from "../../errors.ts";
import { namedArgs } from "../args.ts";
import { type CommCore, trim } from "../core.ts";
import { split } from "../management.ts";
import { Cartcomm } from "./cartcomm.ts";
import { CartGrid } from "./cart_grid.ts";
import { registerTopologyMakers } from "./hooks.ts";
import { createDistGraph, createDistGraphAdjacent, createGraph } from "./make_graph.ts";
import { checkDims, checkFlags, checkReorder, withTopology } from "./topology_args.ts";

const CART_NAMES = ["periods", "reorder"] as const;

/** `Create_cart(dims, { periods, reorder })` or `Create_cart(dims, periods, reorder)`. */
export function createCart(core: CommCore, dims: unknown, named: unknown[]): Promise<Cartcomm> {
  const where = "Create_cart";
  let grid: CartGrid;
  try {
    core.live(where);
    const args = namedArgs(where, CART_NAMES, trim(named));
    const checkedDims = checkDims(where, dims);
    const periods = checkFlags(
      where,
      "periods",
      args.periods ?? checkedDims.map(() => false),
      checkedDims.length,
    );
    checkReorder(where, args.reorder);
    grid = new CartGrid(checkedDims, periods);
    if (grid.size > core.size) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: dims ${JSON.stringify(checkedDims)} make a grid of ${grid.size} ranks, ` +
          `more than the ${core.size} of ${core.name}`,
      );
    }
  } catch (error) {
    return Promise.reject(error);
  }
  const inGrid = core.rank < grid.size;
  return split(
    core,
    [inGrid ? 0 : UNDEFINED, core.rank],
    withTopology(
      (made) =>
        new Cartcomm(core.job, made.members, made.rank, made.contexts, `${where}(${core.name})`, grid),
    ),
  );
}

/** `Sub(remain_dims)` of a Cartesian communicator with `grid`. */
export function subCart(core: CommCore, grid: CartGrid, remain: unknown): Promise<Cartcomm> {
  const where = "Sub";
  let keep: boolean[];
  try {
    core.live(where);
    keep = checkFlags(where, "remain_dims", remain, grid.dims.length);
  } catch (error) {
    return Promise.reject(error);
  }
  const coords = grid.coordsOf(core.rank);
  // The colour: this rank's coordinates in the dropped dimensions, as one number.
  let color = 0;
  grid.dims.forEach((dim, d) => {
    if (!keep[d]) color = color * dim + coords[d];
  });
  const sub = new CartGrid(grid.dims.filter((_, d) => keep[d]), grid.periods.filter((_, d) => keep[d]));
  return split(
    core,
    [color, core.rank],
    withTopology(
      (made) => new Cartcomm(core.job, made.members, made.rank, made.contexts, `Sub(${core.name})`, sub),
    ),
  );
}

registerTopologyMakers({
  cart: createCart,
  graph: createGraph,
  distGraphAdjacent: createDistGraphAdjacent,
  distGraph: createDistGraph,
});
