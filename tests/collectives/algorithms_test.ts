/**
 * The shared suite every collective algorithm runs through, in one process on the memory mesh: sizes 1 to 8,
 * every root, short and long buffers (so trees, Bruck, recursive doubling, rings and scatter-allgather all
 * run), values and typed arrays, against results computed locally; plus the message counts that show each
 * algorithm's shape.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { IN_PLACE } from "../../lib/constants.ts";
import { ErrorCode, MPIError } from "../../lib/errors.ts";
import { allgatherBuffer, allgatherValue, allgathervBuffer } from "../../lib/collectives/allgather.ts";
import { allreduceBuffer, allreduceValue } from "../../lib/collectives/allreduce.ts";
import { alltoallBuffer, alltoallValue, alltoallvBuffer } from "../../lib/collectives/alltoall.ts";
import { barrier, disseminationBarrier } from "../../lib/collectives/barrier.ts";
import { bcastBuffer, bcastValue } from "../../lib/collectives/bcast.ts";
import { gatherBuffer, gatherValue, gathervBuffer } from "../../lib/collectives/gather.ts";
import { MAX, Op, SUM } from "../../lib/collectives/ops.ts";
import { reduceBuffer, reduceValue } from "../../lib/collectives/reduce.ts";
import { reduceScatterBlockBuffer, reduceScatterBuffer } from "../../lib/collectives/reduce_scatter.ts";
import { exscanBuffer, exscanValue, scanBuffer, scanValue } from "../../lib/collectives/scan.ts";
import { scatterBuffer, scatterValue, scattervBuffer } from "../../lib/collectives/scatter.ts";
import { BCAST_LONG_BYTES, REDUCE_LONG_BYTES, reduceAlgorithm } from "../../lib/collectives/select.ts";
import { ceilLog2 } from "../../lib/collectives/topology.ts";
import { MemoryWorld } from "./_world.ts";

const SIZES = [1, 2, 3, 4, 5, 6, 7, 8];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function pattern(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 7) & 0xff);
}

test("barrier takes ceil(log2 p) rounds of one empty message per rank, and holds everyone until the last arrives", async () => {
  for (const size of SIZES) {
    const world = new MemoryWorld(size);
    await world.run("barrier", true, barrier);
    assert.deepStrictEqual(world.messagesPerRank(), new Array(size).fill(ceilLog2(size)), `size ${size}`);

    const channels = world.open("barrier");
    let left = 0;
    const early = channels.slice(0, -1).map((channel) => disseminationBarrier(channel).then(() => left++));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(left, 0, `a rank left the barrier of ${size} before the last arrived`);
    await disseminationBarrier(channels[size - 1]);
    await Promise.all(early);
  }
});

test("Bcast delivers the root's bytes to every rank, by binomial tree or scatter-allgather", async () => {
  for (const size of SIZES) {
    for (const length of [0, 5, 100_003, BCAST_LONG_BYTES + 17]) {
      for (const root of length > 1000 ? [0, size - 1] : range(size)) {
        const world = new MemoryWorld(size);
        const expected = pattern(length, root);
        const bufs = range(size).map((rank) => rank === root ? expected.slice() : new Uint8Array(length));
        await world.run("Bcast", true, (shape) => bcastBuffer(shape, bufs[shape.rank], root));
        bufs.forEach((buf, rank) => assert.ok(buf.every((byte, i) => byte === expected[i]), `rank ${rank}`));
        const sent = world.messagesPerRank();
        if (length < BCAST_LONG_BYTES || size <= 2) {
          assert.equal(sent.reduce((a, b) => a + b, 0), size - 1, "one message per non-root rank");
          assert.equal(sent[root], ceilLog2(size), "the root sends ceil(log2 p) messages");
        } else {
          // Scatter down the tree, then p - 1 ring steps: no rank sends the whole buffer more than twice.
          assert.ok(sent.every((count) => count <= ceilLog2(size) + size - 1), `messages per rank ${sent}`);
        }
      }
    }
  }
});

test("bcast of a value reaches every rank decoded, the root keeping its own object", async () => {
  for (const size of SIZES) {
    for (const root of range(size)) {
      const world = new MemoryWorld(size);
      const value = { root, list: [1n, "two", new Map([[3, 4]])], floats: Float64Array.of(root) };
      const results = await world.run(
        "bcast",
        false,
        (shape) => bcastValue(shape, shape.rank === root ? value : null, root),
      );
      results.forEach((result, rank) => assert.deepStrictEqual(result, value, `rank ${rank}`));
      assert.equal(results[root], value);
    }
  }
});

test("scatter, Scatter and Scatterv give each rank its block, from every root", async () => {
  for (const size of SIZES) {
    for (const root of range(size)) {
      for (const per of [0, 3, 9000]) {
        const world = new MemoryWorld(size);
        const all = Float64Array.from({ length: per * size }, (_, i) => i + root);
        const mine = range(size).map(() => new Float64Array(per));
        await world.run(
          "Scatter",
          true,
          (shape) => scatterBuffer(shape, shape.rank === root ? all : null, mine[shape.rank], root),
        );
        mine.forEach((got, rank) => assert.deepStrictEqual(got, all.subarray(rank * per, (rank + 1) * per)));
      }
      const world = new MemoryWorld(size);
      const counts = range(size).map((rank) => rank % 3);
      const displs = range(size).map((rank) => rank * 3);
      const all = Int16Array.from({ length: 3 * size }, (_, i) => i - root);
      const mine = range(size).map((rank) => new Int16Array(counts[rank]));
      await world.run(
        "Scatterv",
        true,
        (shape) =>
          scattervBuffer(shape, shape.rank === root ? [all, counts, displs] : null, mine[shape.rank], root),
      );
      mine.forEach((got, rank) =>
        assert.deepStrictEqual(got, all.subarray(displs[rank], displs[rank] + counts[rank]))
      );

      const items = range(size).map((rank) => ({ rank, root }));
      const values = await world.run(
        "scatter",
        false,
        (shape) => scatterValue(shape, shape.rank === root ? items : null, root),
      );
      assert.deepStrictEqual(values, items);
    }
  }
});

test("gather, Gather and Gatherv collect every rank's block at the root, from every root", async () => {
  for (const size of SIZES) {
    for (const root of range(size)) {
      for (const per of [0, 2, 9000]) {
        const world = new MemoryWorld(size);
        const expected = Int32Array.from(
          { length: per * size },
          (_, i) => Math.floor(i / Math.max(per, 1)) * 1000 + i,
        );
        const at = root * per;
        const recv = new Int32Array(per * size);
        recv.set(expected.subarray(at, at + per), at);
        await world.run("Gather", true, (shape) => {
          const mine = expected.subarray(shape.rank * per, (shape.rank + 1) * per);
          // The root contributes in place.
          return gatherBuffer(
            shape,
            shape.rank === root ? IN_PLACE : mine,
            shape.rank === root ? recv : null,
            root,
          );
        });
        assert.deepStrictEqual(recv, expected);
      }
      const world = new MemoryWorld(size);
      const counts = range(size).map((rank) => (rank * 2) % 5);
      const displs = range(size).map((rank) => (size - 1 - rank) * 4);
      const recv = new Uint8Array(4 * size).fill(255);
      await world.run("Gatherv", true, (shape) =>
        gathervBuffer(
          shape,
          new Uint8Array(counts[shape.rank]).fill(shape.rank),
          shape.rank === root ? [recv, counts, displs] : null,
          root,
        ));
      for (const rank of range(size)) {
        assert.deepStrictEqual(
          [...recv.subarray(displs[rank], displs[rank] + counts[rank])],
          new Array(counts[rank]).fill(rank),
        );
      }
      const values = await world.run(
        "gather",
        false,
        (shape) => gatherValue(shape, [shape.rank, "x".repeat(shape.rank)], root),
      );
      values.forEach((value, rank) =>
        assert.deepStrictEqual(value, rank === root ? range(size).map((r) => [r, "x".repeat(r)]) : null)
      );
    }
  }
});

test("allgather, Allgather and Allgatherv give every rank every block, by Bruck or by ring", async () => {
  for (const size of SIZES) {
    for (const per of [1, 3, 5000]) {
      const world = new MemoryWorld(size);
      const expected = Float64Array.from({ length: per * size }, (_, i) => i * 0.5);
      const recvs = range(size).map(() => new Float64Array(per * size));
      await world.run(
        "Allgather",
        true,
        (shape) =>
          allgatherBuffer(
            shape,
            expected.subarray(shape.rank * per, (shape.rank + 1) * per),
            recvs[shape.rank],
          ),
      );
      recvs.forEach((recv) => assert.deepStrictEqual(recv, expected));
      const inPlace = range(size).map((rank) => {
        const buf = new Float64Array(per * size);
        buf.set(expected.subarray(rank * per, (rank + 1) * per), rank * per);
        return buf;
      });
      await world.run("Allgather", true, (shape) => allgatherBuffer(shape, IN_PLACE, inPlace[shape.rank]));
      inPlace.forEach((recv) => assert.deepStrictEqual(recv, expected));
      if (per === 5000 && size > 1) {
        // The ring: p - 1 messages per rank in each of the two calls.
        assert.ok(world.messagesPerRank().every((count) => count === 2 * (size - 1)));
      }
    }
    const world = new MemoryWorld(size);
    const counts = range(size).map((rank) => rank + 1);
    const displs = range(size).map((rank) => (rank * (rank + 1)) / 2);
    const total = (size * (size + 1)) / 2;
    const recvs = range(size).map(() => new Int8Array(total));
    await world.run(
      "Allgatherv",
      true,
      (shape) =>
        allgathervBuffer(shape, new Int8Array(shape.rank + 1).fill(-shape.rank), [
          recvs[shape.rank],
          counts,
          displs,
        ]),
    );
    const expected = Int8Array.from(range(size).flatMap((rank) => new Array(rank + 1).fill(-rank)));
    recvs.forEach((recv) => assert.deepStrictEqual(recv, expected));
    const values = await world.run("allgather", false, (shape) => allgatherValue(shape, { r: shape.rank }));
    values.forEach((value) => assert.deepStrictEqual(value, range(size).map((r) => ({ r }))));
    if (size > 1) assert.ok(world.messagesPerRank().some((count) => count > 0));
  }
});

test("alltoall, Alltoall and Alltoallv exchange a block between every pair", async () => {
  for (const size of SIZES) {
    const world = new MemoryWorld(size);
    const per = 3;
    const recvs = range(size).map(() => new Uint16Array(per * size));
    await world.run(
      "Alltoall",
      true,
      (shape) =>
        alltoallBuffer(
          shape,
          Uint16Array.from({ length: per * size }, (_, i) => shape.rank * 100 + i),
          recvs[shape.rank],
        ),
    );
    recvs.forEach((recv, rank) =>
      assert.deepStrictEqual(
        recv,
        Uint16Array.from(
          { length: per * size },
          (_, i) => Math.floor(i / per) * 100 + rank * per + (i % per),
        ),
      )
    );
    const counts = (from: number, to: number) => (from + to) % 3;
    const sendCounts = (rank: number) => range(size).map((to) => counts(rank, to));
    const recvCounts = (rank: number) => range(size).map((from) => counts(from, rank));
    const recvsV = range(size).map((rank) => new Float32Array(recvCounts(rank).reduce((a, b) => a + b, 0)));
    await world.run("Alltoallv", true, (shape) =>
      alltoallvBuffer(
        shape,
        [
          Float32Array.from(
            range(size).flatMap((to) => new Array(counts(shape.rank, to)).fill(shape.rank * 10 + to)),
          ),
          sendCounts(shape.rank),
        ],
        [recvsV[shape.rank], recvCounts(shape.rank)],
      ));
    recvsV.forEach((recv, rank) =>
      assert.deepStrictEqual(
        [...recv],
        range(size).flatMap((from) => new Array(counts(from, rank)).fill(from * 10 + rank)),
      )
    );
    const values = await world.run(
      "alltoall",
      false,
      (shape) => alltoallValue(shape, range(size).map((to) => `${shape.rank}>${to}`)),
    );
    values.forEach((value, rank) =>
      assert.deepStrictEqual(value, range(size).map((from) => `${from}>${rank}`))
    );
  }
});

/** A non-commutative, associative op on Float64 elements and on values: keep the left operand. */
const FIRST = Op.Create((a: unknown) => a, false);
/** Concatenation in rank order, on values. */
const CONCAT = Op.Create((a: string, b: string) => a + b, false);

