/**
 * The pure arithmetic of the topologies, with no process and no socket: `Compute_dims` on every size up to
 * 72 in 1 to 4 dimensions, and the Cartesian grid's coordinates, ranks and shifts against a brute-force walk
 * of the grid.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { PROC_NULL } from "../../lib/constants.ts";
import { ErrorCode } from "../../lib/errors.ts";
import { CartGrid } from "../../lib/comm/topology/cart_grid.ts";
import { Compute_dims } from "../../lib/comm/topology/dims.ts";
import { assertThrowsMpiError } from "../_helpers/assert_mpi_error.ts";

test("Compute_dims multiplies to nnodes, non-increasing, as balanced as a perfect power allows", () => {
  for (let n = 1; n <= 72; n++) {
    for (let ndims = 1; ndims <= 4; ndims++) {
      const dims = Compute_dims(n, ndims);
      assert.equal(dims.length, ndims);
      assert.equal(dims.reduce((a, b) => a * b, 1), n, `Compute_dims(${n}, ${ndims}) = ${dims}`);
      assert.deepEqual(dims, dims.slice().sort((a, b) => b - a), `non-increasing: ${dims}`);
      const root = Math.round(n ** (1 / ndims));
      if (root ** ndims === n) {
        assert.deepEqual(dims, new Array(ndims).fill(root), `a perfect power: ${dims}`);
      }
    }
  }
  // Values that MPI_Dims_create gives (Open MPI and MPICH agree on these).
  assert.deepEqual(Compute_dims(12, 2), [4, 3]);
  assert.deepEqual(Compute_dims(30, 3), [5, 3, 2]);
  assert.deepEqual(Compute_dims(60, [0, 5, 0]), [4, 5, 3]);
  assert.deepEqual(Compute_dims(13, 3), [13, 1, 1]);
});

test("Compute_dims names the argument that is wrong", () => {
  assertThrowsMpiError(
    () => Compute_dims(-3, 2),
    ErrorCode.ERR_ARG,
    /Compute_dims: nnodes -3 is not an integer >= 1/,
  );
  assertThrowsMpiError(
    () => Compute_dims(6, -2),
    ErrorCode.ERR_ARG,
    /Compute_dims: dims -2 is not an integer >= 0/,
  );
  assertThrowsMpiError(() => Compute_dims(6, [0, 1.5]), ErrorCode.ERR_ARG, /dims\[1\] is 1\.5/);
  assertThrowsMpiError(
    () => Compute_dims(10, [3, 0]),
    ErrorCode.ERR_ARG,
    /product 3\) cannot make a grid of nnodes 10/,
  );
});

test("a Cartesian grid's coordinates, ranks and shifts match a walk of every cell", () => {
  const grids: [number[], boolean[]][] = [
    [[5], [false]],
    [[5], [true]],
    [[3, 4], [true, false]],
    [[2, 3, 2], [false, true, true]],
    [[1, 2, 1], [true, false, true]],
  ];
  for (const [dims, periods] of grids) {
    const grid = new CartGrid(dims, periods);
    // Walk the cells in row-major order: the last coordinate moves fastest.
    const cells: number[][] = [[]];
    for (const dim of dims) {
      const next: number[][] = [];
      for (const cell of cells) for (let x = 0; x < dim; x++) next.push([...cell, x]);
      cells.splice(0, cells.length, ...next);
    }
    assert.equal(grid.size, cells.length);
    cells.forEach((cell, rank) => {
      assert.deepEqual(grid.coordsOf(rank), cell);
      assert.equal(grid.rankOf("test", cell), rank);
      for (let d = 0; d < dims.length; d++) {
        for (const disp of [-3, -1, 0, 1, 2]) {
          const move = (step: number) => {
            const moved = cell.slice();
            moved[d] += step;
            if (moved[d] < 0 || moved[d] >= dims[d]) {
              if (!periods[d]) return PROC_NULL;
              moved[d] = ((moved[d] % dims[d]) + dims[d]) % dims[d];
            }
            return cells.findIndex((other) => other.every((x, i) => x === moved[i]));
          };
          assert.deepEqual(
            grid.shift(rank, d, disp),
            [move(-disp), move(disp)],
            `${dims} ${cell} d=${d} disp=${disp}`,
          );
        }
      }
      assert.deepEqual(grid.neighbours(rank), dims.flatMap((_, d) => grid.shift(rank, d, 1)));
    });
  }
  assertThrowsMpiError(
    () => new CartGrid([3, 4], [true, false]).rankOf("Get_cart_rank", [0, 4]),
    ErrorCode.ERR_ARG,
    /Get_cart_rank: coords\[1\] is 4, out of 0..3 in a dimension that is not periodic/,
  );
});
