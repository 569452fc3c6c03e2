/**
 * Making communicators, in one process on the memory mesh: what every rank gets from Dup, Split, Split_type
 * and Create, and that context ids never collide however creations interleave.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ANY_SOURCE,
  ANY_TAG,
  COMM_TYPE_SHARED,
  CONGRUENT,
  IDENT,
  SIMILAR,
  TAG_UB,
  UNDEFINED,
  UNEQUAL,
} from "../../lib/constants.ts";
import { ErrorCode } from "../../lib/errors.ts";
import { assertRejectsMpiError } from "../_helpers/assert_mpi_error.ts";
import { type Comm, COMM_NULL } from "../../lib/comm/comm.ts";
import { everyRank, memoryWorld } from "./_memory_comms.ts";

/** World ranks of a communicator's members, by its rank, as every member sees them through allgather. */
async function worldRanksOf(comm: Comm): Promise<number[]> {
  return await comm.allgather(comm.worldRank(comm.rank));
}

/**
 * Checks what a set of communicators, created by every rank, must satisfy: every member sees the same members
 * and the same contexts; in any one process, no two communicators share a context id.
 */
function checkContexts(perRank: Comm[][]): void {
  perRank.forEach((comms, rank) => {
    const ids = comms.flatMap((comm) => [comm.contexts.p2p, comm.contexts.collective]);
    assert.equal(
      new Set(ids).size,
      ids.length,
      `rank ${rank} holds two communicators on one context: ${ids}`,
    );
  });
  const byContext = new Map<number, Comm[]>();
  for (const comm of perRank.flat()) {
    byContext.set(comm.contexts.p2p, [...byContext.get(comm.contexts.p2p) ?? [], comm]);
  }
  for (const [context, comms] of byContext) {
    for (const comm of comms) {
      for (const member of comm.members) {
        // A member of this communicator has it on the same context, with the same members.
        const theirs = perRank[member].find((other) => other.contexts.p2p === context);
        assert.ok(theirs, `world rank ${member} has no communicator on context ${context}`);
        assert.deepEqual(theirs.members, comm.members);
      }
    }
  }
}

test("Dup gives every rank the same ranks on a new context", async () => {
  const world = memoryWorld(4);
  const dups = await everyRank(world, (comm) => comm.Dup());
  dups.forEach((dup, rank) => {
    assert.equal(dup.rank, rank);
    assert.equal(dup.size, 4);
    assert.deepEqual(dup.contexts, { p2p: 4, collective: 5 });
    assert.equal(dup.name, "Dup(COMM_WORLD)");
    assert.equal(world[rank].Compare(dup), CONGRUENT);
    assert.equal(dup.Compare(dup), IDENT);
  });
  assert.deepEqual(await everyRank(dups, worldRanksOf), dups.map(() => [0, 1, 2, 3]));
});

test("Split groups ranks by colour, ranks them by key then by parent rank, and UNDEFINED gets COMM_NULL", async () => {
  const world = memoryWorld(6);
  // Colours 0 1 0 1 0 UNDEFINED; keys 5 5 1 0 1 9.
  const colors = [0, 1, 0, 1, 0, UNDEFINED];
  const keys = [5, 5, 1, 0, 1, 9];
  const parts = await everyRank(world, (comm, rank) => comm.Split(colors[rank], keys[rank]));
  assert.equal(parts[5], COMM_NULL);
  assert.deepEqual(parts[0].members, [2, 4, 0]);
  assert.deepEqual(parts[1].members, [3, 1]);
  assert.deepEqual([0, 1, 2, 3, 4].map((rank) => parts[rank].rank), [2, 1, 0, 0, 1]);
  assert.equal(parts[0].name, "Split(COMM_WORLD, color 0)");
  assert.equal(parts[0].Compare(parts[2]), IDENT, "same communicator, seen from two ranks' objects");
  checkContexts(parts.map((part) => part === COMM_NULL ? [] : [part]));
});

test("Split takes its arguments as an options object too", async () => {
  const world = memoryWorld(3);
  const parts = await everyRank(world, (comm, rank) => comm.split({ color: 0, key: -rank }));
  assert.deepEqual(parts[0].members, [2, 1, 0]);
});

