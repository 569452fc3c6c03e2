/**
 * SPMD check of the collectives' errors: each is caught on the rank that makes it, with the right code and a
 * message naming the call, the argument and the sizes, and the job goes on (a call that fails its argument
 * checks takes no sequence number, and size errors on receipt are raised after the rank has forwarded what
 * others need). Every rank prints `cco_errors ok on rank R of N`.
 *
 * @module
 */

import process from "node:process";
import { ErrorCode, IN_PLACE, MPI } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const last = size - 1;

// --- argument errors every rank sees alike ---------------------------------------------------------------------

await failsWith(
  () => comm.bcast(1, size),
  ErrorCode.ERR_ROOT,
  new RegExp(`bcast: root ${size} is out of range for a communicator of size ${size}`),
  "bcast to a root past the end",
);
await failsWith(
  () => comm.Reduce(new Float64Array(1), null, MPI.SUM, -1),
  ErrorCode.ERR_ROOT,
  /Reduce: root -1/,
  "Reduce to root -1",
);
await failsWith(
  () => comm.gather(1, { root: 0.5 }),
  ErrorCode.ERR_ROOT,
  /gather: root 0.5/,
  "gather to root 0.5",
);
await failsWith(
  () => comm.alltoall(Array.from({ length: size + 1 }, (_, i) => i)),
  ErrorCode.ERR_COUNT,
  new RegExp(`alltoall: sendobj has ${size + 1} items, but the communicator has ${size} ranks`),
  "alltoall with one item too many",
);
await failsWith(
  () => comm.Allreduce(new Float64Array(2), new Float64Array(2), MPI.BAND),
  ErrorCode.ERR_OP,
  /Allreduce: BAND is not defined on Float64Array/,
  "BAND on floats",
);
await failsWith(
  () => comm.allreduce(1, "SUM" as never),
  ErrorCode.ERR_OP,
  /allreduce: op must be an Op/,
  "op by name",
);
await failsWith(
  () => comm.Allreduce(new ArrayBuffer(8), new Float64Array(1)),
  ErrorCode.ERR_TYPE,
  /Allreduce: sendbuf must be a typed array for a reduction/,
  "reduce an ArrayBuffer",
);
await failsWith(
  () => comm.Allreduce(new Float64Array(3), new Float64Array(2)),
  ErrorCode.ERR_TRUNCATE,
  /Allreduce: sendbuf has 24 bytes, but recvbuf holds 16 bytes/,
  "Allreduce into a short recvbuf",
);
if (size > 1) {
  await failsWith(
    () => comm.Allgather(new Int32Array(2), new Int32Array(2 * size + 1)),
    ErrorCode.ERR_COUNT,
    new RegExp(
      `Allgather: recvbuf has ${2 * size + 1} elements, not a multiple of the communicator size ${size}`,
    ),
    "Allgather into an uneven recvbuf",
  );
}
await failsWith(
  () => comm.bcast(1, { root: 0, tag: 3 } as never),
  ErrorCode.ERR_ARG,
  /bcast: unknown option "tag"/,
  "bcast with an unknown option",
);

// --- argument errors only the root sees (the others do not make the call) --------------------------------------

if (rank === 0) {
  await failsWith(
    () => comm.scatter(Array.from({ length: size + 1 }, (_, i) => i), 0),
    ErrorCode.ERR_COUNT,
    new RegExp(`scatter: sendobj has ${size + 1} items, but the communicator has ${size} ranks`),
    "scatter with one item too many",
  );
  await failsWith(
    // @ts-expect-error: the types refuse a string too; the check at run time is for untyped callers
    () => comm.scatter("abc", 0),
    ErrorCode.ERR_TYPE,
    /scatter: sendobj must be an array/,
    "scatter a string",
  );
  await failsWith(
    () => comm.bcast(() => 1, 0),
    ErrorCode.ERR_TYPE,
    /bcast: .*is a function/,
    "bcast a function",
  );
  await failsWith(
    () => comm.Scatter(new Float64Array(size * 2), new Float64Array(3), 0),
    ErrorCode.ERR_COUNT,
    new RegExp(`Scatter: each of the ${size} blocks of sendbuf has 16 bytes, but recvbuf holds 24 bytes`),
    "Scatter into a recvbuf that does not fit the blocks",
  );
  await failsWith(
    () => comm.Scatterv([new Float64Array(size + 1), new Array(size + 1).fill(1)], new Float64Array(1), 0),
    ErrorCode.ERR_COUNT,
    new RegExp(`Scatterv: sendbuf counts has ${size + 1} entries, expected one per rank \\(${size}\\)`),
    "Scatterv with a count too many",
  );
  await failsWith(
    () => comm.Scatterv([new Float64Array(2), new Array(size).fill(3)], new Float64Array(3), 0),
    ErrorCode.ERR_COUNT,
    /Scatterv: the block of rank 0 in sendbuf \(displacement 0, count 3\) ends past the 2 elements of the buffer/,
    "Scatterv with blocks past the end of sendbuf",
  );
  await failsWith(
    () => comm.Reduce(new Float64Array(2), new Int32Array(2), MPI.SUM, 0),
    ErrorCode.ERR_TYPE,
    /Reduce: sendbuf and recvbuf must have the same element type, got Float64Array and Int32Array/,
    "Reduce across element types",
  );
  await failsWith(
    () => comm.Gather(new Int8Array(3), new Int8Array(2 * size), 0),
    ErrorCode.ERR_TRUNCATE,
    /Gather: sendbuf has 3 bytes, but each of the \d+ blocks of recvbuf holds 2 bytes/,
    "Gather a sendbuf larger than the root's blocks",
  );
}

