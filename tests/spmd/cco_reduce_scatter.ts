/**
 * SPMD check of `Reduce_scatter` on typed arrays over real sockets: uneven blocks (some empty), short and long
 * buffers (so both the tree and the ring run), several element types and ops, `recvcounts` given, omitted
 * (each rank's share is its recvbuf's length) or as an options object, `IN_PLACE`; then its errors, each
 * caught with its code and a message naming the call, the rank and the argument, after which the job goes
 * on. Every rank prints `cco_reduce_scatter ok on rank R of N`.
 *
 * ```sh
 * mpirun-deno -n 5 tests/spmd/cco_reduce_scatter.ts
 * ```
 *
 * @module
 */

import { ErrorCode, IN_PLACE, MPI } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const ranks = Array.from({ length: size }, (_, r) => r);
const prefix = (counts: number[], r: number) => counts.slice(0, r).reduce((a, b) => a + b, 0);

// --- results, against a local fold --------------------------------------------------------------------------

/** Long enough, at 3 ranks or more, for the ring (>= 64 KiB in all). */
const LONG = 9_000;

for (const scale of [1, LONG]) {
  // Rank r's block: 2, 0, 1, 3, 2, ... times the scale (rank 1's block is empty).
  const counts = ranks.map((r) => [2, 0, 1, 3][r % 4] * scale);
  const total = counts.reduce((a, b) => a + b, 0);
  const start = prefix(counts, rank);
  const value = (r: number, i: number) => ((r * 7 + i * 3) % 11) - 5;
  const input = (r: number) => Float64Array.from({ length: total }, (_, i) => value(r, i));
  const sums = Float64Array.from(
    { length: counts[rank] },
    (_, i) => ranks.reduce((acc, r) => acc + value(r, start + i), 0),
  );
  const what = `${total} float64 on ${size} ranks`;

  const given = new Float64Array(counts[rank]);
  await comm.Reduce_scatter(input(rank), given, counts, MPI.SUM);
  same(given, sums, `Reduce_scatter with recvcounts, ${what}`);

  const inferred = new Float64Array(counts[rank]);
  await comm.Reduce_scatter(input(rank), inferred);
  same(inferred, sums, `Reduce_scatter without recvcounts (default SUM), ${what}`);

  const held = input(rank);
  await comm.Reduce_scatter(IN_PLACE, held, { recvcounts: counts, op: MPI.SUM });
  same(held.subarray(0, counts[rank]), sums, `Reduce_scatter IN_PLACE with options, ${what}`);

  // MAX on Int32, counts as a typed array, recvbuf as [buf, count] (the rest of the buffer untouched).
  const ints = Int32Array.from({ length: total }, (_, i) => value(rank, i));
  const roomy = new Int32Array(counts[rank] + 2).fill(99);
  await comm.Reduce_scatter(ints, [roomy, counts[rank]], Int32Array.from(counts), MPI.MAX);
  same(
    [...roomy],
    [
      ...Array.from({ length: counts[rank] }, (_, i) => Math.max(...ranks.map((r) => value(r, start + i)))),
      99,
      99,
    ],
    `Reduce_scatter MAX on [buf, count], ${what}`,
  );

  // A non-commutative op combines in rank order: "first" keeps rank 0's elements.
  const first = MPI.Op.Create((a: unknown) => a, false);
  const kept = new Float64Array(counts[rank]);
  await comm.Reduce_scatter(input(rank), kept, null, first);
  same(kept, input(0).subarray(start, start + counts[rank]), `Reduce_scatter non-commutative, ${what}`);
}

// --- argument errors every rank sees alike: no sequence number is taken, the job goes on -----------------------

