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
import { ANY_SOURCE, ANY_TAG, MPI, Request } from "../../mod.ts";

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
