/**
 * SPMD check of the collectives on buffers: every capitalised collective, every root, short and long buffers
 * (so both the tree and the ring/scatter-allgather algorithms run), IN_PLACE, and every op on the typed
 * arrays it applies to, against results each rank computes locally. Throws on the first mismatch; rank 0
 * prints a summary.
 *
 * ```sh
 * mpirun-deno -n 5 tests/spmd/cco_buf.ts
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import { IN_PLACE, MPI } from "../../mod.ts";
import type { TypedArray } from "../../lib/wire/buffers.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const ranks = Array.from({ length: size }, (_, r) => r);

/** Short buffers take the trees; long ones (>= 64 KiB, >= 512 KiB for Bcast) the ring schemes. */
const SHORT = 5;
const LONG = 40_000;

function f64(n: number, at: (i: number) => number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => at(i));
}

// --- Bcast ----------------------------------------------------------------------------------------------------

for (const n of [4, SHORT * 3, 70_001]) {
  for (let root = 0; root < size; root++) {
    const expected = f64(n, (i) => i * 0.5 + root);
    const buf = rank === root ? expected.slice() : new Float64Array(n);
    await comm.Bcast(buf, root);
    assert.deepStrictEqual(buf, expected, `Bcast of ${n} float64 from ${root}`);
  }
}
{
  // ArrayBuffer, [buf, count] and an odd byte count (uneven blocks in the scatter-allgather scheme).
  const expected = Uint8Array.from({ length: 600_001 }, (_, i) => (i * 7) & 0xff);
  const bytes = rank === 1 % size ? expected.slice() : new Uint8Array(expected.length);
  await comm.Bcast(bytes.buffer, 1 % size);
  assert.deepStrictEqual(bytes, expected, "Bcast of an ArrayBuffer");
  const counted = new Int16Array(10).fill(rank === 0 ? 7 : -1);
  await comm.Bcast([counted, 4], { root: 0 });
  assert.deepStrictEqual([...counted], [7, 7, 7, 7, ...new Array(6).fill(rank === 0 ? 7 : -1)]);
}

// --- Scatter, Scatterv, Gather, Gatherv ----------------------------------------------------------------------

for (const per of [1, 3, Math.floor(LONG / size)]) {
  for (let root = 0; root < size; root++) {
    const all = f64(per * size, (i) => i + 1000 * root);
    const mine = new Float64Array(per);
    await comm.Scatter(rank === root ? all : null, mine, root);
    assert.deepStrictEqual(
      mine,
      all.subarray(rank * per, (rank + 1) * per),
      `Scatter of ${per} from ${root}`,
    );

    const gathered = rank === root ? new Float64Array(per * size) : null;
    await comm.Gather(mine, gathered, root);
    if (rank === root) assert.deepStrictEqual(gathered, all, `Gather of ${per} to ${root}`);

    // IN_PLACE at the root: its block stays where it is.
    const inPlace = rank === root ? all.slice() : new Float64Array(per);
    await comm.Scatter(rank === root ? inPlace : null, rank === root ? IN_PLACE : inPlace, root);
    if (rank !== root) assert.deepStrictEqual(inPlace, all.subarray(rank * per, (rank + 1) * per));
    const back = rank === root ? new Float64Array(per * size) : null;
    if (back) back.set(all.subarray(root * per, (root + 1) * per), root * per);
    await comm.Gather(rank === root ? IN_PLACE : inPlace, back, root);
    if (rank === root) assert.deepStrictEqual(back, all, "Gather with IN_PLACE");
  }
}
for (let root = 0; root < size; root++) {
  // Blocks of r + 1 elements, laid out backwards with gaps.
  const counts = ranks.map((r) => r + 1);
  const displs = ranks.map((r) => (size - 1 - r) * (size + 1));
  const all = Int32Array.from({ length: size * (size + 1) }, (_, i) => i * 3 - root);
  const mine = new Int32Array(rank + 1);
  await comm.Scatterv(rank === root ? [all, counts, displs] : null, mine, root);
  assert.deepStrictEqual(mine, all.subarray(displs[rank], displs[rank] + rank + 1), `Scatterv from ${root}`);

  const gathered = new Int32Array(size * (size + 1)).fill(-7);
  await comm.Gatherv(mine, rank === root ? [gathered, counts, displs] : null, root);
  if (rank === root) {
    for (const r of ranks) {
      assert.deepStrictEqual(
        gathered.subarray(displs[r], displs[r] + counts[r]),
        all.subarray(displs[r], displs[r] + counts[r]),
      );
    }
  }
  // Without displs the blocks are back to back.
  const packed = rank === root ? Int32Array.from({ length: (size * (size + 1)) / 2 }, (_, i) => i) : null;
  const part = new Int32Array(rank + 1);
  await comm.Scatterv(packed ? [packed, counts] : null, part, root);
  const start = (rank * (rank + 1)) / 2;
  assert.deepStrictEqual(
    [...part],
    Array.from({ length: rank + 1 }, (_, i) => start + i),
    "Scatterv without displs",
  );
}

