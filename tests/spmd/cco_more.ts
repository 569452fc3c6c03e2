/**
 * The rest of the buffer collectives: the non-blocking v-variants, Ireduce_scatter(_block), Alltoallw, the
 * persistent collectives (each started several times with new contents), Op.Reduce_local and
 * Op.Is_commutative, and argument errors naming the argument.
 */

import { ErrorCode, IN_PLACE, MPI, Prequest, Request } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const ranks = Array.from({ length: size }, (_, i) => i);
const counts = ranks.map((i) => i + 1); // rank i has i + 1 elements
const displs = counts.map((_, i) => counts.slice(0, i).reduce((a, b) => a + b, 0));
const total = counts.reduce((a, b) => a + b, 0);
const root = size - 1;

// ---- Non-blocking v-variants, all in flight at once.
const mine = Float64Array.from({ length: rank + 1 }, (_, i) => 10 * rank + i);
const expectedAll = Float64Array.from(
  ranks.flatMap((r) => Array.from({ length: r + 1 }, (_, i) => 10 * r + i)),
);
const gathered = rank === root ? new Float64Array(total) : null;
const allGathered = new Float64Array(total);
const scatteredIn = new Float64Array(rank + 1);
const sendAll = new Int32Array(ranks.length * size).map((_, i) => 1000 * rank + i);
const a2aCounts = ranks.map(() => 1);
const a2aIn = new Int32Array(size);
const reduceScatterIn = new Float64Array(rank + 1);
const blockIn = new Int32Array(2);
await Request.waitall([
  comm.Igatherv(mine, gathered ? [gathered, counts, displs] : null, root),
  comm.Iallgatherv(mine, [allGathered, counts]),
  comm.Iscatterv(rank === root ? [expectedAll, counts, displs] : null, scatteredIn, root),
  comm.Ialltoallv([sendAll, a2aCounts, ranks], [a2aIn, a2aCounts]),
  comm.Ireduce_scatter(new Float64Array(total).fill(rank), reduceScatterIn, counts, MPI.SUM),
  comm.Ireduce_scatter_block(new Int32Array(2 * size).fill(1), blockIn, MPI.SUM),
]);
if (gathered) same([...gathered], [...expectedAll], "Igatherv");
same([...allGathered], [...expectedAll], "Iallgatherv");
same([...scatteredIn], [...mine], "Iscatterv");
same([...a2aIn], ranks.map((r) => 1000 * r + rank), "Ialltoallv");
const rankSum = (size * (size - 1)) / 2;
same([...reduceScatterIn], new Array(rank + 1).fill(rankSum), "Ireduce_scatter");
same([...blockIn], [size, size], "Ireduce_scatter_block");

// ---- Alltoallw: to rank i, 8 * (i + 1) bytes of Int16 (even i) or Float64 (odd i); displacements in bytes.
const wTypes = ranks.map((i) => (i % 2 === 0 ? Int16Array : Float64Array));
const perEight = (i: number) => 8 / wTypes[i].BYTES_PER_ELEMENT; // elements in 8 bytes
const wCounts = ranks.map((i) => (i + 1) * perEight(i));
const wDispls = ranks.map((i) => 8 * ranks.slice(0, i).reduce((at, j) => at + j + 1, 0));
const wOut = new ArrayBuffer(8 * ranks.reduce((at, i) => at + i + 1, 0));
for (const i of ranks) new wTypes[i](wOut, wDispls[i], wCounts[i]).fill(100 * rank + i);
// What this rank receives from each: its own type and count, back to back.
const myType = wTypes[rank];
const inTypes = ranks.map(() => myType);
const inCounts = ranks.map(() => wCounts[rank]);
const inDispls = ranks.map((r) => 8 * r * (rank + 1));
const wIn = new ArrayBuffer(8 * size * (rank + 1));
await comm.Alltoallw([wOut, wCounts, wDispls, wTypes], [wIn, inCounts, inDispls, inTypes]);
for (const r of ranks) {
  same(
    [...new myType(wIn, inDispls[r], wCounts[rank])],
    new Array(wCounts[rank]).fill(100 * r + rank),
    `Alltoallw from ${r}`,
  );
}
const wInPlace = new Int32Array(size).map((_, i) => 10 * rank + i);
const ones = ranks.map(() => 1);
const fours = ranks.map((i) => 4 * i);
const int32s = ranks.map(() => Int32Array);
await comm.Ialltoallw(IN_PLACE, [wInPlace, ones, fours, int32s]).wait();
same([...wInPlace], ranks.map((r) => 10 * r + rank), "Ialltoallw in place");
{
  // With Datatype objects: column i of my size x size matrix goes to rank i, into its column `rank`, so element
  // (j, r) here is element (j, rank) of rank r's matrix, 1000 r + j size + rank.
  const column = MPI.INT.Create_vector(size, 1, size).Commit();
  const matrix = Int32Array.from({ length: size * size }, (_, at) => 1000 * rank + at);
  const got = new Int32Array(size * size).fill(-1);
  const columns = [matrix, ones, fours, ranks.map(() => column)] as const;
  await comm.Alltoallw(columns, [got, ones, fours, ranks.map(() => column)]);
  const expected = ranks.flatMap((j) => ranks.map((r) => 1000 * r + j * size + rank));
  same([...got], expected, "Alltoallw with vector datatypes");
  await failsWith(
    () => comm.Alltoallw(columns, [got, ones, fours, ranks.map(() => MPI.INT.Create_vector(size, 1, size))]),
    ErrorCode.ERR_TYPE,
    /Alltoallw: recvbuf types\[0\] \(a derived datatype\) is not committed/,
    "Alltoallw with an uncommitted datatype",
  );
  column.Free();
}
await failsWith(
  () =>
    comm.Alltoallw([wOut, wCounts, wDispls, ranks.map(() => "int")] as never, [
      wIn,
      inCounts,
      inDispls,
      inTypes,
    ]),
  ErrorCode.ERR_TYPE,
  /Alltoallw: sendbuf types\[0\] is .*not a typed array type/,
  "Alltoallw with a bad type",
);
await failsWith(
  () => comm.Alltoallw([wOut, wCounts, wDispls] as never, [wIn, inCounts, inDispls, inTypes]),
  ErrorCode.ERR_ARG,
  /Alltoallw: sendbuf must be \[buf, counts, displs, types\]/,
  "Alltoallw without types",
);

