/**
 * Every error of communicators and groups, at the caller, with a message naming the rank, the call and the
 * communicator or argument: calls on a freed communicator and on COMM_NULL (ERR_COMM), ranks outside a group
 * or a derived communicator (ERR_RANK), groups that do not fit (ERR_GROUP), bad colours, keys and split types
 * (ERR_ARG). After all of them the communicators still work. Every rank prints
 * `comm_errors ok on rank R of N`.
 *
 * @module
 */

import { type Comm, COMM_TYPE_SHARED, ErrorCode, MPI, UNDEFINED } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const world = MPI.COMM_WORLD;
const { rank, size } = world;

/** Every kind of call on a communicator that may no longer be used, each expected to fail with `message`. */
async function everyCallFails(comm: Comm, message: (call: string) => RegExp, what: string): Promise<void> {
  const calls: [string, () => unknown][] = [
    ["rank", () => comm.rank],
    ["size", () => comm.size],
    ["Get_rank", () => comm.Get_rank()],
    ["Get_size", () => comm.Get_size()],
    ["Get_name", () => comm.Get_name()],
    ["Set_name", () => comm.Set_name("x")],
    ["Get_group", () => comm.Get_group()],
    ["Get_group", () => comm.group],
    ["Free", () => comm.Free()],
    ["Compare", () => comm.Compare(world)],
    ["Compare", () => world.Compare(comm)],
    ["send", () => comm.send(1, 0)],
    ["ssend", () => comm.ssend(1, 0)],
    ["isend", () => comm.isend(1, 0)],
    ["recv", () => comm.recv(0)],
    ["irecv", () => comm.irecv()],
    ["sendrecv", () => comm.sendrecv(1, 0)],
    ["probe", () => comm.probe()],
    ["iprobe", () => comm.iprobe()],
    ["Send", () => comm.Send(new Int32Array(1), 0)],
    ["Recv", () => comm.Recv(new Int32Array(1), 0)],
    ["Irecv", () => comm.Irecv(new Int32Array(1))],
    ["Sendrecv", () => comm.Sendrecv(new Int32Array(1), 0, 0, new Int32Array(1))],
    ["barrier", () => comm.barrier()],
    ["bcast", () => comm.bcast(1)],
    ["bcast", () => comm.ibcast(1)], // the non-blocking collectives report the blocking call they start
    ["allreduce", () => comm.allreduce(1)],
    ["allgather", () => comm.allgather(1)],
    ["Allreduce", () => comm.Allreduce(new Int32Array(1), new Int32Array(1))],
    ["Bcast", () => comm.Bcast(new Int32Array(1))],
    ["Dup", () => comm.Dup()],
    ["Dup", () => comm.dup()],
    ["Split", () => comm.Split(0)],
    ["Split_type", () => comm.Split_type(COMM_TYPE_SHARED)],
    ["Create", () => comm.Create(world.Get_group())],
    ["Abort", () => comm.Abort(3)],
  ];
  for (const [call, run] of calls) {
    await failsWith(run, ErrorCode.ERR_COMM, message(call), `${what}: ${call}`);
  }
}

// --- A freed communicator: every call fails, naming the communicator; calls made before complete -------------

const dup = await world.Dup();
dup.Set_name("work");
const right = (rank + 1) % size;
const left = (rank + size - 1) % size;
const pending = dup.irecv(left, 5);
await dup.send("before Free", right, 5);
dup.Free();
same(await pending, "before Free", "a receive posted before Free completes");
await everyCallFails(
  dup,
  (call) => new RegExp(`^rank ${rank}: ${call}: communicator work has been freed$`),
  "freed dup",
);

const split = await world.Split(rank % 2);
split.Free();
await everyCallFails(
  split,
  (call) =>
    new RegExp(
      `^rank ${rank}: ${call}: communicator Split\\(COMM_WORLD, color ${rank % 2}\\) has been freed$`,
    ),
  "freed split",
);

// --- COMM_NULL --------------------------------------------------------------------------------------------------

await everyCallFails(
  MPI.COMM_NULL,
  (call) => new RegExp(`^rank ${rank}: ${call}: the communicator is COMM_NULL$`),
  "COMM_NULL",
);
const none = await world.Split(UNDEFINED);
same(none === MPI.COMM_NULL, true, "Split(UNDEFINED) is COMM_NULL");
await failsWith(
  () => none.barrier(),
  ErrorCode.ERR_COMM,
  /barrier: the communicator is COMM_NULL/,
  "null split",
);