test("Reduce, Allreduce, Scan, Exscan and Reduce_scatter_block match a local fold, by tree, doubling or ring", async () => {
  for (const size of SIZES) {
    // Short counts take the trees and recursive doubling, long ones (commutative) the rings.
    for (const count of [1, 7, REDUCE_LONG_BYTES / 8 + 3]) {
      for (const op of [SUM, MAX, FIRST]) {
        const value = (rank: number, i: number) => ((rank * 7 + i * 3) % 11) - 5;
        const fold = (ranks: number[], i: number) =>
          ranks.map((rank) => value(rank, i)).reduce((a, b) =>
            op === SUM ? a + b : op === MAX ? Math.max(a, b) : a
          );
        const input = (rank: number) => Float64Array.from({ length: count }, (_, i) => value(rank, i));
        const expected = (ranks: number[]) => Float64Array.from({ length: count }, (_, i) => fold(ranks, i));
        const where = `${op.name} x ${count} on ${size}`;

        const world = new MemoryWorld(size);
        const all = range(size).map(() => new Float64Array(count));
        await world.run(
          "Allreduce",
          true,
          (shape) => allreduceBuffer(shape, input(shape.rank), all[shape.rank], op),
        );
        all.forEach((got) => assert.deepStrictEqual(got, expected(range(size)), `Allreduce ${where}`));
        if (op.commute && count * 8 >= REDUCE_LONG_BYTES && size > 1) {
          assert.deepStrictEqual(
            world.messagesPerRank(),
            new Array(size).fill(2 * (size - 1)),
            "ring allreduce",
          );
        }

        for (const root of range(size)) {
          const out = new Float64Array(count);
          await world.run(
            "Reduce",
            true,
            (shape) => reduceBuffer(shape, input(shape.rank), shape.rank === root ? out : null, op, root),
          );
          assert.deepStrictEqual(out, expected(range(size)), `Reduce to ${root} ${where}`);
        }

        const scans = range(size).map(() => new Float64Array(count));
        await world.run("Scan", true, (shape) => scanBuffer(shape, input(shape.rank), scans[shape.rank], op));
        scans.forEach((got, rank) => assert.deepStrictEqual(got, expected(range(rank + 1)), `Scan ${where}`));
        const exscans = range(size).map((rank) => input(rank));
        await world.run("Exscan", true, (shape) => exscanBuffer(shape, IN_PLACE, exscans[shape.rank], op));
        exscans.forEach((got, rank) =>
          assert.deepStrictEqual(got, rank === 0 ? input(0) : expected(range(rank)), `Exscan ${where}`)
        );

        const block = Math.max(1, Math.floor(count / size));
        const blocks = (rank: number) =>
          Float64Array.from({ length: block * size }, (_, i) => value(rank, i));
        const scattered = range(size).map(() => new Float64Array(block));
        await world.run(
          "Reduce_scatter_block",
          true,
          (shape) => reduceScatterBlockBuffer(shape, blocks(shape.rank), scattered[shape.rank], op),
        );
        scattered.forEach((got, rank) =>
          assert.deepStrictEqual(
            got,
            Float64Array.from({ length: block }, (_, i) => fold(range(size), rank * block + i)),
          )
        );
      }
    }
  }
});

