/**
 * SPMD check of `Group.Range_incl`/`Range_excl` and `Comm.Create_group` over real sockets: communicators made
 * by their members alone (disjoint halves at once with one tag; a reversed group with tag TAG_UB; a group of
 * a derived communicator), while the ranks outside run collectives of their own; a non-member's call giving
 * COMM_NULL; calls one after another on overlapping groups with one tag; then the errors, each with its code
 * and a message naming the call, the rank and the argument. Every rank prints
 * `comm_create_group ok on rank R of N`.
 *
 * ```sh
 * mpirun-deno -n 5 tests/spmd/comm_create_group.ts
 * ```
 *
 * @module
 */

import { type Comm, ErrorCode, MPI, TAG_UB } from "../../mod.ts";
import { exercise, failsWith, same } from "./_check.ts";

const world = MPI.COMM_WORLD;
const { rank, size } = world;
const all = Array.from({ length: size }, (_, r) => r);
const worldGroup = world.Get_group();
const made: Comm[] = [];

// --- Range_incl and Range_excl on the world's group ------------------------------------------------------------

const evenRanks = all.filter((r) => r % 2 === 0);
const oddRanks = all.filter((r) => r % 2 === 1);
const evens = worldGroup.Range_incl([[0, size - 1, 2]]);
const odds = worldGroup.Range_excl([[0, size - 1, 2]]);
same(evens.members, evenRanks, "Range_incl of the even ranks");
same(odds.members, oddRanks, "Range_excl of the even ranks");
same(evens.rank, rank % 2 === 0 ? rank / 2 : MPI.UNDEFINED, "rank in the evens");
const reversed = worldGroup.Range_incl([[size - 1, 0, -1]]);
same(reversed.members, [...all].reverse(), "Range_incl counting down");

// --- the halves, each made by its own members at once, with one tag -----------------------------------------------

const mine = rank % 2 === 0 ? evens : odds;
const half = await world.Create_group(mine, 1);
await exercise(half, mine.members as number[], "Create_group of a half");
made.push(half);

// --- all ranks, in reverse order, with tag TAG_UB ----------------------------------------------------------------

const backwards = await world.Create_group(reversed, TAG_UB);
await exercise(backwards, [...all].reverse(), "Create_group of the reversed world");
made.push(backwards);

// --- the members make theirs while the others talk among themselves; a non-member gets COMM_NULL ---------------

{
  const withoutZero = worldGroup.Range_excl([[0, 0, 1]]);
  if (rank === 0) {
    same(await world.Create_group(withoutZero, 2) === MPI.COMM_NULL, true, "a non-member gets COMM_NULL");
    // Rank 0's own traffic on the world, with ANY_TAG, must not meet the members' agreement.
    await world.send("to myself", 0, 5);
    same(await world.recv(MPI.ANY_SOURCE, MPI.ANY_TAG), "to myself", "rank 0's own message");
  } else {
    const rest = await world.Create_group(withoutZero, 2);
    await exercise(rest, all.slice(1), "Create_group without rank 0");
    made.push(rest);
  }
  // Every rank, members or not, is still on the world's collective sequence.
  same(await world.allgather(rank), all, "a world collective after Create_group");
}

// --- from a derived communicator: its even ranks, by Range_incl on its group -------------------------------------

{
  const parity = await world.Split(rank % 2, rank);
  const group = parity.Get_group().Range_incl([[0, parity.size - 1, 2]]);
  if (group.rank !== MPI.UNDEFINED) {
    const sub = await parity.Create_group(group, 0);
    await exercise(sub, group.members as number[], "Create_group of a split");
    made.push(sub);
  }
  made.push(parity);
}

// --- one after another on overlapping groups with one tag: {0, 1}, then {2, 1} -----------------------------------

if (size >= 3 && rank <= 2) {
  const first = worldGroup.Incl([0, 1]);
  const second = worldGroup.Incl([2, 1]);
  if (rank === 2) {
    // Rank 2 starts at once, with a higher proposal: rank 1 must not take its message for rank 0's.
    made.push(await world.Create_group(worldGroup.Incl([2]), 0));
    const pair = await world.Create_group(second, 0);
    await exercise(pair, [2, 1], "the second pair");
    made.push(pair);
  } else if (rank === 0) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const pair = await world.Create_group(first, 0);
    await exercise(pair, [0, 1], "the first pair");
    made.push(pair);
  } else {
    const [one, two] = await Promise.all([world.Create_group(first, 0), world.Create_group(second, 0)]);
    await Promise.all([exercise(one, [0, 1], "the first pair"), exercise(two, [2, 1], "the second pair")]);
    made.push(one, two);
  }
}

const contexts = [world, ...made].map((comm) => comm.contexts.p2p);
same(new Set(contexts).size, contexts.length, "no two communicators of this rank share a context");

// --- errors, before anything is sent ---------------------------------------------------------------------------------

if (size > 1) {
  const halfGroup = rank % 2 === 0 ? odds : evens;
  await failsWith(
    () => half.Create_group(halfGroup),
    ErrorCode.ERR_GROUP,
    new RegExp(
      `^rank ${rank}: Create_group: the group holds world rank ${
        halfGroup.members[0]
      }, which is not in Create_group\\(COMM_WORLD\\)$`,
    ),
    "Create_group with a group from outside the communicator",
  );
}
await failsWith(
  () => world.Create_group(all as never),
  ErrorCode.ERR_GROUP,
  new RegExp(`^rank ${rank}: Create_group: group is not a Group, got an array$`),
  "Create_group with a list of ranks",
);
await failsWith(
  () => world.Create_group(worldGroup, TAG_UB + 1),
  ErrorCode.ERR_TAG,
  new RegExp(`^rank ${rank}: Create_group: tag ${TAG_UB + 1} is not in 0..${TAG_UB}$`),
  "Create_group with a tag past TAG_UB",
);
await failsWith(
  () => world.Create_group(worldGroup, MPI.ANY_TAG),
  ErrorCode.ERR_TAG,
  new RegExp(`^rank ${rank}: Create_group: tag -1 is not in`),
  "Create_group with ANY_TAG",
);
await failsWith(
  () => worldGroup.Range_incl([[0, size - 1, 0]]),
  ErrorCode.ERR_ARG,
  new RegExp(`^rank ${rank}: Group\\.Range_incl: ranges\\[0\\] = \\[0, ${size - 1}, 0\\] has a stride of 0$`),
  "a stride of 0",
);
await failsWith(
  () => worldGroup.Range_excl([[0, size, 1]]),
  ErrorCode.ERR_RANK,
  new RegExp(
    `^rank ${rank}: Group\\.Range_excl: ranges\\[0\\] = \\[0, ${size}, 1\\] spans rank ${size}, out of range for a group of size ${size}$`,
  ),
  "a range past the end",
);
await failsWith(
  () => worldGroup.Range_incl([[0, size - 1, 1], [size - 1, size - 1, 1]]),
  ErrorCode.ERR_RANK,
  new RegExp(`^rank ${rank}: Group\\.Range_incl: rank ${size - 1} appears more than once in ranges`),
  "a rank spanned twice",
);

// The world still works: every rank makes one more, together.
const last = await world.Create_group(worldGroup);
await exercise(last, all, "Create_group of the world after the errors");

console.log(`comm_create_group ok on rank ${rank} of ${size}`);