// ---- Persistent collectives: each started several times, with new contents each time.
const bcastBuf = new Int32Array(2);
const sum = new Float64Array(1);
const contribution = new Float64Array(1);
const reduced = rank === 0 ? new Float64Array(1) : null;
const allOut = new Int32Array(1);
const allIn = new Int32Array(size);
const scanOut = new Int32Array(1);
const scanIn = new Int32Array(1);
const persistent = [
  comm.Barrier_init(),
  comm.Bcast_init(bcastBuf, root),
  comm.Allreduce_init(contribution, sum, MPI.SUM),
  comm.Reduce_init(contribution, reduced, { op: MPI.MAX, root: 0 }),
  comm.Allgather_init(allOut, allIn),
  comm.Scan_init(scanOut, scanIn, MPI.SUM),
];
for (let round = 0; round < 5; round++) {
  if (rank === root) bcastBuf.set([round, 2 * round]);
  contribution[0] = round * (rank + 1);
  allOut[0] = round + rank;
  scanOut[0] = round;
  Prequest.Startall(persistent);
  await Request.waitall(persistent);
  same([...bcastBuf], [round, 2 * round], `Bcast_init round ${round}`);
  same(sum[0], round * ((size * (size + 1)) / 2), `Allreduce_init round ${round}`);
  if (reduced) same(reduced[0], round * size, `Reduce_init round ${round}`);
  same([...allIn], ranks.map((r) => round + r), `Allgather_init round ${round}`);
  same(scanIn[0], round * (rank + 1), `Scan_init round ${round}`);
}
const others = [
  comm.Gather_init(Int32Array.of(rank), rank === 0 ? new Int32Array(size) : null, 0),
  comm.Scatter_init(rank === 0 ? Int32Array.from(ranks) : null, new Int32Array(1), 0),
  comm.Alltoall_init(new Int32Array(size), new Int32Array(size)),
  comm.Gatherv_init(mine, gathered ? [gathered, counts, displs] : null, root),
  comm.Scatterv_init(rank === root ? [expectedAll, counts, displs] : null, scatteredIn, root),
  comm.Allgatherv_init(mine, [allGathered, counts]),
  comm.Alltoallv_init([sendAll, a2aCounts, ranks], [a2aIn, a2aCounts]),
  comm.Alltoallw_init(IN_PLACE, [wInPlace, ones, fours, int32s]),
  comm.Reduce_scatter_block_init(new Int32Array(2 * size).fill(1), blockIn),
  comm.Reduce_scatter_init(new Float64Array(total).fill(rank), reduceScatterIn, counts),
  comm.Exscan_init(Int32Array.of(1), scanIn),
];
for (let round = 0; round < 2; round++) {
  allGathered.fill(0);
  for (const request of others) request.Start();
  await Request.waitall(others);
  same([...allGathered], [...expectedAll], `Allgatherv_init round ${round}`);
  same([...a2aIn], ranks.map((r) => 1000 * r + rank), `Alltoallv_init round ${round}`);
  same(
    [...wInPlace],
    ranks.map((r) => 10 * (round % 2 === 0 ? rank : r) + (round % 2 === 0 ? r : rank)),
    `Alltoallw_init round ${round}`,
  );
  same(scanIn[0], rank === 0 ? scanIn[0] : rank, `Exscan_init round ${round}`);
}
// A persistent collective checks its arguments at each start: the error names the argument.
const badRoot = comm.Bcast_init(bcastBuf, size + 4);
badRoot.Start();
await failsWith(() => badRoot.wait(), ErrorCode.ERR_ROOT, /Bcast: root/, "Bcast_init with a bad root");

// ---- Local reductions and op properties.
const inout = Float64Array.of(1, 2);
MPI.SUM.Reduce_local(Float64Array.of(10, 20), inout);
same([...inout], [11, 22], "Op.Reduce_local");
same([MPI.SUM.Is_commutative(), MPI.Op.Create((a: number, b: number) => a - b, false).Is_commutative()], [
  true,
  false,
], "Op.Is_commutative");

console.log(`cco_more ok on rank ${rank} of ${size}`);