// --- Predefined communicators cannot be freed ---------------------------------------------------------------

await failsWith(
  () => world.Free(),
  ErrorCode.ERR_COMM,
  new RegExp(`^rank ${rank}: Free: COMM_WORLD is predefined and cannot be freed$`),
  "Free(COMM_WORLD)",
);
await failsWith(
  () => MPI.COMM_SELF.free(),
  ErrorCode.ERR_COMM,
  /Free: COMM_SELF is predefined/,
  "Free(COMM_SELF)",
);
await failsWith(
  () => world.Compare({} as Comm),
  ErrorCode.ERR_COMM,
  /Compare: comm is not a communicator/,
  "Compare({})",
);

// --- Ranks outside a group or a derived communicator ----------------------------------------------------------

const group = world.Get_group();
await failsWith(
  () => group.Incl([size]),
  ErrorCode.ERR_RANK,
  new RegExp(`^rank ${rank}: Group\\.Incl: rank ${size} is out of range for a group of size ${size}$`),
  "Incl outside the group",
);
await failsWith(
  () => group.Excl([-1]),
  ErrorCode.ERR_RANK,
  /Group\.Excl: rank -1 is out of range/,
  "Excl -1",
);
await failsWith(
  () => group.Incl([0, 0]),
  ErrorCode.ERR_RANK,
  /Group\.Incl: rank 0 appears more than once/,
  "Incl twice",
);
const first = group.Incl([0]);
await failsWith(
  () => first.Translate_ranks([1], group),
  ErrorCode.ERR_RANK,
  new RegExp(`^rank ${rank}: Group\\.Translate_ranks: rank 1 is out of range for a group of size 1$`),
  "Translate_ranks outside the group",
);
const half = await world.Split(rank % 2);
await failsWith(
  () => half.send("x", half.size),
  ErrorCode.ERR_RANK,
  new RegExp(
    `^rank ${rank}: send: dest ${half.size} is out of range for a communicator of size ${half.size}$`,
  ),
  "send outside a split",
);
await failsWith(
  () => half.Recv(new Int32Array(1), half.size + 1),
  ErrorCode.ERR_RANK,
  /Recv: source \d+ is out of range for a communicator of size \d+/,
  "Recv outside a split",
);
await failsWith(
  () => half.bcast(1, half.size),
  ErrorCode.ERR_ROOT,
  new RegExp(`bcast: root ${half.size} is out of range for a communicator of size ${half.size}`),
  "bcast root outside a split",
);

// --- Groups that do not fit, bad colours, keys and split types ------------------------------------------------

if (size > 1) {
  // The world's group holds ranks that the half does not.
  await failsWith(
    () => half.Create(group),
    ErrorCode.ERR_GROUP,
    new RegExp(
      `^rank ${rank}: Create: the group holds world rank \\d, which is not in Split\\(COMM_WORLD, color ${
        rank % 2
      }\\)$`,
    ),
    "Create with a bigger group",
  );
}
await failsWith(
  () => world.Create([0] as never),
  ErrorCode.ERR_GROUP,
  /Create: group is not a Group, got an array/,
  "Create([0])",
);
await failsWith(
  () => world.Split(-3),
  ErrorCode.ERR_ARG,
  /^rank \d+: Split: color -3 is neither an integer from 0 nor UNDEFINED$/,
  "negative colour",
);
await failsWith(
  () => world.Split(0, 1.5),
  ErrorCode.ERR_ARG,
  /Split: key 1\.5 is not an integer/,
  "fractional key",
);
await failsWith(
  () => world.Split({ colour: 1 } as never),
  ErrorCode.ERR_ARG,
  /Split: unknown option "colour"/,
  "misspelt option",
);
await failsWith(
  () => world.Split_type(99),
  ErrorCode.ERR_ARG,
  /Split_type: split_type 99 is neither COMM_TYPE_SHARED nor UNDEFINED/,
  "unknown split type",
);

// --- Failed checks took no collective turn: everything still works ------------------------------------------

same(await world.allreduce(1), size, "world after the errors");
same(
  await half.allgather(rank),
  Array.from({ length: size }, (_, r) => r).filter((r) => r % 2 === rank % 2),
  "half",
);
const again = await world.Dup();
same(await again.allreduce(rank), (size * (size - 1)) / 2, "a dup after the errors");

console.log(`comm_errors ok on rank ${rank} of ${size}`);
