/**
 * SPMD check of graph topologies and neighbourhood collectives. On Cartesian grids (1-, 2- and 3-D, periodic
 * and not, so that on 1 and 2 ranks a rank is its own neighbour or both neighbours are one rank) every
 * neighbourhood collective, on values and on buffers, blocking and not, is compared with what this rank works
 * out by hand from its coordinates; blocks from `PROC_NULL` neighbours leave the receive buffer alone. Then
 * `Create_graph` (a star, a multigraph, an asymmetric graph that must fail), `Create_dist_graph_adjacent`
 * (weights, and parts that disagree, which must fail on every rank) and `Create_dist_graph` (all edges given
 * by rank 0), and bad arguments naming the argument. Every rank prints `topo_neighbors ok on rank R of N`.
 *
 * ```sh
 * mpirun-deno -n 6 tests/spmd/topo_neighbors.ts
 * ```
 *
 * @module
 */

import { type Cartcomm, ErrorCode, type Graphcomm, MPI } from "../../mod.ts";
import { exercise, failsWith, same } from "./_check.ts";

const world = MPI.COMM_WORLD;
const { rank, size } = world;
const all = Array.from({ length: size }, (_, r) => r);
const NULL = MPI.PROC_NULL;
const mod = (a: number, n: number) => ((a % n) + n) % n;

/**
 * The neighbours of `coords` on a grid of `dims`/`periods`, worked out here: per dimension the rank below,
 * then the rank above, PROC_NULL past an open edge.
 */
function neighboursByHand(dims: number[], periods: boolean[], coords: number[]): number[] {
  const rankAt = (c: number[]) => c.reduce((r, x, d) => r * dims[d] + x, 0);
  const list: number[] = [];
  dims.forEach((dim, d) => {
    for (const step of [-1, 1]) {
      const moved = coords[d] + step;
      if ((moved < 0 || moved >= dim) && !periods[d]) {
        list.push(NULL);
      } else {
        const c = coords.slice();
        c[d] = mod(moved, dim);
        list.push(rankAt(c));
      }
    }
  });
  return list;
}