// --- Allgather, Allgatherv, Alltoall, Alltoallv --------------------------------------------------------------

for (const per of [1, 4, Math.floor(LONG / size)]) {
  const mine = f64(per, (i) => rank * 100_000 + i);
  const all = new Float64Array(per * size);
  await comm.Allgather(mine, all);
  const expected = f64(per * size, (i) => Math.floor(i / per) * 100_000 + (i % per));
  assert.deepStrictEqual(all, expected, `Allgather of ${per}`);

  const inPlace = new Float64Array(per * size);
  inPlace.set(mine, rank * per);
  await comm.Allgather(IN_PLACE, inPlace);
  assert.deepStrictEqual(inPlace, expected, "Allgather with IN_PLACE");

  const iall = new Float64Array(per * size);
  await comm.Iallgather(mine, iall).wait();
  assert.deepStrictEqual(iall, expected, "Iallgather");

  const out = f64(per * size, (i) => rank * 1_000_000 + i);
  const got = new Float64Array(per * size);
  await comm.Alltoall(out, got);
  assert.deepStrictEqual(
    got,
    f64(per * size, (i) => Math.floor(i / per) * 1_000_000 + rank * per + (i % per)),
  );
  await comm.Alltoall(IN_PLACE, out);
  assert.deepStrictEqual(out, got, "Alltoall with IN_PLACE");
}
for (const scale of [1, 3000]) {
  const counts = ranks.map((r) => (r % 3 + 1) * scale);
  const displs = counts.map((_, r) => counts.slice(0, r).reduce((a, b) => a + b, 0) + r);
  const total = displs[size - 1] + counts[size - 1];
  const all = new Uint16Array(total);
  await comm.Allgatherv(Uint16Array.from({ length: counts[rank] }, (_, i) => rank * 7 + i), [
    all,
    counts,
    displs,
  ]);
  for (const r of ranks) {
    assert.deepStrictEqual(
      [...all.subarray(displs[r], displs[r] + counts[r])],
      Array.from({ length: counts[r] }, (_, i) => (r * 7 + i) & 0xffff),
      `Allgatherv block of ${r}`,
    );
  }
  // Rank r sends (r + to) % 3 + 1 elements to rank `to`, each `r * 1000 + to`.
  const sendCounts = ranks.map((to) => ((rank + to) % 3) + 1);
  const recvCounts = ranks.map((from) => ((from + rank) % 3) + 1);
  const sendbuf = Float32Array.from(ranks.flatMap((to) => new Array(sendCounts[to]).fill(rank * 1000 + to)));
  const recvbuf = new Float32Array(recvCounts.reduce((a, b) => a + b, 0));
  await comm.Alltoallv([sendbuf, sendCounts], [recvbuf, recvCounts]);
  assert.deepStrictEqual(
    [...recvbuf],
    ranks.flatMap((from) => new Array(recvCounts[from]).fill(from * 1000 + rank)),
    "Alltoallv",
  );
}

// --- reductions ------------------------------------------------------------------------------------------------

type Scalar = number | bigint;
type Class = { from(items: Iterable<Scalar>): TypedArray; name: string; BYTES_PER_ELEMENT: number };

interface Case {
  name: string;
  op: MPI.OpLike;
  type: Class;
  value: (r: number, i: number) => Scalar;
  /** `lower op higher` for one element, written independently of ops.ts. */
  expect: (a: Scalar, b: Scalar) => Scalar;
  /** Also run past the ring threshold (the other ops' kernels are covered by the in-process suites). */
  long?: boolean;
}

const n = (f: (a: number, b: number) => number) => (a: Scalar, b: Scalar) => f(a as number, b as number);
const bool =
  (f: (a: boolean, b: boolean) => boolean) => (a: Scalar, b: Scalar) => (f(Boolean(a), Boolean(b)) ? 1 : 0);

