/**
 * SPMD check of the collectives on values: every collective, every root, every op, against results each rank
 * computes locally; then the shape of a broadcast (messages per rank, rounds) and the separation of
 * collective and point-to-point traffic. Throws on the first mismatch; rank 0 prints a summary.
 *
 * ```sh
 * mpirun-deno -n 5 tests/spmd/cco_obj.ts
 * ```
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import { ANY_SOURCE, ANY_TAG, MPI } from "../../mod.ts";
import { collectiveSends } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const ranks = Array.from({ length: size }, (_, r) => r);

// --- bcast, scatter, gather, allgather, alltoall: every root, values of many kinds --------------------------

function sample(r: number): unknown {
  return {
    r,
    text: "é".repeat(r),
    big: BigInt(r) ** 20n,
    list: [r, null, true, [r * 0.5]],
    map: new Map<unknown, unknown>([[r, "r"], ["k", [r]]]),
    set: new Set([r, "s"]),
    date: new Date(1_700_000_000_000 + r),
    floats: Float32Array.of(r, 1.5),
  };
}

for (let root = 0; root < size; root++) {
  assert.deepStrictEqual(await comm.bcast(rank === root ? sample(root) : null, root), sample(root));
  assert.deepStrictEqual(await comm.bcast(rank === root ? sample(root) : undefined, { root }), sample(root));

  const items = ranks.map((r) => sample(r * 10 + root));
  assert.deepStrictEqual(await comm.scatter(rank === root ? items : null, root), items[rank]);

  const gathered = await comm.gather(sample(rank), root);
  assert.deepStrictEqual(gathered, rank === root ? ranks.map(sample) : null);
}
assert.deepStrictEqual(await comm.allgather(sample(rank)), ranks.map(sample));
assert.deepStrictEqual(await comm.allgather(null), ranks.map(() => null));
// One rank's value larger than any shared-memory slot (1 MiB at most): every rank goes by messages alike.
const oversized = (r: number) => r === size - 1 ? "x".repeat(3 << 20) : `small ${r}`;
assert.deepStrictEqual(
  await comm.allgather(oversized(rank)),
  ranks.map(oversized),
  "allgather with one value of 3 MiB",
);
assert.equal(
  await comm.allreduce(oversized(rank)),
  ranks.map(oversized).join(""),
  "allreduce (SUM: concatenation) with one value of 3 MiB",
);
assert.deepStrictEqual(
  await comm.alltoall(ranks.map((to) => ({ from: rank, to }))),
  ranks.map((from) => ({ from, to: rank })),
);
// A large value takes the rendezvous path through the tree.
const large = Array.from({ length: 20_000 }, (_, i) => i * 1.25);
assert.deepStrictEqual(await comm.bcast(rank === 0 ? large : null), large);

// --- reductions: every op on several kinds of values, checked against a local fold ---------------------------

interface Case {
  name: string;
  op: MPI.OpLike;
  value: (r: number) => unknown;
  /** Combines two values the way the op should, written independently of ops.ts. */
  expect: (a: unknown, b: unknown) => unknown;
}

const num = (f: (a: number, b: number) => number) => (a: unknown, b: unknown) => f(a as number, b as number);
const big = (f: (a: bigint, b: bigint) => bigint) => (a: unknown, b: unknown) => f(a as bigint, b as bigint);
const each = (f: (a: number, b: number) => number) => (a: unknown, b: unknown) =>
  (a as number[]).map((x, i) => f(x, (b as number[])[i]));
const loc = (better: (x: number, y: number) => boolean) => (a: unknown, b: unknown) => {
  const [x, i] = a as [number, number], [y, j] = b as [number, number];
  return better(x, y) || (x === y && i < j) ? [x, i] : [y, j];
};

