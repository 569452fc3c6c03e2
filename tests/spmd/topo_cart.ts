/**
 * SPMD check of Cartesian topologies: `Compute_dims` against known grids; `Create_cart` in 1, 2 and 3
 * dimensions, periodic and not, with coordinates, `Get_cart_rank` and `Shift` compared with what this rank
 * works out by hand (row-major layout); halos by `Sendrecv` with `PROC_NULL` at open edges (the buffer left
 * alone); ranks beyond the grid getting `COMM_NULL`; `Sub`; `Dup`; collectives on a Cartesian communicator;
 * and every bad argument failing with an error that names it, on every rank, before anything is sent.
 * Every rank prints `topo_cart ok on rank R of N`.
 *
 * ```sh
 * mpirun-deno -n 6 tests/spmd/topo_cart.ts
 * ```
 *
 * @module
 */

import { type Cartcomm, ErrorCode, MPI } from "../../mod.ts";
import { exercise, failsWith, same } from "./_check.ts";

const world = MPI.COMM_WORLD;
const { rank, size } = world;
const all = Array.from({ length: size }, (_, r) => r);
const NULL = MPI.PROC_NULL;

// --- Compute_dims: grids known from MPI_Dims_create -----------------------------------------------------------

same(MPI.Compute_dims(6, 2), [3, 2], "Compute_dims(6, 2)");
same(MPI.Compute_dims(6, 3), [3, 2, 1], "Compute_dims(6, 3)");
same(MPI.Compute_dims(7, 2), [7, 1], "Compute_dims(7, 2)");
same(MPI.Compute_dims(16, 3), [4, 2, 2], "Compute_dims(16, 3)");
same(MPI.Compute_dims(24, 3), [4, 3, 2], "Compute_dims(24, 3)");
same(MPI.Compute_dims(1, [0, 0]), [1, 1], "Compute_dims(1, [0, 0])");
same(MPI.Compute_dims(12, [0, 2, 0]), [3, 2, 2], "Compute_dims with a fixed entry");
same(MPI.Compute_dims(12, [3, 4]), [3, 4], "Compute_dims with every entry fixed");
same(MPI.Compute_dims(1, 0), [], "Compute_dims in 0 dimensions");
for (const n of [1, 2, 3, 4, 5, 6]) {
  const dims = MPI.Compute_dims(n, 2);
  same(dims[0] * dims[1], n, `Compute_dims(${n}, 2) multiplies to ${n}`);
}
await failsWith(
  () => MPI.Compute_dims(6, [4, 0]),
  ErrorCode.ERR_ARG,
  /fixed entries of dims \[4,0\]/,
  "4 does not divide 6",
);
await failsWith(() => MPI.Compute_dims(6, [2, -1]), ErrorCode.ERR_ARG, /dims\[1\] is -1/, "negative dims");
await failsWith(() => MPI.Compute_dims(0, 2), ErrorCode.ERR_ARG, /nnodes 0/, "nnodes 0");
await failsWith(
  () => MPI.Compute_dims(6, [2, 2]),
  ErrorCode.ERR_ARG,
  /cannot make a grid of nnodes 6/,
  "all fixed, wrong product",
);

same(world.Get_topology(), MPI.UNDEFINED, "COMM_WORLD has no topology");

// --- 1-D, open ends: neighbours rank-1 and rank+1, PROC_NULL past the ends --------------------------------------

const line = await world.Create_cart([size]);
same(line.Get_topology(), MPI.CART, "Get_topology of a Cartesian communicator");
same(line.Topo_test(), MPI.CART, "Topo_test");
same(
  [line.ndim, line.Get_dim(), line.dims, line.periods, line.coords],
  [1, 1, [size], [false], [rank]],
  "line",
);
same(line.Get_topo(), [[size], [false], [rank]], "Get_topo of the line");
same(line.Shift(0, 1), [rank > 0 ? rank - 1 : NULL, rank < size - 1 ? rank + 1 : NULL], "line Shift(0, 1)");
same(line.Shift(0, -1), [rank < size - 1 ? rank + 1 : NULL, rank > 0 ? rank - 1 : NULL], "line Shift(0, -1)");
same(line.Shift(0, 2), [rank >= 2 ? rank - 2 : NULL, rank + 2 < size ? rank + 2 : NULL], "line Shift(0, 2)");
same(line.Shift(0, 0), [rank, rank], "line Shift(0, 0)");
{
  // A halo exchange to the right: rank 0 receives from PROC_NULL, so its halo keeps its sentinel.
  const [source, dest] = line.Shift(0, 1);
  const halo = Float64Array.of(-7);
  await line.Sendrecv(Float64Array.of(rank * 1.5), dest, 5, halo, source, 5);
  same(halo[0], rank > 0 ? (rank - 1) * 1.5 : -7, "halo from the left (sentinel kept at the open edge)");
  const value = await line.sendrecv({ from: rank }, dest, 6, source, 6);
  same(value, rank > 0 ? { from: rank - 1 } : null, "sendrecv of values along the line");
}
await exercise(line, all, "a Cartesian line");

