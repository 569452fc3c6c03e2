/**
 * The arithmetic of a Cartesian grid: coordinates of a rank, rank at coordinates, shifts along a dimension,
 * and the neighbour order of the neighbourhood collectives. Ranks are laid out in row-major order (the last
 * dimension varies fastest), as in MPI. Pure: no communication.
 *
 * @module
 */

import { PROC_NULL } from "../../constants.ts";
import { ErrorCode, mpiError } from "../../errors.ts";
import { describeValue } from "../args.ts";

/**
 * A Cartesian grid of `dims` with `periods` (true: the dimension wraps around).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CartGrid } from "./cart_grid.ts";
 * const grid = new CartGrid([2, 3], [false, true]);
 * assert.deepEqual(grid.coordsOf(4), [1, 1]);
 * assert.equal(grid.rankOf("Get_cart_rank", [1, -1]), 5);
 * assert.deepEqual(grid.shift(4, 0, 1), [1, -2]); // [source, PROC_NULL]
 * ```
 */
export class CartGrid {
  readonly dims: readonly number[];
  readonly periods: readonly boolean[];
  /** Number of ranks in the grid: the product of `dims`. */
  readonly size: number;

  constructor(dims: readonly number[], periods: readonly boolean[]) {
    this.dims = dims;
    this.periods = periods;
    this.size = dims.reduce((product, dim) => product * dim, 1);
  }

  /** The coordinates of grid rank `rank` (0..size-1). */
  coordsOf(rank: number): number[] {
    const coords = new Array<number>(this.dims.length);
    let rest = rank;
    for (let d = this.dims.length - 1; d >= 0; d--) {
      coords[d] = rest % this.dims[d];
      rest = Math.floor(rest / this.dims[d]);
    }
    return coords;
  }

  /**
   * The rank at `coords`; a coordinate out of range wraps in a periodic dimension and is an ERR_ARG error in
   * the others (as is a list of the wrong length).
   */
  rankOf(where: string, coords: unknown): number {
    if (!Array.isArray(coords) || coords.length !== this.dims.length) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: coords must be an array of ${this.dims.length} integers (one per dimension), not ${
          describeValue(coords)
        }`,
      );
    }
    let rank = 0;
    coords.forEach((coord: unknown, d) => {
      if (typeof coord !== "number" || !Number.isSafeInteger(coord)) {
        throw mpiError(
          ErrorCode.ERR_ARG,
          `${where}: coords[${d}] is ${describeValue(coord)}, not an integer`,
        );
      }
      const dim = this.dims[d];
      let at = coord;
      if (at < 0 || at >= dim) {
        if (!this.periods[d]) {
          throw mpiError(
            ErrorCode.ERR_ARG,
            `${where}: coords[${d}] is ${coord}, out of 0..${dim - 1} in a dimension that is not periodic`,
          );
        }
        at = ((at % dim) + dim) % dim;
      }
      rank = rank * dim + at;
    });
    return rank;
  }

  /**
   * `[source, dest]` of a shift by `disp` along dimension `direction` from grid rank `rank`: `dest` is `disp`
   * steps up, `source` as many down; `PROC_NULL` past the edge of a dimension that is not periodic.
   */
  shift(rank: number, direction: number, disp: number): [source: number, dest: number] {
    const coords = this.coordsOf(rank);
    return [this.#moved(coords, direction, -disp), this.#moved(coords, direction, disp)];
  }

  /**
   * The neighbours of grid rank `rank`, in MPI's order for the neighbourhood collectives: for each dimension,
   * the one below (shift by -1), then the one above (+1); `PROC_NULL` past an edge. They are both the
   * sources and the destinations.
   */
  neighbours(rank: number): number[] {
    const list: number[] = [];
    for (let d = 0; d < this.dims.length; d++) list.push(...this.shift(rank, d, 1));
    return list;
  }

  #moved(coords: readonly number[], direction: number, disp: number): number {
    const dim = this.dims[direction];
    let at = coords[direction] + disp;
    if (at < 0 || at >= dim) {
      if (!this.periods[direction]) return PROC_NULL;
      at = ((at % dim) + dim) % dim;
    }
    let rank = 0;
    for (let d = 0; d < this.dims.length; d++) {
      rank = rank * this.dims[d] + (d === direction ? at : coords[d]);
    }
    return rank;
  }
}
