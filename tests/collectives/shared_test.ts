/**
 * The shared-memory collectives of `lib/collectives/shared.ts` on a real mapped region, with every rank an
 * arena of this one process over the same memory: the ranks' waits take turns on the event loop, so they
 * interleave as separate processes would (only slower). Sizes span several slots, so that chunking, epochs
 * and the reuse of areas are exercised.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, MPIError } from "../../lib/errors.ts";
import { MAXLOC, Op, SUM } from "../../lib/collectives/ops.ts";
import { COMPLETED } from "../../lib/p2p/completed.ts";
import { type ArenaOwner, HostArena, slotBytes } from "../../lib/collectives/shared.ts";
import { loadLibc } from "../../lib/runtime/libc.ts";
import { HostSharedMemory } from "../../lib/transport/shared_memory.ts";
import { openRegions, sharedMemoryNames } from "../_helpers/shared_regions.ts";
import process from "node:process";

const libc = loadLibc();
const skip = libc ? false : "the C library cannot be bound here";

/** `size` arenas over one fresh region, and an owner per rank. */
function arenas(size: number, where = "Allreduce", raw = true) {
  const shared = new HostSharedMemory(libc!, process.pid);
  const length = HostArena.regionLength(size);
  const first = shared.create("test", length);
  const spaces = [first, ...Array.from({ length: size - 1 }, () => shared.open(first.address, length))];
  first.unlink();
  const lost: (Error | undefined)[] = [];
  const owners: ArenaOwner[] = spaces.map((_, rank) => ({
    rank,
    size,
    where,
    raw,
    lostMember: () => lost.find((error) => error !== undefined),
  }));
  return { arenas: spaces.map((space) => new HostArena(space, size, slotBytes(size), false)), owners, lost };
}

test(
  "a region has no name under /dev/shm, and once its creator closes it nobody can open it",
  { skip },
  () => {
    const shared = new HostSharedMemory(libc!, process.pid);
    const namedBefore = sharedMemoryNames().length;
    const region = shared.create("gone", 4096);
    assert.match(region.address, /^\/proc\/\d+\/fd\/\d+ mpirun-deno-gone-[0-9a-f]{8}$/);
    assert.equal(sharedMemoryNames().length, namedBefore, "a region got a name under /dev/shm");
    assert.ok(
      openRegions(process.pid).includes(region.address.split(" ")[1]),
      "the creator does not hold it",
    );
    const other = shared.open(region.address, 4096);
    Atomics.store(region.words, 3, 42);
    assert.equal(Atomics.load(other.words, 3), 42, "the two mappings do not share memory");
    region.unlink();
    assert.throws(
      () => shared.open(region.address, 4096),
      /\/proc\/\d+\/fd\/\d+ leads to no file, not to the shared region mpirun-deno-gone-/,
    );
    other.release();
    region.release();
  },
);

test("a region's address whose descriptor now holds another file is refused", { skip }, () => {
  const shared = new HostSharedMemory(libc!, process.pid);
  const first = shared.create("first", 4096);
  first.unlink();
  // The creator closed the first region: its descriptor number goes to the next file it opens.
  const second = shared.create("second", 4096);
  assert.equal(first.address.split(" ")[0], second.address.split(" ")[0], "the number was not reused");
  assert.throws(
    () => shared.open(first.address, 4096),
    /leads to \/memfd:mpirun-deno-second-[0-9a-f]{8} \(deleted\), not to the shared region mpirun-deno-first-/,
  );
  assert.throws(() => shared.open("/dev/shm/anything", 4096), /is not the address of a shared region/);
  first.release();
  second.release();
});

test("barriers hold every rank until the last arrives, many times over", { skip }, async () => {
  const { arenas: all, owners } = arenas(4);
  const order: string[] = [];
  await Promise.all(all.map(async (arena, rank) => {
    for (let round = 0; round < 50; round++) {
      order.push(`${round}`);
      await arena.barrier(owners[rank]);
    }
  }));
  // Nobody starts round r + 1 before everyone has started round r.
  for (let i = 0; i < order.length; i++) assert.equal(Number(order[i]), Math.floor(i / 4), order.join(","));
});