// --- 1-D periodic: a ring ----------------------------------------------------------------------------------------

const ring = await world.Create_cart([size], { periods: [true] });
same(ring.periods, [true], "ring periods");
same(ring.Shift(0, 1), [(rank - 1 + size) % size, (rank + 1) % size], "ring Shift(0, 1)");
same(ring.Shift(0, 3), [(((rank - 3) % size) + size) % size, (rank + 3) % size], "ring Shift(0, 3)");
same(ring.Get_cart_rank([rank + size]), rank, "Get_cart_rank wraps in a periodic dimension");
same(ring.Get_cart_rank([-1]), size - 1, "Get_cart_rank of -1 in a periodic dimension");
same(await (await world.Create_cart([size], [1], false)).Shift(0, 1), ring.Shift(0, 1), "positional periods");

// --- 2-D, periodic in the first dimension only ---------------------------------------------------------------

const [nx, ny] = MPI.Compute_dims(size, 2);
const plane = await world.Create_cart([nx, ny], { periods: [true, false], reorder: true });
{
  const [i, j] = [Math.floor(rank / ny), rank % ny];
  same(plane.coords, [i, j], "plane coords (row-major)");
  same(plane.rank, rank, "reorder keeps the ranks");
  for (let r = 0; r < size; r++) same(plane.Get_coords(r), [Math.floor(r / ny), r % ny], `Get_coords(${r})`);
  same(plane.Get_cart_rank([i, j]), rank, "Get_cart_rank of my coords");
  same(plane.Shift(0, 1), [((i - 1 + nx) % nx) * ny + j, ((i + 1) % nx) * ny + j], "plane Shift(0, 1)");
  same(plane.Shift(1, 1), [j > 0 ? rank - 1 : NULL, j < ny - 1 ? rank + 1 : NULL], "plane Shift(1, 1)");
  await failsWith(
    () => plane.Get_cart_rank([0, ny]),
    ErrorCode.ERR_ARG,
    new RegExp(`coords\\[1\\] is ${ny}, out of 0..${ny - 1} in a dimension that is not periodic`),
    "Get_cart_rank out of an open dimension",
  );
  // Rows (dimension 1 kept) and columns (dimension 0 kept).
  const row = await plane.Sub([false, true]);
  same([row.dims, row.periods, row.rank, row.size], [[ny], [false], j, ny], "Sub row");
  same(row.Get_topology(), MPI.CART, "a Sub is Cartesian");
  await exercise(row, Array.from({ length: ny }, (_, k) => i * ny + k), "a row");
  const column = await plane.Sub([0, 1].map((d) => d === 0));
  same([column.dims, column.periods, column.rank], [[nx], [true], i], "Sub column");
  await exercise(column, Array.from({ length: nx }, (_, k) => k * ny + j), "a column");
  const point = await plane.Sub([false, false]);
  same([point.dims, point.size, point.coords], [[], 1, []], "Sub with no dimension kept");
}
if (size === 6) {
  // The 3 x 2 grid, written out.
  same([nx, ny], [3, 2], "6 ranks make 3 x 2");
  const table = [[0, 0], [0, 1], [1, 0], [1, 1], [2, 0], [2, 1]];
  same(plane.coords, table[rank], "3 x 2 coords by the table");
  const shifts0 = [[4, 2], [5, 3], [0, 4], [1, 5], [2, 0], [3, 1]];
  const shifts1 = [[NULL, 1], [0, NULL], [NULL, 3], [2, NULL], [NULL, 5], [4, NULL]];
  same(plane.Shift(0, 1), shifts0[rank], "3 x 2 Shift(0, 1) by the table");
  same(plane.Shift(1, 1), shifts1[rank], "3 x 2 Shift(1, 1) by the table");
}

// --- 3-D, periodic in the middle dimension -------------------------------------------------------------------