const cases: Case[] = [
  {
    name: "SUM",
    op: MPI.SUM,
    type: Float64Array,
    value: (r, i) => r * 1000 + i,
    expect: n((a, b) => a + b),
    long: true,
  },
  { name: "SUM", op: MPI.SUM, type: Float32Array, value: (r, i) => r + (i % 9), expect: n((a, b) => a + b) },
  {
    name: "SUM",
    op: MPI.SUM,
    type: Int32Array,
    value: (r, i) => (r - 2) * (i % 11),
    expect: n((a, b) => a + b),
  },
  {
    name: "SUM (wraps)",
    op: MPI.SUM,
    type: Uint8Array,
    value: (r, i) => (r * 97 + i) & 0xff,
    expect: n((a, b) => a + b),
    long: true,
  },
  {
    name: "SUM",
    op: MPI.SUM,
    type: BigInt64Array as unknown as Class,
    value: (r, i) => BigInt(r) * 10n ** 15n + BigInt(i),
    expect: (a, b) => (a as bigint) + (b as bigint),
    long: true,
  },
  {
    name: "PROD",
    op: MPI.PROD,
    type: Float64Array,
    value: (r, i) => ((r + i) % 3) + 1,
    expect: n((a, b) => a * b),
  },
  {
    name: "PROD",
    op: MPI.PROD,
    type: Int32Array,
    value: (r, i) => (r + i) % 2 ? -2 : 1,
    expect: n((a, b) => a * b),
  },
  {
    name: "MAX",
    op: MPI.MAX,
    type: Float64Array,
    value: (r, i) => ((r * 7 + i) % 5) - 2.5,
    expect: n(Math.max),
  },
  { name: "MIN", op: MPI.MIN, type: Int16Array, value: (r, i) => ((r * 5 + i) % 7) - 3, expect: n(Math.min) },
  {
    name: "MAX",
    op: MPI.MAX,
    type: Uint32Array,
    value: (r, i) => 0xf000_0000 + ((r * 3 + i) % 4),
    expect: n(Math.max),
  },
  {
    name: "LAND",
    op: MPI.LAND,
    type: Int32Array,
    value: (r, i) => (r + i) % 4,
    expect: bool((a, b) => a && b),
  },
  {
    name: "LOR",
    op: MPI.LOR,
    type: Int32Array,
    value: (r, i) => ((r + i) % 5 === 0 ? 2 : 0),
    expect: bool((a, b) => a || b),
  },
  {
    name: "LXOR",
    op: MPI.LXOR,
    type: Uint8Array,
    value: (r, i) => (r * i) % 2,
    expect: bool((a, b) => a !== b),
  },
  {
    name: "BAND",
    op: MPI.BAND,
    type: Int32Array,
    value: (r, i) => ~(1 << ((r + i) % 31)),
    expect: n((a, b) => a & b),
  },
  {
    name: "BOR",
    op: MPI.BOR,
    type: Uint32Array,
    value: (r, i) => (0x8000_0000 >>> ((r + i) % 32)) >>> 0,
    expect: n((a, b) => (a | b) >>> 0),
  },
  {
    name: "BXOR",
    op: MPI.BXOR,
    type: Int8Array,
    value: (r, i) => ((r * 31 + i) % 256) - 128,
    expect: n((a, b) => a ^ b),
    long: true,
  },
  {
    name: "BOR",
    op: MPI.BOR,
    type: BigUint64Array as unknown as Class,
    value: (r, i) => 1n << BigInt((r * 13 + i) % 64),
    expect: (a, b) => (a as bigint) | (b as bigint),
  },
  {
    name: "user commutative",
    op: MPI.Op.Create((a: number, b: number) => a + 2 * b - b, true),
    type: Float64Array,
    value: (r, i) => r + i,
    expect: n((a, b) => a + b),
    long: true,
  },
  {
    name: "user non-commutative (first)",
    op: MPI.Op.Create((a: number) => a, false),
    type: Float64Array,
    value: (r, i) => r * 10 + i,
    expect: n((a) => a),
    long: true,
  },
  {
    name: "plain function non-commutative (last)",
    op: MPI.Op.Create((_a: number, b: number) => b, false),
    type: Int32Array,
    value: (r, i) => r * 10 + i,
    expect: n((_a, b) => b),
    long: true,
  },
];

