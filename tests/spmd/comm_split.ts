/**
 * SPMD check of communicators: Dup, Split (keys, UNDEFINED, a split of a split), Split_type, Create from Incl
 * and Excl, groups, Compare; collectives and point-to-point on every derived communicator; traffic on a
 * communicator and its dup with identical tags, in flight at once, never crossing; communicators created
 * back to back and concurrently on disjoint sub-communicators. Throws on the first mismatch; every rank
 * prints `comm_split ok on rank R of N`.
 *
 * ```sh
 * mpirun-deno -n 5 tests/spmd/comm_split.ts
 * ```
 *
 * @module
 */

import {
  ANY_SOURCE,
  ANY_TAG,
  type Comm,
  COMM_TYPE_SHARED,
  CONGRUENT,
  IDENT,
  MPI,
  SIMILAR,
  UNDEFINED,
  UNEQUAL,
} from "../../mod.ts";
import { exercise, same } from "./_check.ts";

const world = MPI.COMM_WORLD;
const { rank, size } = world;
const all = Array.from({ length: size }, (_, r) => r);

/** The world ranks with `pick(r)` true, in world order. */
const where = (pick: (r: number) => boolean) => all.filter(pick);

// --- Dup: same ranks, own context; traffic with identical tags never crosses --------------------------------

const dup = await world.Dup();
same(world.Compare(dup), CONGRUENT, "world vs dup");
same(dup.Compare(dup), IDENT, "dup vs itself");
same(dup.Get_name(), "Dup(COMM_WORLD)", "default name of a dup");
dup.Set_name("my dup");
same(dup.name, "my dup", "Set_name");
await exercise(dup, all, "dup");
{
  const right = (rank + 1) % size;
  const left = (rank + size - 1) % size;
  // Receives posted first on the dup, with wildcards, must not take the world's messages of the same tag.
  const onDup = dup.irecv(ANY_SOURCE, ANY_TAG);
  const onDupBuffer = new Int32Array(1);
  const onDupRaw = dup.Irecv(onDupBuffer, left, 3);
  await world.send(`world ${rank}`, right, 3);
  await world.Send(Int32Array.of(100 + rank), right, 3);
  same(await world.recv(left, 3), `world ${left}`, "world message on world");
  const worldBuffer = new Int32Array(1);
  await world.Recv(worldBuffer, left, 3);
  same(worldBuffer[0], 100 + left, "world buffer on world");
  same(await onDup.test(), [false, undefined], "dup receive untouched by world traffic");
  same((await onDupRaw.test())[0], false, "dup buffer receive untouched by world traffic");
  await world.barrier();
  await dup.send(`dup ${rank}`, right, 3);
  await dup.Send(Int32Array.of(rank * 10), right, 3);
  same(await onDup, `dup ${left}`, "dup message on dup");
  await onDupRaw;
  same(onDupBuffer[0], left * 10, "dup buffer on dup");
}
{
  // Collectives and point-to-point on the world and the dup, all in flight at once.
  const right = (rank + 1) % size;
  const left = (rank + size - 1) % size;
  const results = await Promise.all([
    world.ibcast(rank === 0 ? "world bcast" : null, 0),
    dup.ibcast(rank === size - 1 ? "dup bcast" : null, size - 1),
    world.iallreduce(1),
    dup.iallreduce(10),
    world.irecv(left, 0),
    dup.irecv(left, 0),
    world.isend(["world", rank], right, 0),
    dup.isend(["dup", rank], right, 0),
    world.iallgather(rank),
    dup.iallgather(-rank),
    dup.ibarrier(),
    world.ibarrier(),
  ]);
  same(
    results.slice(0, 6),
    ["world bcast", "dup bcast", size, 10 * size, ["world", left], ["dup", left]],
    "in flight",
  );
  same(results[8], all, "world allgather in flight");
  same(results[9], all.map((r) => -r), "dup allgather in flight");
}

// --- Split: key ordering, ties by parent rank, UNDEFINED ------------------------------------------------------

const reversed = await world.Split(0, size - rank);
same(reversed.rank, size - 1 - rank, "key reverses the order");
same(world.Compare(reversed), size === 1 ? CONGRUENT : SIMILAR, "world vs reversed");
await exercise(reversed, [...all].reverse(), "reversed");

// Keys 0 0 1 1 0 ... tie within a key: parent rank order decides.
const tied = await world.split({ color: 7, key: rank % 3 === 2 ? 0 : 1 });
await exercise(tied, [...where((r) => r % 3 === 2), ...where((r) => r % 3 !== 2)], "tied keys");

const parity = await world.Split(rank % 2, rank);
await exercise(parity, where((r) => r % 2 === rank % 2), "parity");
same(world.Compare(parity), size === 1 ? CONGRUENT : UNEQUAL, "world vs parity");