/** Runs every neighbourhood collective on `grid` and checks it against `neighboursByHand`. */
async function checkGrid(grid: Cartcomm, what: string): Promise<void> {
  const hood = neighboursByHand(grid.dims, grid.periods, grid.coords);
  const k = hood.length;
  same(grid.inedges, hood, `${what}: inedges`);
  same(
    [grid.indegree, grid.outdegree, grid.degrees, grid.inoutedges],
    [k, k, [k, k], [hood, hood]],
    `${what}: degrees`,
  );

  // Values: slot s came from hood[s]; in slot 2d the neighbour below sent what it sends up (its slot 2d+1).
  same(
    await grid.neighbor_allgather({ r: rank }),
    hood.map((n) => n === NULL ? null : { r: n }),
    `${what}: neighbor_allgather`,
  );
  const items = hood.map((_, s) => `${rank}:${s}`);
  same(
    await grid.neighbor_alltoall(items),
    hood.map((n, s) => n === NULL ? null : `${n}:${s ^ 1}`),
    `${what}: neighbor_alltoall`,
  );

  // Buffers, with a sentinel where a PROC_NULL neighbour sends nothing.
  const gathered = new Float64Array(2 * k).fill(-1);
  await grid.Neighbor_allgather(Float64Array.of(rank, rank + 0.5), gathered);
  same(
    gathered,
    Float64Array.from(hood.flatMap((n) => n === NULL ? [-1, -1] : [n, n + 0.5])),
    `${what}: Neighbor_allgather`,
  );

  const sendBlocks = Float64Array.from(hood.flatMap((_, s) => [rank * 100 + s, -(rank * 100 + s)]));
  const received = new Float64Array(2 * k).fill(-7);
  await grid.Neighbor_alltoall(sendBlocks, received);
  const expected = Float64Array.from(
    hood.flatMap((n, s) => n === NULL ? [-7, -7] : [n * 100 + (s ^ 1), -(n * 100 + (s ^ 1))]),
  );
  same(received, expected, `${what}: Neighbor_alltoall`);

  // v-forms: to slot s go s + 1 elements; from slot s come (s ^ 1) + 1, the block the neighbour meant for us.
  const sendCounts = hood.map((_, s) => s + 1);
  const sendv = Int32Array.from(
    hood.flatMap((_, s) => Array.from({ length: s + 1 }, (_, e) => rank * 1000 + s * 10 + e)),
  );
  const recvCounts = hood.map((_, s) => (s ^ 1) + 1);
  const recvDispls = recvCounts.map((_, s) => recvCounts.slice(0, s).reduce((a, b) => a + b, 0) + s); // one gap each
  const recvv = new Int32Array(recvCounts.reduce((a, b) => a + b, 0) + k).fill(-9);
  await grid.Neighbor_alltoallv([sendv, sendCounts], [recvv, recvCounts, recvDispls]);
  const expectedv = new Int32Array(recvv.length).fill(-9);
  hood.forEach((n, s) => {
    if (n === NULL) return;
    for (let e = 0; e < recvCounts[s]; e++) expectedv[recvDispls[s] + e] = n * 1000 + (s ^ 1) * 10 + e;
  });
  same(recvv, expectedv, `${what}: Neighbor_alltoallv`);

  // Allgatherv: each rank sends rank % 3 + 1 elements; the slots hold them at the displacements given.
  const mine = Int16Array.from({ length: (rank % 3) + 1 }, (_, e) => rank * 10 + e);
  const counts = hood.map((n) => n === NULL ? 0 : (n % 3) + 1);
  const displs = hood.map((_, s) => 4 * s);
  const gatheredv = new Int16Array(4 * k).fill(-1);
  await grid.Neighbor_allgatherv(mine, [gatheredv, counts, displs]);
  const expectedGv = new Int16Array(4 * k).fill(-1);
  hood.forEach((n, s) => {
    for (let e = 0; n !== NULL && e < counts[s]; e++) expectedGv[4 * s + e] = n * 10 + e;
  });
  same(gatheredv, expectedGv, `${what}: Neighbor_allgatherv`);

  // w-form, mixed types per neighbour: to the rank below (even slots) Int32s, to the rank above (odd slots) a
  // column of a grid of doubles as a vector datatype, straight from and into the grids.
  const w = mixedTypes(grid.dims.length, hood);
  await grid.Neighbor_alltoallw(w.send, w.recv);
  same(new Float64Array(w.into, 0, w.cells), w.expectedGrid, `${what}: Neighbor_alltoallw, columns`);
  same(new Int32Array(w.into, 8 * w.cells), w.expectedInts, `${what}: Neighbor_alltoallw, ints`);
  w.reset();

  // Non-blocking, two in flight at once.
  const a = new Uint8Array(k).fill(255);
  const first = grid.Ineighbor_allgather(Uint8Array.of(rank), a);
  const second = grid.ineighbor_alltoall(items);
  const third = grid.Ineighbor_alltoall(sendBlocks, received.fill(-7));
  const fourth = grid.Ineighbor_allgatherv(mine, [gatheredv.fill(-1), counts, displs]);
  const fifth = grid.Ineighbor_alltoallv([sendv, sendCounts], [recvv.fill(-9), recvCounts, recvDispls]);
  const sixth = grid.Ineighbor_alltoallw(w.send, w.recv);
  same(
    await second.wait(),
    hood.map((n, s) => n === NULL ? null : `${n}:${s ^ 1}`),
    `${what}: ineighbor_alltoall`,
  );
  same(
    await grid.ineighbor_allgather(rank).wait(),
    hood.map((n) => n === NULL ? null : n),
    `${what}: ineighbor_allgather`,
  );
  await Promise.all([first.wait(), third.wait(), fourth.wait(), fifth.wait(), sixth.wait()]);
  same(a, Uint8Array.from(hood.map((n) => n === NULL ? 255 : n)), `${what}: Ineighbor_allgather`);
  same(received, expected, `${what}: Ineighbor_alltoall`);
  same(gatheredv, expectedGv, `${what}: Ineighbor_allgatherv`);
  same(recvv, expectedv, `${what}: Ineighbor_alltoallv`);
  same(new Float64Array(w.into, 0, w.cells), w.expectedGrid, `${what}: Ineighbor_alltoallw, columns`);
  same(new Int32Array(w.into, 8 * w.cells), w.expectedInts, `${what}: Ineighbor_alltoallw, ints`);
  w.column.Free();
}