await failsWith(
  () => comm.Reduce_scatter(new Float64Array(size), new Float64Array(1), new Array(size + 1).fill(1)),
  ErrorCode.ERR_COUNT,
  new RegExp(
    `^rank ${rank}: Reduce_scatter: recvcounts has ${size + 1} entries, expected one per rank \\(${size}\\)$`,
  ),
  "recvcounts with an entry too many",
);
await failsWith(
  () => comm.Reduce_scatter(new Float64Array(size), new Float64Array(1), ranks.map((r) => r === 0 ? -1 : 1)),
  ErrorCode.ERR_COUNT,
  new RegExp(`^rank ${rank}: Reduce_scatter: recvcounts\\[0\\] is -1, not a count >= 0$`),
  "a negative count",
);
await failsWith(
  () => comm.Reduce_scatter(new Float64Array(size), new Float64Array(1), "1,1" as never),
  ErrorCode.ERR_ARG,
  new RegExp(`^rank ${rank}: Reduce_scatter: recvcounts must be an array of ${size} integers$`),
  "recvcounts as a string",
);
await failsWith(
  () => comm.Reduce_scatter(new Float64Array(size + 1), new Float64Array(1), new Array(size).fill(1)),
  ErrorCode.ERR_TRUNCATE,
  new RegExp(
    `^rank ${rank}: Reduce_scatter: sendbuf has ${
      8 * (size + 1)
    } bytes, but the ${size} elements of recvcounts holds ${8 * size} bytes$`,
  ),
  "sendbuf longer than the sum of recvcounts",
);
await failsWith(
  () => comm.Reduce_scatter(new Float64Array(size), new Float64Array(2), new Array(size).fill(1)),
  ErrorCode.ERR_COUNT,
  new RegExp(
    `^rank ${rank}: Reduce_scatter: recvcounts\\[${rank}\\] \\(1 elements\\) has 8 bytes, but recvbuf holds 16 bytes$`,
  ),
  "recvbuf longer than this rank's count",
);
await failsWith(
  () => comm.Reduce_scatter(IN_PLACE, new Float64Array(size)),
  ErrorCode.ERR_ARG,
  new RegExp(`^rank ${rank}: Reduce_scatter: recvcounts must be given with IN_PLACE`),
  "IN_PLACE without recvcounts",
);
await failsWith(
  () => comm.Reduce_scatter(new Float64Array(size), new Int32Array(1)),
  ErrorCode.ERR_TYPE,
  new RegExp(`^rank ${rank}: Reduce_scatter: sendbuf and recvbuf must have the same element type`),
  "sendbuf and recvbuf of two types",
);
await failsWith(
  () => comm.Reduce_scatter(new Float64Array(size), new Float64Array(1), null, MPI.BAND),
  ErrorCode.ERR_OP,
  new RegExp(`^rank ${rank}: Reduce_scatter: BAND is not defined on Float64Array`),
  "BAND on floats",
);
await failsWith(
  () => comm.Reduce_scatter(new Float64Array(size), new Float64Array(1), { counts: [1] } as never),
  ErrorCode.ERR_ARG,
  new RegExp(`^rank ${rank}: Reduce_scatter: unknown option "counts" \\(expected recvcounts, op, signal\\)$`),
  "an unknown option",
);

// --- without recvcounts, one rank's short sendbuf fails every rank alike, after the counts are known -------------

{
  const short = size - 1;
  await failsWith(
    () =>
      comm.Reduce_scatter(new Float64Array(rank === short ? 2 * size - 1 : 2 * size), new Float64Array(2)),
    ErrorCode.ERR_COUNT,
    new RegExp(
      `^rank ${rank}: Reduce_scatter: the sendbuf of rank ${short} has ${8 * (2 * size - 1)} bytes, ` +
        `but the recvbufs of all ${size} ranks \\(recvcounts omitted\\) holds ${16 * size} bytes$`,
    ),
    "a short sendbuf on the last rank",
  );
}

// The job goes on: the next collective matches on every rank.
const after = new Int32Array(1);
await comm.Reduce_scatter(new Int32Array(size).fill(1), after, new Array(size).fill(1));
same(after[0], size, "Reduce_scatter after the errors");

await comm.Barrier();
console.log(`cco_reduce_scatter ok on rank ${rank} of ${size}`);
