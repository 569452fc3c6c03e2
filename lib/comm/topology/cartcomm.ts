/**
 * `Cartcomm`: a communicator whose ranks sit on a Cartesian grid (`Comm.Create_cart`). The arithmetic is in
 * cart_grid.ts; `Sub` is made in make.ts.
 *
 * @module
 */

import { CART } from "../../constants.ts";
import { ErrorCode, mpiError } from "../../errors.ts";
import { notAnInteger } from "../args.ts";
import type { Contexts, Job } from "../comm.ts";
import type { CartGrid } from "./cart_grid.ts";
import { dupTopology, subCart } from "./make.ts";
import { Topocomm } from "./topocomm.ts";

/**
 * A communicator on a Cartesian grid, as `Create_cart` makes it: rank r has coordinates `Get_coords(r)`
 * (row-major: the last dimension varies fastest), and `Shift` names the neighbours along a dimension.
 *
 * @example Neighbours on a ring
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const world = MPI.COMM_WORLD;
 * const ring = await world.Create_cart([world.size], { periods: [true] });
 * const [left, right] = ring.Shift(0, 1);
 * assert.equal(right, (world.rank + 1) % world.size);
 * assert.equal(left, (world.rank - 1 + world.size) % world.size);
 * ```
 */
export class Cartcomm extends Topocomm {
  readonly #grid: CartGrid;

  /** @internal Made by `Create_cart`, `Sub` and `Dup`. */
  constructor(
    job: Job,
    members: readonly number[],
    rank: number,
    contexts: Contexts,
    name: string,
    grid: CartGrid,
  ) {
    super(job, members, rank, contexts, name);
    this.#grid = grid;
  }

  /** `CART`. */
  override Get_topology(): number {
    this.core.live("Get_topology");
    return CART;
  }

  /** Number of dimensions. */
  Get_dim(): number {
    this.core.live("Get_dim");
    return this.#grid.dims.length;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.Get_dim();
  }

  /** Same as {@linkcode Cartcomm.ndim}. */
  get dim(): number {
    return this.Get_dim();
  }

  /** The number of ranks along each dimension. */
  get dims(): number[] {
    this.core.live("dims");
    return this.#grid.dims.slice();
  }

  /** Whether each dimension wraps around. */
  get periods(): boolean[] {
    this.core.live("periods");
    return this.#grid.periods.slice();
  }

  /** This rank's coordinates. */
  get coords(): number[] {
    return this.Get_coords(this.core.rank);
  }

  /** `[dims, periods, coords]` of this rank. */
  Get_topo(): [dims: number[], periods: boolean[], coords: number[]] {
    return [this.dims, this.periods, this.coords];
  }

  /** Same as {@linkcode Cartcomm.Get_topo}. */
  get topo(): [dims: number[], periods: boolean[], coords: number[]] {
    return this.Get_topo();
  }

  /**
   * The coordinates of `rank` (0..size-1).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const grid = await MPI.COMM_WORLD.Create_cart([MPI.COMM_WORLD.size, 1]);
   * assert.deepEqual(grid.Get_coords(grid.rank), [grid.rank, 0]);
   * ```
   */
  Get_coords(rank: number): number[] {
    const where = "Get_coords";
    this.core.live(where);
    const wrongType = notAnInteger(rank);
    if (wrongType !== undefined) throw mpiError(ErrorCode.ERR_RANK, `${where}: rank ${wrongType}`);
    if (rank < 0 || rank >= this.#grid.size) {
      throw mpiError(
        ErrorCode.ERR_RANK,
        `${where}: rank ${rank} is out of range for a grid of ${this.#grid.size}`,
      );
    }
    return this.#grid.coordsOf(rank);
  }

  /**
   * The rank at `coords`: a coordinate out of range wraps in a periodic dimension, and is an ERR_ARG error in
   * the others.
   */
  Get_cart_rank(coords: readonly number[]): number {
    this.core.live("Get_cart_rank");
    return this.#grid.rankOf("Get_cart_rank", coords);
  }

  /**
   * `[source, dest]` for a shift by `disp` (default 1) along dimension `direction`: this rank sends to `dest`
   * and receives from `source`. Past the edge of a dimension that is not periodic, the neighbour is
   * `PROC_NULL`, with which sends and receives do nothing.
   *
   * @example Halo exchange along dimension 0
   * ```ts
   * import { MPI } from "mpirun-deno";
   * const grid = await MPI.COMM_WORLD.Create_cart([MPI.COMM_WORLD.size]);
   * const [source, dest] = grid.Shift(0, 1);
   * const halo = new Float64Array(1);
   * await grid.Sendrecv(new Float64Array([grid.rank]), dest, 0, halo, source, 0);
   * ```
   */
  Shift(direction: number, disp = 1): [source: number, dest: number] {
    const where = "Shift";
    this.core.live(where);
    const ndim = this.#grid.dims.length;
    const wrongType = notAnInteger(direction);
    if (wrongType !== undefined) throw mpiError(ErrorCode.ERR_ARG, `${where}: direction ${wrongType}`);
    if (direction < 0 || direction >= ndim) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: direction ${direction} is out of range for a grid of ${ndim} dimension(s) (0..${
          ndim - 1
        })`,
      );
    }
    const wrongDisp = notAnInteger(disp);
    if (wrongDisp !== undefined) throw mpiError(ErrorCode.ERR_ARG, `${where}: disp ${wrongDisp}`);
    return this.#grid.shift(this.core.rank, direction, disp);
  }

  /**
   * Splits the grid into sub-grids: the dimensions where `remain_dims` is true are kept, and each rank gets
   * the communicator of the ranks that share its coordinates in the others. A collective.
   *
   * @example The rows of a 2-D grid
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD;
   * const grid = await world.Create_cart(MPI.Compute_dims(world.size, 2));
   * const row = await grid.Sub([false, true]);
   * assert.deepEqual(row.dims, [grid.dims[1]]);
   * assert.equal(row.rank, grid.coords[1]);
   * ```
   */
  Sub(remain_dims: readonly (boolean | number)[]): Promise<Cartcomm> {
    return subCart(this.core, this.#grid, remain_dims);
  }

  /** A new Cartesian communicator on the same grid, with a context of its own. */
  override Dup(): Promise<Cartcomm> {
    return dupTopology(
      super.Dup(),
      (comm) => new Cartcomm(comm.job, comm.members, comm.rank, comm.contexts, comm.name, this.#grid),
    );
  }

  /** @internal The neighbours: for each dimension, the one below, then the one above (PROC_NULL at an edge). */
  get inedges(): number[] {
    this.core.live("inedges");
    return this.#grid.neighbours(this.core.rank);
  }

  /** @internal Same as {@linkcode Cartcomm.inedges}. */
  get outedges(): number[] {
    return this.inedges;
  }
}