/**
 * The w-buffers of a `Neighbor_alltoallw` on a grid of `ndims` dimensions, and what it must leave in the
 * receive memory, worked out by hand. Each memory is a ROWS x COLS grid of doubles (column d for dimension d)
 * followed by 4 Int32 per slot. To the rank below (slot 2d) go d + 1 Int32, sent as `Int32Array`; to the rank
 * above (slot 2d + 1) goes column d of the grid, as the vector (ROWS, 1, COLS). So slot s receives what the
 * neighbour sent from its slot s ^ 1: in an even slot a column, into column d; in an odd slot d + 1 Int32, as
 * `MPI.INT`. A `PROC_NULL` slot keeps its sentinel (-1 in the grid, -9 in the ints).
 */
function mixedTypes(ndims: number, hood: number[]) {
  const ROWS = 3, COLS = ndims + 1, cells = ROWS * COLS, k = hood.length;
  const column = MPI.DOUBLE.Create_vector(ROWS, 1, COLS).Commit();
  const out = new ArrayBuffer(8 * cells + 16 * k);
  new Float64Array(out, 0, cells).set(Array.from({ length: cells }, (_, i) => rank * 100 + i + 0.5));
  const outInts = new Int32Array(out, 8 * cells);
  hood.forEach((_, s) => outInts.set([0, 1, 2, 3].map((e) => rank * 1000 + s * 10 + e), 4 * s));
  const into = new ArrayBuffer(out.byteLength);
  const reset = () => {
    new Float64Array(into, 0, cells).fill(-1);
    new Int32Array(into, 8 * cells).fill(-9);
  };
  reset();
  const intsAt = (s: number) => 8 * cells + 16 * s;
  const send = [
    out,
    hood.map((_, s) => s % 2 === 0 ? (s >> 1) + 1 : 1),
    hood.map((_, s) => s % 2 === 0 ? intsAt(s) : 8 * (s >> 1)),
    hood.map((_, s) => s % 2 === 0 ? Int32Array : column),
  ] as const;
  const recv = [
    into,
    hood.map((_, s) => s % 2 === 0 ? 1 : (s >> 1) + 1),
    hood.map((_, s) => s % 2 === 0 ? 8 * (s >> 1) : intsAt(s)),
    hood.map((_, s) => s % 2 === 0 ? column : MPI.INT),
  ] as const;
  const expectedGrid = new Float64Array(cells).fill(-1);
  const expectedInts = new Int32Array(4 * k).fill(-9);
  hood.forEach((n, s) => {
    if (n === NULL) return;
    const d = s >> 1;
    if (s % 2 === 0) {
      for (let row = 0; row < ROWS; row++) expectedGrid[row * COLS + d] = n * 100 + row * COLS + d + 0.5;
    } else {
      for (let e = 0; e <= d; e++) expectedInts[4 * s + e] = n * 1000 + (s ^ 1) * 10 + e;
    }
  });
  return { send, recv, into, cells, column, expectedGrid, expectedInts, reset };
}

// --- Cartesian grids ---------------------------------------------------------------------------------------