const cases: Case[] = [
  { name: "SUM number", op: MPI.SUM, value: (r) => r + 1, expect: num((a, b) => a + b) },
  { name: "SUM float", op: MPI.SUM, value: (r) => (r + 1) / 8, expect: num((a, b) => a + b) },
  { name: "SUM bigint", op: MPI.SUM, value: (r) => BigInt(r + 1) * 10n ** 20n, expect: big((a, b) => a + b) },
  { name: "SUM array", op: MPI.SUM, value: (r) => [r, 1, -r * 2], expect: each((a, b) => a + b) },
  {
    name: "SUM nested array",
    op: MPI.SUM,
    value: (r) => [[r], [1, r]],
    expect: (a, b) => (a as number[][]).map((x, i) => x.map((y, j) => y + (b as number[][])[i][j])),
  },
  {
    name: "SUM Float64Array",
    op: MPI.SUM,
    value: (r) => Float64Array.of(r, 0.5, -r),
    expect: (a, b) => (a as Float64Array).map((x, i) => x + (b as Float64Array)[i]),
  },
  { name: "SUM string (rank order)", op: MPI.SUM, value: (r) => `<${r}>`, expect: (a, b) => `${a}${b}` },
  { name: "PROD number", op: MPI.PROD, value: (r) => r + 1, expect: num((a, b) => a * b) },
  { name: "PROD bigint", op: MPI.PROD, value: (r) => BigInt(r + 2), expect: big((a, b) => a * b) },
  { name: "MAX number", op: MPI.MAX, value: (r) => (r * 7) % 5, expect: num(Math.max) },
  { name: "MIN number", op: MPI.MIN, value: (r) => (r * 7) % 5 - 2, expect: num(Math.min) },
  {
    name: "MAX string",
    op: MPI.MAX,
    value: (r) => `k${(r * 3) % 4}`,
    expect: (a, b) => (a as string) > (b as string) ? a : b,
  },
  {
    name: "MIN Int32Array",
    op: MPI.MIN,
    value: (r) => Int32Array.of(r, -r, 3),
    expect: (a, b) => (a as Int32Array).map((x, i) => Math.min(x, (b as Int32Array)[i])),
  },
  { name: "LAND boolean", op: MPI.LAND, value: (r) => r % 2 === 0, expect: (a, b) => Boolean(a && b) },
  { name: "LAND all true", op: MPI.LAND, value: () => true, expect: (a, b) => Boolean(a && b) },
  { name: "LOR boolean", op: MPI.LOR, value: (r) => r === size - 1, expect: (a, b) => Boolean(a || b) },
  {
    name: "LXOR boolean",
    op: MPI.LXOR,
    value: (r) => r % 3 === 0,
    expect: (a, b) => Boolean(a) !== Boolean(b),
  },
  { name: "LAND number", op: MPI.LAND, value: (r) => r + 1, expect: (a, b) => (a && b ? 1 : 0) },
  { name: "LOR number", op: MPI.LOR, value: (r) => r % 2, expect: (a, b) => (a || b ? 1 : 0) },
  { name: "BAND number", op: MPI.BAND, value: (r) => 0xff ^ (1 << r), expect: num((a, b) => a & b) },
  { name: "BOR number", op: MPI.BOR, value: (r) => 1 << r, expect: num((a, b) => a | b) },
  { name: "BXOR number", op: MPI.BXOR, value: (r) => 3 << r, expect: num((a, b) => a ^ b) },
  {
    name: "BOR uint32",
    op: MPI.BOR,
    value: (r) => 0x8000_0000 + (1 << r),
    expect: num((a, b) => Number(BigInt(a) | BigInt(b))),
  },
  { name: "BXOR bigint", op: MPI.BXOR, value: (r) => (1n << 70n) | BigInt(r), expect: big((a, b) => a ^ b) },
  {
    name: "BAND Uint8Array",
    op: MPI.BAND,
    value: (r) => Uint8Array.of(0xff, 0xf0 | r),
    expect: (a, b) => (a as Uint8Array).map((x, i) => x & (b as Uint8Array)[i]),
  },
  { name: "MAXLOC pair", op: MPI.MAXLOC, value: (r) => [(r * 3) % 4, r], expect: loc((x, y) => x > y) },
  { name: "MINLOC pair", op: MPI.MINLOC, value: (r) => [(r * 3) % 4, r], expect: loc((x, y) => x < y) },
  {
    name: "MAXLOC array of pairs",
    op: MPI.MAXLOC,
    value: (r) => [[r % 2, r], [-r, r]],
    expect: (a, b) => (a as number[][]).map((x, i) => loc((p, q) => p > q)(x, (b as number[][])[i])),
  },
  {
    name: "Op.Create non-commutative",
    op: MPI.Op.Create((a: string, b: string) => `${a}.${b}`, false),
    value: (r) => String(r),
    expect: (a, b) => `${a}.${b}`,
  },
  {
    name: "Op.Create on objects",
    op: MPI.Op.Create((a: { n: number; s: number }, b: { n: number; s: number }) => ({
      n: a.n + b.n,
      s: a.s + b.s,
    })),
    value: (r) => ({ n: 1, s: r }),
    expect: (a, b) => ({
      n: (a as { n: number }).n + (b as { n: number }).n,
      s: (a as { s: number }).s + (b as { s: number }).s,
    }),
  },
  {
    name: "plain function",
    op: (a: number, b: number) => Math.max(a, b),
    value: (r) => (r * 3) % 5,
    expect: num(Math.max),
  },
];