test("a barrier that every rank has reached ends as it returns; one that must wait returns a promise", {
  skip,
}, async () => {
  const { arenas: all, owners } = arenas(2);
  // Rank 0 arrives first: it spins its first slice in vain (rank 1 runs on this same thread), then waits.
  const first = all[0].barrier(owners[0]);
  assert.notEqual(first, COMPLETED);
  // Rank 1 arrives last: nothing to wait for, no promise of its own.
  assert.equal(all[1].barrier(owners[1]), COMPLETED);
  await first;
  // The epochs after it agree: a reduction that goes on from there, part at once and part after waits.
  const outs = [new Float64Array(2), new Float64Array(2)];
  const reduced = all[0].reduce(owners[0], Float64Array.of(1, 2), outs[0], SUM, -1);
  await Promise.all([reduced, all[1].reduce(owners[1], Float64Array.of(3, 4), outs[1], SUM, -1)]);
  for (const out of outs) assert.deepEqual([...out], [4, 6]);
});

test("a Bcast into buffers ends as it returns on the rank that arrives last, with the bytes in place", {
  skip,
}, async () => {
  const { arenas: all, owners } = arenas(2, "Bcast");
  const data = [Uint8Array.of(7, 8, 9), new Uint8Array(3)];
  // The root arrives first: it spins its first slice in vain, then waits.
  const first = all[0].bcast(owners[0], data[0], 0);
  assert.notEqual(first, COMPLETED);
  // Rank 1 arrives last: the root's bytes are in its buffer as the call returns, with no promise of its own.
  assert.equal(all[1].bcast(owners[1], data[1], 0), COMPLETED);
  assert.deepEqual([...data[1]], [7, 8, 9]);
  assert.equal(await first, undefined);
});

for (const size of [2, 3, 5]) {
  test(
    `Allreduce and Reduce over ${size} ranks match a local fold, across several slots`,
    { skip },
    async () => {
      const { arenas: all, owners } = arenas(size);
      const count = Math.floor((slotBytes(size) * 2.5) / 8) + 3; // two full slots and a bit: three chunks
      const inputs = all.map((_, rank) =>
        Float64Array.from({ length: count }, (_, i) => (i % 97) * (rank + 1))
      );
      const expected = Float64Array.from({ length: count }, (_, i) => (i % 97) * (size * (size + 1)) / 2);
      const outs = all.map(() => new Float64Array(count));
      await Promise.all(
        all.map((arena, rank) => arena.reduce(owners[rank], inputs[rank], outs[rank], SUM, -1)),
      );
      for (const out of outs) assert.deepEqual(out, expected);
      const root = size - 1;
      const rootOut = new Float64Array(count);
      await Promise.all(
        all.map((arena, rank) =>
          arena.reduce(owners[rank], inputs[rank], rank === root ? rootOut : undefined, SUM, root)
        ),
      );
      assert.deepEqual(rootOut, expected);
    },
  );
}

test("a non-commutative op is applied in rank order, and MAXLOC keeps its pairs", { skip }, async () => {
  const { arenas: all, owners } = arenas(3);
  // (a, b) -> 10 a + b in rank order makes a number whose digits are the ranks' values.
  const digits = Op.Create((a: number, b: number) => 10 * a + b, false);
  const outs = all.map(() => new Float64Array(5));
  await Promise.all(
    all.map((arena, rank) =>
      arena.reduce(owners[rank], new Float64Array(5).fill(rank + 1), outs[rank], digits, -1)
    ),
  );
  for (const out of outs) assert.deepEqual([...out], [123, 123, 123, 123, 123]);
  const pairs = all.map(() => new Float64Array(4));
  const values = [[5, 0, 1, 0], [9, 1, 0, 1], [2, 2, 7, 2]];
  await Promise.all(
    all.map((arena, rank) =>
      arena.reduce(owners[rank], Float64Array.from(values[rank]), pairs[rank], MAXLOC, -1)
    ),
  );
  for (const out of pairs) assert.deepEqual([...out], [9, 1, 7, 2]);
});