await checkGrid(await world.Create_cart([size]), "line");
await checkGrid(await world.Create_cart([size], { periods: [true] }), "ring");
const [nx, ny] = MPI.Compute_dims(size, 2);
await checkGrid(await world.Create_cart([nx, ny], { periods: [true, false] }), "plane periodic in x");
await checkGrid(await world.Create_cart([nx, ny], { periods: [true, true] }), "torus");
const [a, b, c] = MPI.Compute_dims(size, 3);
await checkGrid(await world.Create_cart([a, b, c], { periods: [false, true, true] }), "cube");
await checkGrid(
  await world.Create_cart([1, size, 1], { periods: [true, false, true] }),
  "1 x n x 1, periodic ends of 1",
);

{
  // Blocks of 128 KiB, which go by rendezvous and may land straight in recvbuf: on a ring of 1 or 2 ranks,
  // both slots come from one rank and must not swap.
  const ring = await world.Create_cart([size], { periods: [true] });
  const n = 16384;
  const send = new Float64Array(2 * n).map((_, i) => rank * 1e6 + i);
  const got = new Float64Array(2 * n);
  await ring.Neighbor_alltoall(send, got);
  const [below, above] = ring.inedges;
  const expected = new Float64Array(2 * n).map((_, i) => i < n ? below * 1e6 + n + i : above * 1e6 + (i - n));
  same(got, expected, "Neighbor_alltoall of 128 KiB blocks");
  const gathered = new Float64Array(2 * n);
  await ring.Neighbor_allgather(send.subarray(0, n), gathered);
  same(
    gathered,
    new Float64Array(2 * n).map((_, i) => (i < n ? below : above) * 1e6 + (i % n)),
    "Neighbor_allgather of 128 KiB",
  );
}

// --- Create_graph --------------------------------------------------------------------------------------------

{
  // A star: node 0 is linked to every other node.
  const index = all.map((r) => r === 0 ? size - 1 : size - 1 + r);
  const edges = [...all.slice(1), ...all.slice(1).map(() => 0)];
  const star = await world.Create_graph(index, edges);
  same(star.Get_topology(), MPI.GRAPH, "Get_topology of a graph");
  same(star.Get_dims(), [size, 2 * (size - 1)], "Get_dims of the star");
  same(star.Get_topo(), [index, edges], "Get_topo of the star");
  const neighbours = rank === 0 ? all.slice(1) : [0];
  same([star.neighbors, star.Get_neighbors_count(rank), star.nneighbors], [
    neighbours,
    neighbours.length,
    neighbours.length,
  ], "star neighbours");
  same(
    await star.neighbor_allgather(rank * 2),
    neighbours.map((n) => n * 2),
    "neighbor_allgather on the star",
  );
  const got = new Int32Array(neighbours.length);
  await star.Neighbor_alltoall(Int32Array.from(neighbours, (n) => rank * 100 + n), got);
  same(got, Int32Array.from(neighbours, (n) => n * 100 + rank), "Neighbor_alltoall on the star");
  await exercise(star, all, "the star");
  const dup = await star.Dup();
  same([dup.Get_topology(), dup.neighbors], [MPI.GRAPH, neighbours], "Dup of a graph");
}
if (size >= 2) {
  // A multigraph: 0 and 1 linked twice; messages between them land in list order.
  const index = all.map((r) => r === 0 ? 2 : 4);
  const edges = [1, 1, 0, 0];
  const twice = await world.Create_graph(index.slice(0, 2), edges);
  if (rank >= 2) {
    same(twice, MPI.COMM_NULL, "ranks beyond the graph get COMM_NULL");
  } else {
    const graph = twice as Graphcomm;
    same(
      await graph.neighbor_alltoall([`${rank}a`, `${rank}b`]),
      [`${1 - rank}a`, `${1 - rank}b`],
      "multigraph order",
    );
  }
  // An asymmetric graph: 0 -> 1 only. Every rank knows it, so every rank fails (none hangs).
  const oneWay = await world.Create_graph(all.map((r) => r === 0 ? 1 : 1), [1]);
  await failsWith(
    () => oneWay.neighbor_allgather(rank),
    ErrorCode.ERR_ARG,
    /graph is not symmetric \(rank 0 lists rank 1 1 time\(s\), rank 1 lists rank 0 0 time\(s\)\)/,
    "asymmetric graph",
  );
  await exercise(oneWay, all, "the asymmetric graph after the failed call");
}