function fold(values: unknown[], combine: (a: unknown, b: unknown) => unknown): unknown {
  return values.reduce((acc, value) => combine(acc, value));
}

for (const c of cases) {
  const values = ranks.map(c.value);
  const mine = c.value(rank);
  const total = fold(values, c.expect);
  const where = `${c.name} on ${size} ranks`;
  assert.deepStrictEqual(await comm.allreduce(mine, c.op), total, `allreduce ${where}`);
  for (let root = 0; root < size; root++) {
    assert.deepStrictEqual(
      await comm.reduce(mine, c.op, root),
      rank === root ? total : null,
      `reduce ${where}`,
    );
  }
  assert.deepStrictEqual(
    await comm.reduce(mine, { op: c.op, root: size - 1 }),
    rank === size - 1 ? total : null,
  );
  assert.deepStrictEqual(
    await comm.scan(mine, c.op),
    fold(values.slice(0, rank + 1), c.expect),
    `scan ${where}`,
  );
  assert.deepStrictEqual(
    await comm.exscan(mine, { op: c.op }),
    rank === 0 ? null : fold(values.slice(0, rank), c.expect),
    `exscan ${where}`,
  );
}
assert.equal(await comm.allreduce(rank + 1), (size * (size + 1)) / 2, "allreduce defaults to SUM");
assert.equal(
  await comm.reduce(rank + 1),
  rank === 0 ? (size * (size + 1)) / 2 : null,
  "reduce defaults to SUM at 0",
);

// --- a broadcast is a binomial tree: count what each rank sends --------------------------------------------

const sentTo = await collectiveSends(comm, () => comm.bcast(rank === 0 ? "tree" : null, 0));
const sends = await comm.gather(sentTo, 0);
// Ranks of one host broadcast through shared memory unless MPIRUN_DENO_TRANSPORT turns it off: no messages.
// Across hosts with several ranks on some, the broadcast goes host by host (tests/spmd/cco_hosts.ts checks
// that); with one rank per host, or messages only on one host, it is a binomial tree.
const hosts = comm.job.hostnames;
const oneHost = hosts.every((host) => host === hosts[0]);
const layered = !oneHost && new Set(hosts).size < size;
const shared = (process.env.MPIRUN_DENO_TRANSPORT ?? "auto") === "auto";
if (rank === 0 && oneHost && shared) {
  assert.deepEqual(
    sends,
    Array.from({ length: size }, () => []),
    "a bcast in shared memory sends no message",
  );
} else if (rank === 0 && !layered) {
  const all = sends!;
  const rounds = Math.ceil(Math.log2(size));
  // A rank sends one message per round, in order: the k-th message it sends (from 1) arrives k rounds after
  // the rank itself received the data.
  const arrival = new Map<number, number>([[0, 0]]);
  const visit = (from: number) =>
    all[from].forEach((to, k) => {
      arrival.set(to, arrival.get(from)! + k + 1);
      visit(to);
    });
  visit(0);
  const messages = all.reduce((sum, targets) => sum + targets.length, 0);
  const last = Math.max(...arrival.values());
  assert.equal(messages, size - 1, "a bcast sends one message per non-root rank");
  assert.equal(arrival.size, size, "every rank receives the bcast");
  assert.equal(all[0].length, rounds, "the root sends ceil(log2 p) messages");
  assert.ok(
    all.every((targets) => targets.length <= rounds),
    "no rank sends more than ceil(log2 p) messages",
  );
  assert.equal(last, rounds, "the last rank has the data after ceil(log2 p) rounds");
  console.log(`bcast tree: ${messages} messages, root sends ${all[0].length}, ${last} rounds`);
}

// --- collectives never match point-to-point traffic ---------------------------------------------------------

const pending = comm.irecv(ANY_SOURCE, ANY_TAG);
await comm.allreduce(1);
await comm.bcast(rank, size - 1);
assert.equal(pending.done, false, "a collective matched a pending point-to-point receive");
// Nobody sends the point-to-point message before every rank has looked.
await comm.barrier();
await comm.send({ from: rank }, (rank + 1) % size, 5);
assert.deepStrictEqual(await pending, { from: (rank - 1 + size) % size });

await comm.barrier();
console.log(`cco_obj ok on rank ${rank} of ${size}`);