const [a, b, c] = MPI.Compute_dims(size, 3);
const cube = await world.Create_cart([a, b, c], { periods: [false, true, false] });
{
  const coords = [Math.floor(rank / (b * c)), Math.floor(rank / c) % b, rank % c];
  same(cube.coords, coords, "cube coords");
  same(cube.ndim, 3, "cube ndim");
  const at = (x: number, y: number, z: number) => x * b * c + y * c + z;
  const [x, y, z] = coords;
  same(
    cube.Shift(0, 1),
    [x > 0 ? at(x - 1, y, z) : NULL, x < a - 1 ? at(x + 1, y, z) : NULL],
    "cube Shift(0, 1)",
  );
  same(cube.Shift(1, -1), [at(x, (y + 1) % b, z), at(x, (y - 1 + b) % b, z)], "cube Shift(1, -1)");
  same(
    cube.Shift(2, 1),
    [z > 0 ? at(x, y, z - 1) : NULL, z < c - 1 ? at(x, y, z + 1) : NULL],
    "cube Shift(2, 1)",
  );
  const slab = await cube.Sub([true, false, true]);
  same([slab.dims, slab.periods, slab.coords], [[a, c], [false, false], [x, z]], "Sub of a cube");
  const dup = await cube.Dup();
  same([dup.Get_topology(), dup.dims, dup.coords], [MPI.CART, [a, b, c], coords], "Dup keeps the grid");
  same(dup.Compare(cube), MPI.CONGRUENT, "Dup is congruent");
  dup.Free();
}

// --- A grid smaller than the communicator: the ranks beyond get COMM_NULL --------------------------------------

if (size > 1) {
  const small = await world.Create_cart([size - 1], { periods: [true] });
  if (rank === size - 1) {
    same(small, MPI.COMM_NULL, "the rank beyond the grid gets COMM_NULL");
  } else {
    same([(small as Cartcomm).size, (small as Cartcomm).Shift(0, 1)], [
      size - 1,
      [(rank - 1 + size - 1) % (size - 1), (rank + 1) % (size - 1)],
    ], "a grid of size - 1");
  }
}

// --- Bad arguments: an error naming the argument, on every rank, and nothing sent ----------------------------

await failsWith(
  () => world.Create_cart([size + 1]),
  ErrorCode.ERR_ARG,
  new RegExp(`grid of ${size + 1} ranks, more than the ${size}`),
  "dims too large",
);
await failsWith(
  () => world.Create_cart([2, -1]),
  ErrorCode.ERR_ARG,
  /dims\[1\] is -1, not an integer >= 1/,
  "negative dims",
);
await failsWith(() => world.Create_cart([0]), ErrorCode.ERR_ARG, /dims\[0\] is 0/, "zero dims");
await failsWith(
  () => world.Create_cart(3 as unknown as number[]),
  ErrorCode.ERR_ARG,
  /dims must be an array/,
  "dims not a list",
);
await failsWith(
  () => world.Create_cart([size], { periods: [true, false] }),
  ErrorCode.ERR_ARG,
  /periods must be an array of 1 booleans/,
  "periods too long",
);
await failsWith(
  () => world.Create_cart([size], { periods: ["yes" as unknown as boolean] }),
  ErrorCode.ERR_ARG,
  /periods\[0\] is/,
  "periods not booleans",
);
await failsWith(
  () => world.Create_cart([size], { perodic: [true] } as never),
  ErrorCode.ERR_ARG,
  /unknown option "perodic"/,
  "misspelt option",
);
await failsWith(
  () => plane.Shift(2, 1),
  ErrorCode.ERR_ARG,
  /Shift: direction 2 is out of range for a grid of 2 dimension/,
  "direction out of range",
);
await failsWith(() => plane.Shift(-1, 1), ErrorCode.ERR_ARG, /Shift: direction -1/, "negative direction");
await failsWith(() => plane.Shift(0, 0.5), ErrorCode.ERR_ARG, /Shift: disp 0.5/, "fractional disp");
await failsWith(
  () => plane.Get_cart_rank([0]),
  ErrorCode.ERR_ARG,
  /coords must be an array of 2 integers/,
  "coords too short",
);
await failsWith(
  () => plane.Get_coords(size),
  ErrorCode.ERR_RANK,
  new RegExp(`Get_coords: rank ${size} is out of range`),
  "Get_coords out of range",
);
await failsWith(
  () => plane.Sub([true]),
  ErrorCode.ERR_ARG,
  /Sub: remain_dims must be an array of 2 booleans/,
  "Sub remain_dims too short",
);
// After the failed calls, the collective sequence still agrees.
await exercise(plane, all, "the plane after failed calls");

console.log(`topo_cart ok on rank ${rank} of ${size}`);