test("Split_type(COMM_TYPE_SHARED) groups the ranks of each host when ranks span hosts", async () => {
  const world = memoryWorld(6, ["a", "b", "a", "c", "b", "a"]);
  const nodes = await everyRank(world, (comm) => comm.Split_type(COMM_TYPE_SHARED));
  assert.deepEqual(nodes.map((node) => node.members), [[0, 2, 5], [1, 4], [0, 2, 5], [3], [1, 4], [0, 2, 5]]);
  assert.deepEqual(nodes.map((node) => node.rank), [0, 0, 1, 0, 1, 2]);
  // The same on a sub-communicator: the odd world ranks 1, 3, 5 are on b, c and a.
  const odd = await everyRank(world, (comm, rank) => comm.Split(rank % 2, -rank));
  const oddNodes = await everyRank(odd, (comm) => comm.split_type(COMM_TYPE_SHARED));
  assert.deepEqual(oddNodes.filter((_, rank) => rank % 2 === 1).map((node) => node.members), [[1], [3], [5]]);
  // The even world ranks, ordered 4, 2, 0 by their keys: 4 is on b, 2 and 0 on a.
  assert.deepEqual(oddNodes.filter((_, rank) => rank % 2 === 0).map((node) => node.members), [
    [2, 0],
    [2, 0],
    [4],
  ]);
  const none = await everyRank(world, (comm) => comm.Split_type(UNDEFINED));
  assert.ok(none.every((comm) => comm === COMM_NULL));
});

test("Create makes a communicator of a group, in the group's order; the others get COMM_NULL", async () => {
  const world = memoryWorld(5);
  const reversedOdd = await everyRank(world, (comm) => comm.Create(comm.Get_group().Incl([3, 1])));
  assert.deepEqual(reversedOdd.map((comm) => comm === COMM_NULL), [true, false, true, false, true]);
  assert.deepEqual(reversedOdd[1].members, [3, 1]);
  assert.equal(reversedOdd[1].rank, 1);
  assert.equal(reversedOdd[3].rank, 0);
  const evens = await everyRank(world, (comm) => comm.create(comm.group.Excl([1, 3])));
  assert.deepEqual(evens[4].members, [0, 2, 4]);
  assert.deepEqual(await everyRank(evens.filter((c) => c !== COMM_NULL), worldRanksOf), [
    [0, 2, 4],
    [0, 2, 4],
    [
      0,
      2,
      4,
    ],
  ]);
});

test("Compare tells IDENT, CONGRUENT, SIMILAR and UNEQUAL communicators apart", async () => {
  const world = memoryWorld(3);
  const reversed = await everyRank(world, (comm) => comm.Split(0, -comm.rank));
  const pair = await everyRank(world, (comm) => comm.Split(comm.rank === 2 ? UNDEFINED : 0));
  assert.equal(world[0].Compare(world[0]), IDENT);
  assert.equal(world[0].Compare(reversed[0]), SIMILAR);
  assert.equal(world[0].compare(pair[0]), UNEQUAL);
});

test("creations in flight at once, on parents that share ranks, never give a process two equal contexts", async () => {
  const world = memoryWorld(5);
  const created = await everyRank(world, async (comm, rank) => {
    const dup = await comm.Dup();
    const half = await comm.Split(rank % 2);
    // Everything below starts before anything finishes, in the same order on every rank.
    const inFlight = await Promise.all([
      comm.Dup(),
      dup.Dup(),
      half.Dup(),
      comm.Split(rank < 2 ? 0 : 1, -rank),
      half.Split(0),
      dup.Create(dup.Get_group().Excl([0])),
      comm.Dup(),
    ]);
    return [comm, dup, half, ...inFlight].filter((c) => c !== COMM_NULL);
  });
  checkContexts(created);
  // Every communicator carries its own traffic: an allgather on all of them at once.
  const gathered = await everyRank(world, (_, rank) => Promise.all(created[rank].map(worldRanksOf)));
  gathered.forEach((lists, rank) =>
    lists.forEach((list, i) => assert.deepEqual(list, created[rank][i].members))
  );
});

