/**
 * SPMD check of the non-blocking collectives: many in flight at once on one communicator, waited in
 * different orders on different ranks, mixed with blocking collectives and with point-to-point traffic that
 * uses wildcards. Every result is checked against a local computation. Rank 0 prints a summary.
 *
 * ```sh
 * mpirun-deno -n 5 tests/spmd/cco_nb.ts
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import { ANY_SOURCE, ANY_TAG, MPI, type MPIError, Request } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const ranks = Array.from({ length: size }, (_, r) => r);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

// --- every kind of value collective in flight at once -----------------------------------------------------

const root = size - 1;
const requests = [
  comm.ibarrier(),
  comm.ibcast(rank === root ? { hello: "world" } : null, root),
  comm.iscatter(rank === 0 ? ranks.map((r) => r * r) : null, 0),
  comm.igather(`g${rank}`, root),
  comm.iallgather(rank * 2),
  comm.ialltoall(ranks.map((to) => `${rank}>${to}`)),
  comm.ireduce(rank + 1, MPI.PROD, 0),
  comm.iallreduce([rank, 1], MPI.SUM),
] as Request<unknown>[];
// Odd ranks wait in reverse order: completion order must not depend on waiting order.
const order = rank % 2 ? [...requests.keys()].reverse() : [...requests.keys()];
const results: unknown[] = [];
for (const i of order) results[i] = await requests[i].wait();
const factorial = ranks.reduce((acc, r) => acc * (r + 1), 1);
assert.deepStrictEqual(results, [
  undefined,
  { hello: "world" },
  rank * rank,
  rank === root ? ranks.map((r) => `g${r}`) : null,
  ranks.map((r) => r * 2),
  ranks.map((from) => `${from}>${rank}`),
  rank === 0 ? factorial : null,
  [sum(ranks), size],
]);

// --- fifty allreduces in flight, waited with waitall; then with waitany ---------------------------------------

const many = Array.from({ length: 50 }, (_, k) => comm.iallreduce(rank * k, MPI.SUM));
assert.deepStrictEqual(await Request.waitall(many), Array.from({ length: 50 }, (_, k) => k * sum(ranks)));
const racing = Array.from({ length: 10 }, (_, k) => comm.iallreduce(k, MPI.MAX));
const seen = new Set<number>();
while (seen.size < racing.length) {
  const pending = racing.filter((_, k) => !seen.has(k));
  const [index, value] = await Request.waitany(pending);
  const k = racing.indexOf(pending[index]);
  assert.equal(value, k);
  seen.add(k);
}

// --- a non-blocking collective across blocking ones ---------------------------------------------------------

const early = comm.iallgather({ rank });
assert.deepStrictEqual(await comm.allgather(-rank), ranks.map((r) => -r));
await comm.barrier();
assert.deepStrictEqual(await early, ranks.map((r) => ({ rank: r })));

// --- test() polls until done ----------------------------------------------------------------------------------

// If test() did not let I/O run, this loop would never end and the launcher's --timeout would fail the job;
// how many polls it takes depends on scheduling (4 ranks on 2 cores), so the count is not asserted.
const polled = comm.iallreduce(1);
for (;;) {
  const [done, value] = await polled.test();
  if (done) {
    assert.equal(value, size);
    break;
  }
}

// --- buffer flavours in flight together -----------------------------------------------------------------------

{
  const n = 20_000;
  const bcastBuf = rank === 0 ? Float64Array.from({ length: n }, (_, i) => i) : new Float64Array(n);
  const reduceIn = new Int32Array(n).fill(rank + 1);
  const reduceOut = rank === root ? new Int32Array(n) : null;
  const allIn = Float32Array.from({ length: 8 }, (_, i) => rank + i);
  const allOut = new Float32Array(8);
  const gathered = new Float64Array(3 * size);
  const buffered = [
    comm.Ibcast(bcastBuf, 0),
    comm.Ireduce(reduceIn, reduceOut, MPI.SUM, root),
    comm.Iallreduce(allIn, allOut, MPI.MAX),
    comm.Iallgather(Float64Array.of(rank, rank, rank), gathered),
    comm.Ibarrier(),
  ];
  await Request.waitall(buffered);
  assert.deepStrictEqual(bcastBuf, Float64Array.from({ length: n }, (_, i) => i));
  if (reduceOut) assert.deepStrictEqual(reduceOut, new Int32Array(n).fill(sum(ranks.map((r) => r + 1))));
  assert.deepStrictEqual(allOut, Float32Array.from({ length: 8 }, (_, i) => size - 1 + i));
  assert.deepStrictEqual(gathered, Float64Array.from({ length: 3 * size }, (_, i) => Math.floor(i / 3)));
}

// --- Iscatter, Igather, Ialltoall, Iscan, Iexscan, Ireduce_scatter_block in flight together --------------------

{
  const per = 3;
  const scatterRoot = size - 1, gatherRoot = 0;
  const all = Float64Array.from({ length: per * size }, (_, i) => i * 0.5);
  const mine = new Float64Array(per);
  const gathered = rank === gatherRoot ? new Int16Array(2 * size) : null;
  const out = Int32Array.from({ length: 2 * size }, (_, i) => 1000 * rank + i);
  const got = new Int32Array(2 * size);
  const scanned = new Float32Array(2);
  const before = new Float32Array(2).fill(-1);
  const blocks = new Int32Array(4 * size).fill(rank + 1);
  const reduced = new Int32Array(4);
  const requests = [
    comm.Iscatter(rank === scatterRoot ? all : null, mine, scatterRoot),
    comm.Igather(Int16Array.of(rank, -rank), gathered, { root: gatherRoot }),
    comm.Ialltoall(out, got),
    comm.Iscan(Float32Array.of(1, rank), scanned, MPI.SUM),
    comm.Iexscan(Float32Array.of(1, rank), before, { op: MPI.MAX }),
    comm.Ireduce_scatter_block(blocks, reduced, MPI.PROD),
    comm.Iallreduce(Int32Array.of(rank), new Int32Array(1)),
  ];
  // Even ranks wait in reverse order, odd ranks with waitany: the results must not depend on it.
  if (rank % 2 === 0) {
    for (const request of [...requests].reverse()) await request.wait();
  } else {
    const pending = [...requests];
    while (pending.length > 0) pending.splice((await Request.waitany(pending))[0], 1);
  }
  assert.deepStrictEqual(mine, all.subarray(rank * per, (rank + 1) * per), "Iscatter");
  if (gathered) assert.deepStrictEqual(gathered, Int16Array.from(ranks.flatMap((r) => [r, -r])), "Igather");
  assert.deepStrictEqual(
    got,
    Int32Array.from({ length: 2 * size }, (_, i) => 1000 * Math.floor(i / 2) + 2 * rank + (i % 2)),
    "Ialltoall",
  );
  assert.deepStrictEqual(scanned, Float32Array.of(rank + 1, sum(ranks.slice(0, rank + 1))), "Iscan");
  assert.deepStrictEqual(
    before,
    rank === 0 ? Float32Array.of(-1, -1) : Float32Array.of(1, rank - 1),
    "Iexscan",
  );
  assert.deepStrictEqual(
    reduced,
    new Int32Array(4).fill(ranks.reduce((acc, r) => acc * (r + 1), 1)),
    "Ireduce_scatter_block",
  );
}

// --- a non-blocking call whose arguments are wrong fails its request, and takes no sequence number ---------------

{
  const errors = await Promise.allSettled([
    comm.Iscatter(null, new Float64Array(1), size).wait(),
    comm.Ireduce_scatter_block(new Float64Array(size + 1), new Float64Array(1)).wait(),
    comm.Iexscan(new Float64Array(2), new Float64Array(3)).wait(),
  ]);
  const reasons = errors.map((result) =>
    result.status === "rejected" ? result.reason as MPIError : undefined
  );
  assert.deepStrictEqual(
    reasons.map((error) => error?.codeName),
    ["ERR_ROOT", "ERR_TRUNCATE", "ERR_COUNT"],
    reasons.map((error) => error?.message).join("; "),
  );
  assert.match(reasons[0]!.message, new RegExp(`^rank ${rank}: Scatter: root ${size} is out of range`));
  assert.match(
    reasons[1]!.message,
    new RegExp(
      `^rank ${rank}: Reduce_scatter_block: sendbuf has ${8 * (size + 1)} bytes, but ${size} blocks`,
    ),
  );
  assert.match(reasons[2]!.message, /Exscan: sendbuf has 16 bytes, but recvbuf holds 24 bytes/);
  const total = new Int32Array(1);
  await comm.Iallreduce(Int32Array.of(1), total).wait();
  assert.equal(total[0], size, "the next collective matches on every rank");
}

// --- collectives in flight beside wildcard point-to-point traffic -----------------------------------------------

{
  const right = (rank + 1) % size, left = (rank - 1 + size) % size;
  const p2p = comm.irecv(ANY_SOURCE, ANY_TAG);
  const collective = comm.iallreduce(rank, MPI.SUM);
  const bcast = comm.ibcast(rank === 0 ? "b" : null, 0);
  const sent = comm.isend(`p2p from ${rank}`, right, 0);
  const [fromLeft, total, b] = await Request.waitall<unknown>([p2p, collective, bcast, sent]);
  assert.equal(fromLeft, `p2p from ${left}`);
  assert.equal(total, sum(ranks));
  assert.equal(b, "b");
}

await comm.barrier();
console.log(`cco_nb ok on rank ${rank} of ${size}`);