function vector(c: Case, r: number, count: number): TypedArray {
  return c.type.from(Array.from({ length: count }, (_, i) => c.value(r, i)));
}

/** The expected reduction over `over` ranks, folded in rank order, element by element. */
function expected(c: Case, over: readonly number[], count: number): TypedArray {
  const out = new Array<Scalar>(count);
  for (let i = 0; i < count; i++) {
    let acc = c.value(over[0], i);
    for (let k = 1; k < over.length; k++) acc = c.expect(acc, c.value(over[k], i));
    out[i] = acc;
  }
  return c.type.from(out);
}

function empty(c: Case, count: number): TypedArray {
  return c.type.from(new Array(count).fill(typeof c.value(0, 0) === "bigint" ? 0n : 0));
}

for (const c of cases) {
  // Just past the ring threshold (64 KiB), whatever the element size.
  const long = Math.ceil(66_000 / c.type.BYTES_PER_ELEMENT);
  for (const count of c.long ? [SHORT, long] : [SHORT]) {
    const where = `${c.name} on ${c.type.name} x ${count} (${size} ranks)`;
    const mine = vector(c, rank, count);
    const total = expected(c, ranks, count);

    const all = empty(c, count);
    await comm.Allreduce(mine, all, c.op);
    assert.deepStrictEqual(all, total, `Allreduce ${where}`);

    const inPlace = vector(c, rank, count);
    await comm.Allreduce(IN_PLACE, inPlace, { op: c.op });
    assert.deepStrictEqual(inPlace, total, `Allreduce IN_PLACE ${where}`);

    for (const root of count === SHORT ? ranks : [0, size - 1]) {
      const result = rank === root ? empty(c, count) : null;
      await comm.Reduce(mine, result, c.op, root);
      if (rank === root) assert.deepStrictEqual(result, total, `Reduce to ${root} ${where}`);
      const own = vector(c, rank, count);
      await comm.Reduce(rank === root ? IN_PLACE : own, rank === root ? own : null, { op: c.op, root });
      if (rank === root) assert.deepStrictEqual(own, total, `Reduce IN_PLACE to ${root} ${where}`);
    }

    const prefix = empty(c, count);
    await comm.Scan(mine, prefix, c.op);
    assert.deepStrictEqual(prefix, expected(c, ranks.slice(0, rank + 1), count), `Scan ${where}`);
    const exclusive = empty(c, count);
    await comm.Exscan(mine, exclusive, c.op);
    if (rank > 0) {
      assert.deepStrictEqual(exclusive, expected(c, ranks.slice(0, rank), count), `Exscan ${where}`);
    } else assert.deepStrictEqual(exclusive, empty(c, count), "Exscan leaves rank 0's recvbuf alone");

    // Reduce_scatter_block: `size` blocks of count / size (at least 1) elements.
    const block = Math.max(1, Math.floor(count / size));
    const blocks = vector(c, rank, block * size);
    const got = empty(c, block);
    await comm.Reduce_scatter_block(blocks, got, c.op);
    assert.deepStrictEqual(
      got,
      expected(c, ranks, block * size).subarray(rank * block, (rank + 1) * block),
      `Reduce_scatter_block ${where}`,
    );
    const held = vector(c, rank, block * size);
    await comm.Reduce_scatter_block(IN_PLACE, held, c.op);
    assert.deepStrictEqual(held.subarray(0, block), got, `Reduce_scatter_block IN_PLACE ${where}`);
  }
}

// MAXLOC / MINLOC on interleaved (value, index) pairs.
for (
  const [op, better] of [[MPI.MAXLOC, (x: number, y: number) => x > y], [
    MPI.MINLOC,
    (x: number, y: number) => x < y,
  ]] as const
) {
  const pairs = 6;
  const mine = Float64Array.from({ length: 2 * pairs }, (_, i) => (i % 2 ? rank : ((rank * 5 + i) % 4)));
  const result = new Float64Array(2 * pairs);
  await comm.Allreduce(mine, result, op);
  for (let k = 0; k < pairs; k++) {
    let best = [(0 * 5 + 2 * k) % 4, 0];
    for (const r of ranks.slice(1)) {
      const value = (r * 5 + 2 * k) % 4;
      if (better(value, best[0])) best = [value, r];
    }
    assert.deepStrictEqual([result[2 * k], result[2 * k + 1]], best, `${op.name} pair ${k}`);
  }
}

await comm.Barrier();
console.log(`cco_buf ok on rank ${rank} of ${size}`);