test("sub-communicators that made different numbers of communicators still agree on the next one", async () => {
  const world = memoryWorld(4);
  const made = await everyRank(world, async (comm, rank) => {
    const half = await comm.Split(rank % 2);
    const extra: Comm[] = [];
    // The even half makes three communicators, the odd half one, concurrently.
    for (let i = 0; i < (rank % 2 === 0 ? 3 : 1); i++) extra.push(await half.Dup());
    const next = await comm.Dup();
    return [comm, half, ...extra, next];
  });
  checkContexts(made);
  const nexts = made.map((comms) => comms[comms.length - 1].contexts.p2p);
  assert.equal(new Set(nexts).size, 1, `every rank has the world's dup on one context: ${nexts}`);
});

test("a message on a communicator never matches a receive on its dup, even with the same tag", async () => {
  const world = memoryWorld(3);
  const dups = await everyRank(world, (comm) => comm.Dup());
  await everyRank(world, async (comm, rank) => {
    const dup = dups[rank];
    const next = (rank + 1) % 3;
    const prev = (rank + 2) % 3;
    const onDup = dup.irecv(ANY_SOURCE, ANY_TAG);
    await comm.send(`world from ${rank}`, next, 7);
    assert.equal(await comm.recv(prev, 7), `world from ${prev}`);
    assert.deepEqual(await onDup.test(), [false, undefined]);
    await comm.barrier(); // every rank has looked before anything is sent on the dup
    await dup.send(`dup from ${rank}`, next, 7);
    assert.equal(await onDup, `dup from ${prev}`);
  });
});

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test("Create_group is made by the group's members alone, in the group's order; a non-member gets COMM_NULL", async () => {
  const world = memoryWorld(5);
  const members = [3, 1, 4];
  const made = await everyRank(world, async (comm, rank) => {
    const group = comm.Get_group().Incl(members);
    if (!members.includes(rank)) {
      // Outside the group: COMM_NULL at once, with nothing sent, and free to talk among the outsiders.
      assert.equal(await comm.Create_group(group), COMM_NULL);
      const other = rank === 0 ? 2 : 0;
      assert.equal(await comm.sendrecv(`from ${rank}`, other, 1, other, 1), `from ${other}`);
      await comm.allgather(rank);
      if (rank === 0) { for (const member of members) await comm.send(`hello ${member}`, member, 9); }
      return COMM_NULL;
    }
    // A wildcard receive on the parent must not take the agreement's messages.
    const wildcard = comm.irecv(ANY_SOURCE, ANY_TAG);
    const made = await comm.Create_group(group, 5);
    assert.deepEqual(await wildcard.test(), [false, undefined]);
    // The parent's collective sequence is untouched: a collective of every rank still matches.
    assert.deepEqual(await comm.allgather(rank), [0, 1, 2, 3, 4]);
    assert.equal(await wildcard, `hello ${rank}`);
    return made;
  });
  assert.deepEqual(made.map((comm) => comm === COMM_NULL), [true, false, true, false, false]);
  assert.deepEqual([made[3].rank, made[1].rank, made[4].rank], [0, 1, 2]);
  assert.equal(made[1].name, "Create_group(COMM_WORLD)");
  const created = [made[3], made[1], made[4]];
  assert.deepEqual(await everyRank(created, worldRanksOf), [members, members, members]);
  checkContexts(made.map((comm) => comm === COMM_NULL ? [] : [comm]));
});

test("Create_group calls one after another on overlapping groups with one tag never take each other's messages", async () => {
  // World rank 1 makes {0, 1} and then {2, 1}, both with tag 0. Rank 2 starts at once and rank 0 late, so
  // rank 2's message reaches rank 1 first: in both groups, its sender is group rank 0. Rank 2 has made two
  // communicators of its own before, so its proposal is higher than rank 0's: taken by the wrong call, it
  // would give ranks 0 and 1 different contexts.
  const world = memoryWorld(3);
  const made = await everyRank(world, async (comm, rank) => {
    const first = comm.Get_group().Incl([0, 1]);
    const second = comm.Get_group().Incl([2, 1]);
    if (rank === 0) {
      await delay(50);
      return [await comm.Create_group(first, 0)];
    }
    if (rank === 2) {
      const alone = [
        await comm.Create_group(comm.Get_group().Incl([2])),
        await comm.Create_group(second.Incl([0])),
      ];
      assert.deepEqual(alone.map((self) => [self.size, self.contexts.p2p]), [[1, 4], [1, 6]]);
      return [await comm.Create_group(second, 0)];
    }
    return await Promise.all([comm.Create_group(first, 0), comm.Create_group(second, 0)]);
  });
  assert.deepEqual(made[0][0].members, [0, 1]);
  assert.deepEqual(made[1].map((comm) => comm.members), [[0, 1], [2, 1]]);
  assert.deepEqual(made[2][0].members, [2, 1]);
  checkContexts(made);
  const pairs = [[made[0][0], made[1][0]], [made[2][0], made[1][1]]];
  for (const pair of pairs) {
    assert.deepEqual(await everyRank(pair, worldRanksOf), [pair[0].members, pair[0].members]);
  }
});