test("Bcast of a buffer and of a value, across several slots", { skip }, async () => {
  const { arenas: all, owners } = arenas(3, "Bcast");
  const length = slotBytes(3) * 2 + 5;
  const data = all.map((_, rank) =>
    rank === 1 ? Uint8Array.from({ length }, (_, i) => i % 251) : new Uint8Array(length)
  );
  // Into buffers, the broadcast resolves with nothing: the bytes are in each rank's buffer.
  const into = await Promise.all(all.map((arena, rank) => arena.bcast(owners[rank], data[rank], 1)));
  assert.deepEqual(into, [undefined, undefined, undefined]);
  for (const bytes of data) assert.deepEqual(bytes, data[1]);
  const valueOwners = owners.map((owner) => ({ ...owner, where: "bcast", raw: false }));
  const got = await Promise.all(
    all.map((arena, rank) =>
      arena.bcast(valueOwners[rank], rank === 0 ? Uint8Array.of(1, 2, 3) : undefined, 0)
    ),
  );
  // The root gave its bytes and gets nothing back; the others get new bytes.
  assert.deepEqual(got, [undefined, Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)]);
});

test(
  "buffers of different sizes fail on every rank alike, and the next call still works",
  { skip },
  async () => {
    const { arenas: all, owners } = arenas(3);
    const results = await Promise.allSettled(
      all.map((arena, rank) =>
        arena.reduce(
          owners[rank],
          new Float64Array(rank === 2 ? 3 : 4),
          new Float64Array(rank === 2 ? 3 : 4),
          SUM,
          -1,
        )
      ),
    );
    for (const result of results) {
      assert.equal(result.status, "rejected");
      const error = (result as PromiseRejectedResult).reason;
      assert.ok(error instanceof MPIError);
      assert.ok(error.code === ErrorCode.ERR_COUNT || error.code === ErrorCode.ERR_TRUNCATE, error.message);
      assert.match(error.message, /Allreduce: rank [02] sent \d+ bytes/);
    }
    const outs = all.map(() => new Int32Array(2));
    await Promise.all(
      all.map((arena, rank) => arena.reduce(owners[rank], Int32Array.of(rank, 1), outs[rank], SUM, -1)),
    );
    for (const out of outs) assert.deepEqual([...out], [3, 3]);
  },
);

test("different calls on different ranks fail on every rank, naming the other call", { skip }, async () => {
  const { arenas: all, owners } = arenas(2);
  const results = await Promise.allSettled([
    all[0].barrier({ ...owners[0], where: "barrier" }),
    all[1].bcast({ ...owners[1], where: "bcast", raw: false }, undefined, 0),
  ]);
  const messages = results.map((result) => ((result as PromiseRejectedResult).reason as Error).message);
  assert.match(
    messages[0],
    /barrier: rank 1 is in a value collective while this rank called a buffer collective/,
  );
  assert.match(
    messages[1],
    /bcast: rank 0 is in a buffer collective while this rank called a value collective/,
  );
});

test("calls started together on one communicator run one after the other", { skip }, async () => {
  const { arenas: all, owners } = arenas(3);
  const outs = all.map(() => [new Int32Array(3), new Int32Array(3)]);
  await Promise.all(all.map((arena, rank) =>
    Promise.all([
      arena.barrier(owners[rank]),
      arena.reduce(owners[rank], Int32Array.of(rank, 1, 2), outs[rank][0], SUM, -1),
      arena.barrier(owners[rank]),
      arena.reduce(owners[rank], Int32Array.of(1, rank, 0), outs[rank][1], SUM, -1),
    ])
  ));
  for (const [first, second] of outs) {
    assert.deepEqual([...first], [3, 3, 6]);
    assert.deepEqual([...second], [3, 3, 0]);
  }
});

test("a wait fails with the error of a member that is gone, instead of hanging", { skip }, async () => {
  const { arenas: all, owners, lost } = arenas(3);
  const waiting = all[0].barrier(owners[0]);
  lost[2] = new MPIError(ErrorCode.ERR_PEER_LOST, "rank 2 is gone (test)");
  await assert.rejects(waiting, /rank 2 is gone/);
});