// Rank 0 wants no communicator.
const withoutZero = await world.Split(rank === 0 ? UNDEFINED : 1);
if (rank === 0) same(withoutZero === MPI.COMM_NULL, true, "UNDEFINED gives COMM_NULL");
else await exercise(withoutZero, where((r) => r !== 0), "without rank 0");
const nobody = await world.Split(UNDEFINED);
same(nobody === MPI.COMM_NULL, true, "UNDEFINED everywhere");

// --- Nested: a split of a split, and a dup of it ----------------------------------------------------------------

// Parity halves, then within each half the first two and the rest, keyed in reverse.
const parityMembers = where((r) => r % 2 === rank % 2);
const inner = await parity.Split(parity.rank < 2 ? 0 : 1, -parity.rank);
const innerMembers = parityMembers.filter((_, i) => (i < 2) === (parity.rank < 2)).reverse();
await exercise(inner, innerMembers, "split of a split");
const innerDup = await inner.Dup();
await exercise(innerDup, innerMembers, "dup of a split of a split");
same(inner.Compare(innerDup), CONGRUENT, "inner vs its dup");

// --- Split_type: the ranks of this host ---------------------------------------------------------------------

const hosts = await world.allgather(MPI.Get_processor_name());
const node = await world.Split_type(COMM_TYPE_SHARED);
await exercise(node, where((r) => hosts[r] === hosts[rank]), "Split_type");
same(node.size, MPI.Get_local_size(), "Split_type size is the local size");
same(node.rank, MPI.Get_local_rank(), "Split_type rank is the local rank");
same(await world.Split_type(UNDEFINED) === MPI.COMM_NULL, true, "Split_type UNDEFINED");

// --- Groups and Create -------------------------------------------------------------------------------------

const worldGroup = world.Get_group();
same([worldGroup.size, worldGroup.rank], [size, rank], "world group");
const evenRanks = where((r) => r % 2 === 0);
const evenGroup = worldGroup.Incl(evenRanks);
const oddGroup = worldGroup.Excl(evenRanks);
// Evens then odds: the world order up to 2 ranks, another order from 3.
same(evenGroup.Union(oddGroup).Compare(worldGroup), size <= 2 ? IDENT : SIMILAR, "union");
same(evenGroup.Intersection(oddGroup).size, 0, "intersection");
same(
  worldGroup.Translate_ranks(all, evenGroup),
  all.map((r) => r % 2 === 0 ? r / 2 : UNDEFINED),
  "translate",
);
same(parity.Get_group().Translate_ranks([0], worldGroup), [rank % 2], "translate to world");

const evens = await world.Create(evenGroup);
if (rank % 2 === 0) await exercise(evens, evenRanks, "Create(Incl)");
else same(evens === MPI.COMM_NULL, true, "Create: odd ranks get COMM_NULL");
const odds = await world.create(oddGroup);
if (rank % 2 === 1) await exercise(odds, where((r) => r % 2 === 1), "Create(Excl)");
else same(odds === MPI.COMM_NULL, true, "Create: even ranks get COMM_NULL");
// A group in reversed order ranks the new communicator in that order; created from a derived communicator.
const backwards = await dup.Create(dup.Get_group().Incl([...all].reverse()));
await exercise(backwards, [...all].reverse(), "Create(reversed group) from a dup");
const empty = await world.Create(MPI.GROUP_EMPTY);
same(empty === MPI.COMM_NULL, true, "Create(GROUP_EMPTY)");

// --- Back to back, without waiting, and concurrently on disjoint sub-communicators ------------------------------

const backToBack = await Promise.all([world.Dup(), world.Split(rank % 3, -rank), world.Dup(), dup.Dup()]);
await Promise.all([
  exercise(backToBack[0], all, "back-to-back dup 1"),
  exercise(backToBack[1], where((r) => r % 3 === rank % 3).reverse(), "back-to-back split"),
  exercise(backToBack[2], all, "back-to-back dup 2"),
  exercise(backToBack[3], all, "back-to-back dup of dup"),
]);
{
  // The parity halves make different numbers of communicators at once, then the world makes one more.
  const made: Promise<Comm>[] = [];
  for (let i = 0; i < (rank % 2 === 0 ? 3 : 1); i++) made.push(parity.Dup());
  made.push(parity.Split(0, -parity.rank));
  made.push(world.Dup());
  const comms = await Promise.all(made);
  await Promise.all(
    comms.map((comm, i) =>
      i === comms.length - 1
        ? exercise(comm, all, "world dup after the halves")
        : i === comms.length - 2
        ? exercise(comm, [...parityMembers].reverse(), "reversed half")
        : exercise(comm, parityMembers, `half dup ${i}`)
    ),
  );
  const contexts = [...comms, world, dup, parity, inner].map((comm) => comm.contexts.p2p);
  same(new Set(contexts).size, contexts.length, "no two communicators of this rank share a context");
}

// --- Free: the rest keep working ----------------------------------------------------------------------------------

innerDup.Free();
await exercise(inner, innerMembers, "a split after its dup was freed");
dup.free();
await exercise(world, all, "the world after its dup was freed");

console.log(`comm_split ok on rank ${rank} of ${size}`);