// --- Create_dist_graph_adjacent ------------------------------------------------------------------------------

{
  const sources = [mod(rank - 1, size), mod(rank - 2, size)];
  const destinations = [mod(rank + 1, size), mod(rank + 2, size)];
  const dist = await world.Create_dist_graph_adjacent(sources, destinations, {
    sourceweights: [1, 2],
    destweights: [1, 2],
  });
  same(dist.Get_topology(), MPI.DIST_GRAPH, "Get_topology of a dist graph");
  same(dist.Get_dist_neighbors_count(), [2, 2, true], "Get_dist_neighbors_count");
  same(dist.Get_dist_neighbors(), [sources, destinations, [[1, 2], [1, 2]]], "Get_dist_neighbors");
  same([dist.inedges, dist.outedges], [sources, destinations], "inedges/outedges");
  same(await dist.neighbor_allgather(rank), sources, "neighbor_allgather on the dist graph");
  // Slot 0 of my destinations is +1, whose slot 0 source is me; likewise +2 and slot 1.
  same(
    await dist.neighbor_alltoall([`${rank}+1`, `${rank}+2`]),
    [`${sources[0]}+1`, `${sources[1]}+2`],
    "neighbor_alltoall on the dist graph",
  );
  const got = new Float32Array(2);
  await dist.Neighbor_alltoall(Float32Array.of(rank + 0.25, rank + 0.5), got);
  same(got, Float32Array.of(sources[0] + 0.25, sources[1] + 0.5), "Neighbor_alltoall on the dist graph");
  const plain = await world.Create_dist_graph_adjacent([], []);
  same(
    [plain.Get_dist_neighbors(), await plain.neighbor_allgather(rank)],
    [[[], [], null], []],
    "a graph without edges",
  );
}
if (size >= 2) {
  // Rank 0 sends to 1, but 1 does not list 0 as a source: every rank fails with the same error.
  await failsWith(
    () => world.Create_dist_graph_adjacent([], rank === 0 ? [1] : []),
    ErrorCode.ERR_ARG,
    /Create_dist_graph_adjacent: rank 0 lists rank 1 1 time\(s\) in destinations, but rank 1 lists rank 0 0 time\(s\) in sources/,
    "parts that disagree",
  );
}

// --- Create_dist_graph: rank 0 gives every edge of a ring -----------------------------------------------------

{
  const sources = rank === 0 ? all : [];
  const degrees = rank === 0 ? all.map(() => 1) : [];
  const destinations = rank === 0 ? all.map((r) => mod(r + 1, size)) : [];
  const weights = rank === 0 ? all.map((r) => r + 10) : [];
  const ring = await world.Create_dist_graph(sources, degrees, destinations, { weights });
  same(ring.Get_dist_neighbors(), [[mod(rank - 1, size)], [mod(rank + 1, size)], [
    [mod(rank - 1, size) + 10],
    [rank + 10],
  ]], "Create_dist_graph neighbours");
  same(
    await ring.neighbor_allgather(`from ${rank}`),
    [`from ${mod(rank - 1, size)}`],
    "neighbor_allgather on Create_dist_graph",
  );
}

// --- Bad arguments -------------------------------------------------------------------------------------------

