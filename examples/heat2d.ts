/**
 * The 2-D heat equation by Jacobi iterations on an N x N grid split into blocks over a Cartesian grid of
 * ranks. Each rank holds its block with a halo of one cell; every iteration exchanges the halos with its four
 * neighbours by `Sendrecv`: rows as they are (contiguous), columns as one element of a vector datatype
 * (`MPI.DOUBLE.Create_vector(rows, 1, width)`), with no copy through a temporary array in this code. At the
 * end, rank 0 gathers the blocks (a subarray datatype on each side) and checks the grid against the same
 * iterations on one rank. The mpi4py twin is `scripts/bench/heat2d.py`.
 *
 * ```sh
 * mpirun-deno -n 4 examples/heat2d.ts            # 128 x 128, 500 iterations
 * mpirun-deno -n 4 examples/heat2d.ts 512 1000   # N, iterations
 * ```
 *
 * @module
 */

import process from "node:process";
import { MPI } from "mpirun-deno";

const comm = MPI.COMM_WORLD;
const n = Number(process.argv[2] ?? 128);
const iterations = Number(process.argv[3] ?? 500);
/** The temperature held on the top edge; the other edges are held at 0. */
const TOP = 100;

// The ranks as a grid of dims[0] rows x dims[1] columns, and this rank's neighbours (PROC_NULL at an edge).
const dims = MPI.Compute_dims(comm.size, [0, 0]);
const cart = await comm.Create_cart(dims, { periods: [false, false] });
const [north, south] = cart.Shift(0, 1);
const [west, east] = cart.Shift(1, 1);
const [row, col] = cart.coords;

/** The first index and the length of part `index` of `total` cells split into `parts` (the first ones longer). */
function split(total: number, parts: number, index: number): [number, number] {
  const base = Math.floor(total / parts), extra = total % parts;
  return [index * base + Math.min(index, extra), base + (index < extra ? 1 : 0)];
}

const [top, rows] = split(n, dims[0], row);
const cols = split(n, dims[1], col)[1];

/**
 * Runs the iterations on a block of `rows` x `cols` cells at (`top`, `left`) of the grid, exchanging halos
 * with `neighbours` (`[north, south, west, east]`); returns the block with its halo, `cols + 2` wide.
 */
async function solve(
  on: MPI.Comm,
  top: number,
  rows: number,
  cols: number,
  neighbours: readonly number[],
): Promise<Float64Array> {
  const width = cols + 2;
  let u = new Float64Array((rows + 2) * width);
  let next = new Float64Array((rows + 2) * width);
  // The grid's top edge is the halo row above a block in the first row of ranks.
  if (top === 0) {
    u.fill(TOP, 1, width - 1);
    next.fill(TOP, 1, width - 1);
  }
  const column = MPI.DOUBLE.Create_vector(rows, 1, width).Commit();
  const [up, down, west, east] = neighbours;
  for (let step = 0; step < iterations; step++) {
    // Halos: my first row to the north while the south's first row lands below my last, and so on.
    await on.Sendrecv(
      [u.subarray(width + 1), cols, MPI.DOUBLE],
      up,
      0,
      [
        u.subarray((rows + 1) * width + 1),
        cols,
        MPI.DOUBLE,
      ],
      down,
      0,
    );
    await on.Sendrecv(
      [u.subarray(rows * width + 1), cols, MPI.DOUBLE],
      down,
      1,
      [
        u.subarray(1),
        cols,
        MPI.DOUBLE,
      ],
      up,
      1,
    );
    await on.Sendrecv(
      [u.subarray(width + 1), 1, column],
      west,
      2,
      [u.subarray(width + cols + 1), 1, column],
      east,
      2,
    );
    await on.Sendrecv(
      [u.subarray(width + cols), 1, column],
      east,
      3,
      [u.subarray(width), 1, column],
      west,
      3,
    );
    for (let i = 1; i <= rows; i++) {
      const at = i * width;
      for (let j = at + 1; j <= at + cols; j++) {
        next[j] = 0.25 * (u[j - width] + u[j + width] + u[j - 1] + u[j + 1]);
      }
    }
    [u, next] = [next, u];
  }
  column.Free();
  return u;
}

await cart.Barrier();
const t0 = MPI.Wtime();
const block = await solve(cart, top, rows, cols, [north, south, west, east]);
await cart.Barrier();
const seconds = MPI.Wtime() - t0;

// Gather: each block's interior (a subarray of its array with halo) into its place in the grid at rank 0.
const interior = MPI.DOUBLE.Create_subarray([rows + 2, cols + 2], [rows, cols], [1, 1]).Commit();
if (cart.rank !== 0) {
  await cart.Send([block, 1, interior], 0, 9);
} else {
  const grid = new Float64Array(n * n);
  for (let source = 0; source < cart.size; source++) {
    const [r, c] = cart.Get_coords(source);
    const [t, h] = split(n, dims[0], r);
    const [l, w] = split(n, dims[1], c);
    const place = MPI.DOUBLE.Create_subarray([n, n], [h, w], [t, l]).Commit();
    if (source === 0) {
      const packed = new Float64Array(h * w);
      interior.Pack(block, packed, 0);
      place.Unpack(packed, 0, grid);
    } else {
      await cart.Recv([grid, 1, place], source, 9);
    }
    place.Free();
  }
  // The same iterations on one rank, and the largest difference.
  const whole = await solve(MPI.COMM_SELF, 0, n, n, [
    MPI.PROC_NULL,
    MPI.PROC_NULL,
    MPI.PROC_NULL,
    MPI.PROC_NULL,
  ]);
  let maxError = 0, checksum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const value = grid[i * n + j];
      checksum += value;
      maxError = Math.max(maxError, Math.abs(value - whole[(i + 1) * (n + 2) + j + 1]));
    }
  }
  console.log(
    `heat2d: ${n} x ${n} grid, ${iterations} iterations on ${cart.size} ranks (${dims[0]} x ${
      dims[1]
    }): checksum ${checksum.toFixed(6)}, max error against one rank ${maxError}, ${seconds.toFixed(3)} s`,
  );
  if (maxError !== 0) process.exitCode = 1;
}
interior.Free();