test("Reduce_scatter leaves block i of recvcounts[i] elements on rank i, by tree or ring, with counts given, inferred or IN_PLACE", async () => {
  for (const size of SIZES) {
    // Uneven blocks, some of them empty; scaled up, commutative ops take the ring from 3 ranks.
    for (const scale of [1, 3000]) {
      const counts = range(size).map((rank) => ((rank * 3 + 1) % 4) * scale);
      const offsets = counts.map((_, rank) => counts.slice(0, rank).reduce((a, b) => a + b, 0));
      const total = counts.reduce((a, b) => a + b, 0);
      for (const op of [SUM, MAX, FIRST]) {
        const value = (rank: number, i: number) => ((rank * 5 + i * 7) % 13) - 6;
        const input = (rank: number) => Int32Array.from({ length: total }, (_, i) => value(rank, i));
        const fold = (i: number) =>
          range(size).map((rank) => value(rank, i)).reduce((a, b) =>
            op === SUM ? a + b : op === MAX ? Math.max(a, b) : a
          );
        const expected = (rank: number) =>
          Int32Array.from({ length: counts[rank] }, (_, i) => fold(offsets[rank] + i));
        const where = `${op.name} x ${total} on ${size}`;
        const world = new MemoryWorld(size);

        const given = range(size).map((rank) => new Int32Array(counts[rank]));
        await world.run(
          "Reduce_scatter",
          true,
          (shape) => reduceScatterBuffer(shape, input(shape.rank), given[shape.rank], counts, op),
        );
        given.forEach((got, rank) => assert.deepStrictEqual(got, expected(rank), `given counts ${where}`));
        if (reduceAlgorithm(size, total * 4, total, op.commute) === "ring") {
          assert.deepStrictEqual(world.messagesPerRank(), new Array(size).fill(size - 1), `ring ${where}`);
        }

        const inferred = range(size).map((rank) => new Int32Array(counts[rank]));
        await world.run(
          "Reduce_scatter",
          true,
          (shape) => reduceScatterBuffer(shape, input(shape.rank), inferred[shape.rank], null, op),
        );
        inferred.forEach((got, rank) =>
          assert.deepStrictEqual(got, expected(rank), `inferred counts ${where}`)
        );

        const held = range(size).map((rank) => input(rank));
        await world.run(
          "Reduce_scatter",
          true,
          (shape) => reduceScatterBuffer(shape, IN_PLACE, held[shape.rank], Int32Array.from(counts), op),
        );
        held.forEach((got, rank) =>
          assert.deepStrictEqual(got.subarray(0, counts[rank]), expected(rank), `IN_PLACE ${where}`)
        );
      }
    }
  }
});