{
  const line = await world.Create_cart([size], { periods: [true] });
  await failsWith(
    () => line.Neighbor_allgather(new Float64Array(1), new Float64Array(3)),
    ErrorCode.ERR_COUNT,
    /recvbuf has 3 elements, not a multiple of the 2 source neighbours/,
    "recvbuf not in blocks",
  );
  await failsWith(
    () => line.Neighbor_allgather(new Float64Array(2), new Float64Array(2)),
    ErrorCode.ERR_TRUNCATE,
    /sendbuf has 16 bytes, but each of the 2 blocks of recvbuf holds 8 bytes/,
    "sendbuf too long",
  );
  await failsWith(
    () => line.neighbor_alltoall([1]),
    ErrorCode.ERR_ARG,
    /sendobj must be an array of 2 items \(one per destination neighbour\)/,
    "neighbor_alltoall with too few items",
  );
  await failsWith(
    () => line.Neighbor_alltoall(MPI.IN_PLACE as never, new Float64Array(2)),
    ErrorCode.ERR_ARG,
    /sendbuf cannot be IN_PLACE/,
    "IN_PLACE",
  );
  await failsWith(
    () => line.Neighbor_alltoallv([new Int32Array(2), [1]], [new Int32Array(2), [1, 1]]),
    ErrorCode.ERR_COUNT,
    /sendbuf counts has 1 entries/,
    "alltoallv counts too short",
  );
  const ints = new Int32Array(4);
  await failsWith(
    () =>
      line.Neighbor_alltoallw([ints, [1, 1], [0, 4], [MPI.INT]], [ints, [1, 1], [8, 12], [MPI.INT, MPI.INT]]),
    ErrorCode.ERR_ARG,
    /Neighbor_alltoallw: sendbuf types must be an array of 2 datatypes \(one per destination neighbour\)/,
    "alltoallw types too short",
  );
  await failsWith(
    () =>
      line.Neighbor_alltoallw(
        [ints, [1, 1], [0, 4], [MPI.INT, MPI.INT]],
        [ints, [1, 1, 1], [8, 12], []] as never,
      ),
    ErrorCode.ERR_COUNT,
    /Neighbor_alltoallw: recvbuf counts has 3 entries, expected one per source neighbour \(2\)/,
    "alltoallw recvcounts too long",
  );
  await failsWith(
    () =>
      line.Neighbor_alltoallw([ints, [1, 1], [0, 4], [MPI.INT, MPI.INT]], [ints, [1, 1], [8, 14], [
        MPI.INT,
        MPI.INT,
      ]]),
    ErrorCode.ERR_COUNT,
    /Neighbor_alltoallw: 1 elements of the datatype in the block of source neighbour 1 in recvbuf span bytes 14 to 18, outside the 16 bytes/,
    "alltoallw block past the end",
  );
  if (size >= 2) {
    await failsWith(
      () => world.Create_graph([2, 1], [0, 0]),
      ErrorCode.ERR_ARG,
      /index\[1\] is 1, not an integer >= 2/,
      "index decreasing",
    );
  }
  await failsWith(
    () => world.Create_graph([1], [size]),
    ErrorCode.ERR_ARG,
    /edges\[0\] is \d+, not a rank in 0..0/,
    "edge out of range",
  );
  await failsWith(
    () => world.Create_graph(all.concat([size]), []),
    ErrorCode.ERR_ARG,
    new RegExp(`index has ${size + 1} nodes, more than the ${size} ranks`),
    "index too long",
  );
  await failsWith(
    () => world.Create_graph([2], [0]),
    ErrorCode.ERR_ARG,
    /edges has 1 entries, but index ends at 2/,
    "edges too short",
  );
  await failsWith(
    () => world.Create_dist_graph([0], [2], [0]),
    ErrorCode.ERR_ARG,
    /degrees add up to 2, but destinations has 1 entries/,
    "degrees and destinations disagree",
  );
  await failsWith(
    () => world.Create_dist_graph_adjacent([size], []),
    ErrorCode.ERR_ARG,
    new RegExp(`sources\\[0\\] is ${size}, not a rank`),
    "source out of range",
  );
  await failsWith(
    () => world.Create_dist_graph_adjacent([], [], { sourceweights: [] }),
    ErrorCode.ERR_ARG,
    /give both sourceweights and destweights/,
    "one weight list",
  );
  await exercise(line, all, "the ring after failed calls");
}

console.log(`topo_neighbors ok on rank ${rank} of ${size}`);