// --- size errors on receipt: the rank that does not fit fails, the others complete ------------------------------

{
  // The last rank's buf is too short, the one before it (if any, and not the root) too long.
  const length = rank === last && size > 1 ? 2 : rank === last - 1 && rank > 0 ? 6 : 4;
  const buf = rank === 0 ? Float64Array.of(1, 2, 3, 4) : new Float64Array(length);
  const run = () => comm.Bcast(buf, 0);
  if (length === 2) {
    await failsWith(
      run,
      ErrorCode.ERR_TRUNCATE,
      /Bcast: root 0 sent 32 bytes, more than the 16 bytes of buf/,
      "Bcast into a short buf",
    );
  } else if (length === 6) {
    await failsWith(
      run,
      ErrorCode.ERR_COUNT,
      /Bcast: root 0 sent 32 bytes, but buf holds 48 bytes/,
      "Bcast into a long buf",
    );
  } else {
    await run();
    same([...buf], [1, 2, 3, 4], "Bcast reaches every rank whose buf fits");
  }
}
{
  const mine = new Int32Array(rank === last && size > 1 ? 1 : 2);
  const run = () => comm.Scatter(rank === 0 ? new Int32Array(2 * size).fill(9) : null, mine, 0);
  if (mine.length === 1) {
    await failsWith(
      run,
      ErrorCode.ERR_TRUNCATE,
      /Scatter: root 0 sent 8 bytes, more than the 4 bytes of recvbuf/,
      "Scatter into a short recvbuf",
    );
  } else {
    await run();
    same([...mine], [9, 9], "Scatter reaches every rank whose recvbuf fits");
  }
}
{
  // Rank 1 sends a longer block than the root's recvbuf holds: the root names rank 1.
  const block = new Float64Array(rank === 1 ? 3 : 2).fill(rank);
  const all = rank === 0 ? new Float64Array(2 * size) : null;
  const run = () => comm.Gather(block, all, 0);
  if (rank === 0 && size > 1) {
    await failsWith(
      run,
      ErrorCode.ERR_TRUNCATE,
      /Gather: rank 1 sent 24 bytes, more than the 16 bytes of its block of recvbuf/,
      "Gather of an oversized block",
    );
  } else {
    await run();
  }
}
if (size === 2) {
  // A value collective against a buffer collective: the receiver says so. In shared memory (the default for
  // ranks of one host) every rank sees the other's call, so the root fails alike.
  if (rank === 0) {
    const shared = (process.env.MPIRUN_DENO_TRANSPORT ?? "auto") === "auto";
    if (!shared) await comm.bcast("value", 0);
    else {
      await failsWith(
        () => comm.bcast("value", 0),
        ErrorCode.ERR_TYPE,
        /bcast: rank 1 is in a buffer collective while this rank called a value collective/,
        "bcast against Bcast",
      );
    }
  } else {
    await failsWith(
      () => comm.Bcast(new Uint8Array(5), 0),
      ErrorCode.ERR_TYPE,
      /Bcast: rank 0 is in a value collective while this rank called a buffer collective/,
      "Bcast against bcast",
    );
  }
}

// --- the sequence still agrees on every rank -------------------------------------------------------------------

same(await comm.allreduce(1), size, "collectives still match after the errors");
const inPlace = new Float64Array(size).fill(rank);
await comm.Allgather(IN_PLACE, inPlace);
same([...inPlace], Array.from({ length: size }, (_, r) => r), "Allgather IN_PLACE after the errors");

console.log(`cco_errors ok on rank ${rank} of ${size}`);