test("Reduce_scatter without recvcounts fails alike on every rank when a sendbuf does not hold the sum", async () => {
  const world = new MemoryWorld(3);
  const results = await Promise.allSettled(
    world.open("Reduce_scatter").map((channel, rank) =>
      reduceScatterBuffer(
        { rank, size: 3 },
        new Float64Array(rank === 1 ? 5 : 6),
        new Float64Array(2),
        undefined,
        SUM,
      )(channel)
    ),
  );
  for (const result of results) {
    assert.equal(result.status, "rejected");
    const error = (result as PromiseRejectedResult).reason;
    assert.ok(error instanceof MPIError);
    assert.equal(error.code, ErrorCode.ERR_COUNT);
    assert.match(
      error.message,
      /^Reduce_scatter: the sendbuf of rank 1 has 40 bytes, but the recvbufs of all 3 ranks \(recvcounts omitted\) holds 48 bytes$/,
    );
  }
});

test("value reductions combine in rank order, whatever the root", async () => {
  for (const size of SIZES) {
    const world = new MemoryWorld(size);
    const word = (rank: number) => String.fromCharCode(97 + rank);
    const whole = range(size).map(word).join("");
    for (const op of [CONCAT, SUM]) {
      assert.deepStrictEqual(
        await world.run("allreduce", false, (shape) => allreduceValue(shape, word(shape.rank), op)),
        new Array(size).fill(whole),
      );
      for (const root of range(size)) {
        const results = await world.run(
          "reduce",
          false,
          (shape) => reduceValue(shape, word(shape.rank), op, root),
        );
        assert.deepStrictEqual(results, range(size).map((rank) => rank === root ? whole : null));
      }
      const scans = await world.run("scan", false, (shape) => scanValue(shape, word(shape.rank), op));
      assert.deepStrictEqual(scans, range(size).map((rank) => whole.slice(0, rank + 1)));
      const exscans = await world.run("exscan", false, (shape) => exscanValue(shape, word(shape.rank), op));
      assert.deepStrictEqual(exscans, range(size).map((rank) => rank === 0 ? null : whole.slice(0, rank)));
    }
  }
});