test("Create_group calls in flight at once on overlapping groups, with their own tags, each make their communicator", async () => {
  const world = memoryWorld(4);
  const made = await everyRank(world, async (comm, rank) => {
    const all = comm.Get_group();
    const calls: Promise<Comm>[] = [];
    if (rank <= 2) calls.push(comm.Create_group(all.Range_incl([[0, 2, 1]]), 1));
    if (rank >= 1) calls.push(comm.Create_group(all.Range_incl([[3, 1, -1]]), TAG_UB));
    calls.push(comm.Create_group(all, 0));
    return await Promise.all(calls);
  });
  checkContexts(made);
  assert.deepEqual(made.map((comms) => comms.map((comm) => comm.members)), [
    [[0, 1, 2], [0, 1, 2, 3]],
    [[0, 1, 2], [3, 2, 1], [0, 1, 2, 3]],
    [[0, 1, 2], [3, 2, 1], [0, 1, 2, 3]],
    [[3, 2, 1], [0, 1, 2, 3]],
  ]);
  const gathered = await everyRank(world, (_, rank) => Promise.all(made[rank].map(worldRanksOf)));
  gathered.forEach((lists, rank) =>
    lists.forEach((list, i) => assert.deepEqual(list, made[rank][i].members))
  );
});

test("Create_group checks its group and tag before anything is sent, naming the call and the argument", async () => {
  const world = memoryWorld(3);
  const halves = await everyRank(world, (comm, rank) => comm.Split(rank === 2 ? 1 : 0));
  const comm = halves[0];
  await assertRejectsMpiError(
    () => comm.Create_group(world[0].Get_group()),
    ErrorCode.ERR_GROUP,
    /^Create_group: the group holds world rank 2, which is not in Split\(COMM_WORLD, color 0\)$/,
  );
  await assertRejectsMpiError(
    () => comm.Create_group([0, 1] as never),
    ErrorCode.ERR_GROUP,
    /^Create_group: group is not a Group, got an array$/,
  );
  await assertRejectsMpiError(
    () => comm.Create_group(comm.Get_group(), -1),
    ErrorCode.ERR_TAG,
    new RegExp(`^Create_group: tag -1 is not in 0..${TAG_UB}$`),
  );
  await assertRejectsMpiError(
    () => comm.create_group(comm.Get_group(), TAG_UB + 1),
    ErrorCode.ERR_TAG,
    /tag 2147483648/,
  );
  await assertRejectsMpiError(
    () => comm.Create_group(comm.Get_group(), { root: 1 } as never),
    ErrorCode.ERR_ARG,
    /^Create_group: unknown option "root" \(expected tag\)$/,
  );
  const dup = await everyRank(halves.slice(0, 2), (half) => half.Dup());
  const dupGroup = dup[0].Get_group();
  dup[0].Free();
  await assertRejectsMpiError(
    () => dup[0].Create_group(dupGroup),
    ErrorCode.ERR_COMM,
    /^Create_group: communicator Dup\(Split\(COMM_WORLD, color 0\)\) has been freed$/,
  );
  await assertRejectsMpiError(
    () => COMM_NULL.Create_group(world[0].Get_group()),
    ErrorCode.ERR_COMM,
    /COMM_NULL/,
  );
  // Nothing was sent: the two members still make one with the tag given as an option.
  const pair = await everyRank(halves.slice(0, 2), (half) => half.Create_group(half.Get_group(), { tag: 3 }));
  assert.deepEqual(await everyRank(pair, worldRanksOf), [[0, 1], [0, 1]]);
});
