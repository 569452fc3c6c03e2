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
import { describeValue, namedArgs } from "../args.ts";
import { type Comm, COMM_NULL } from "../comm.ts";
import { type CommCore, trim } from "../core.ts";
import { type Made, split } from "../management.ts";
import { Cartcomm } from "./cartcomm.ts";
import { CartGrid } from "./cart_grid.ts";
import { registerTopologyMakers } from "./hooks.ts";

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
      core,
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
      core,
      (made) => new Cartcomm(core.job, made.members, made.rank, made.contexts, `Sub(${core.name})`, sub),
    ),
  );
}

/**
 * A `Dup` of a communicator with a topology: `dup` is the plain `Comm.Dup`, whose members and contexts the
 * topology communicator takes over.
 */
export function dupTopology<C>(dup: Promise<Comm>, make: (comm: Comm) => C): Promise<C> {
  return dup.then(make);
}

/** The maker `split` calls: a topology communicator, or COMM_NULL for the ranks outside it. */
function withTopology<C>(_core: CommCore, make: (made: Made) => C): (made: Made | undefined) => C {
  return (made) => made === undefined ? COMM_NULL as unknown as C : make(made);
}

/** Checks `dims`: an array of integers >= 1. */
function checkDims(where: string, dims: unknown): number[] {
  if (!Array.isArray(dims)) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: dims must be an array of integers >= 1, not ${describeValue(dims)}`,
    );
  }
  return dims.map((dim: unknown, d) => {
    if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 1) {
      throw mpiError(ErrorCode.ERR_ARG, `${where}: dims[${d}] is ${describeValue(dim)}, not an integer >= 1`);
    }
    return dim;
  });
}

/** Checks a list of one boolean (or 0/1) per dimension: `periods`, `remain_dims`. */
function checkFlags(where: string, argument: string, flags: unknown, ndim: number): boolean[] {
  if (!Array.isArray(flags) || flags.length !== ndim) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} must be an array of ${ndim} booleans (one per dimension), not ${
        describeValue(flags)
      }`,
    );
  }
  return flags.map((flag: unknown, d) => {
    if (typeof flag !== "boolean" && flag !== 0 && flag !== 1) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: ${argument}[${d}] is ${describeValue(flag)}, not a boolean`,
      );
    }
    return Boolean(flag);
  });
}

/** Checks `reorder`: a boolean (or 0/1), or absent. */
function checkReorder(where: string, reorder: unknown): void {
  if (reorder !== undefined && typeof reorder !== "boolean" && reorder !== 0 && reorder !== 1) {
    throw mpiError(ErrorCode.ERR_ARG, `${where}: reorder is ${describeValue(reorder)}, not a boolean`);
  }
}

registerTopologyMakers({
  cart: createCart,
  graph: () => Promise.reject(mpiError(ErrorCode.ERR_INTERN, "Create_graph: not yet")),
  distGraphAdjacent: () =>
    Promise.reject(mpiError(ErrorCode.ERR_INTERN, "Create_dist_graph_adjacent: not yet")),
  distGraph: () => Promise.reject(mpiError(ErrorCode.ERR_INTERN, "Create_dist_graph: not yet")),
});