test("several collectives in flight on one communicator complete whatever order ranks run them in", async () => {
  for (const size of SIZES) {
    const world = new MemoryWorld(size);
    const first = world.open("allreduce", false);
    const second = world.open("bcast", false);
    const results = await Promise.all(
      range(size).map(async (rank) => {
        const channelA = first[rank], channelB = second[rank];
        const a = allreduceValue({ rank, size }, rank, SUM);
        const b = bcastValue({ rank, size }, rank === 0 ? "hello" : null, 0);
        // Odd ranks start the later call first.
        if (rank % 2) {
          const later = b(channelB);
          return [await a(channelA), await later];
        }
        const earlier = a(channelA);
        return [await earlier, await b(channelB)];
      }),
    );
    results.forEach((result) => assert.deepStrictEqual(result, [(size * (size - 1)) / 2, "hello"]));
  }
});

test("a value collective against a buffer collective is an ERR_TYPE error on the receiver", async () => {
  const world = new MemoryWorld(2);
  const [root, other] = world.open("Bcast", [false, true]);
  const sent = bcastValue({ rank: 0, size: 2 }, "x", 0)(root);
  await assert.rejects(
    bcastBuffer({ rank: 1, size: 2 }, new Uint8Array(1), 0)(other),
    (error: unknown) =>
      error instanceof MPIError && error.code === ErrorCode.ERR_TYPE &&
      /Bcast: rank 0 is in a value collective while this rank called a buffer collective/.test(error.message),
  );
  await sent;
});
