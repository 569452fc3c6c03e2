/**
 * What the public types accept, refuse and infer, checked by `deno check` (see tests/types_test.ts): every
 * `@ts-expect-error` line must be an error (an unused one fails the check), and every `Equal` must hold.
 * Nothing here runs.
 */

import { MPI } from "mpirun-deno";
import type { BufferArg, InPlace, Request, VBufferArg } from "mpirun-deno";

/** `true` exactly when `A` and `B` are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
function expectType<A, B>(_proof: Equal<A, B>): void {}

export async function inferred(comm: typeof MPI.COMM_WORLD): Promise<void> {
  // Generics flow from a type argument or from the value.
  const received = await comm.recv<{ x: number }>(0);
  expectType<typeof received, { x: number }>(true);
  const pending = comm.irecv<string>(0);
  expectType<typeof pending, Request<string>>(true);
  expectType<Awaited<typeof pending>, string>(true);
  const sent = comm.isend({ x: 1 }, 1);
  expectType<typeof sent, Request<void>>(true);

  // waitall on a tuple keeps the tuple; on an array it gives an array.
  const both = await MPI.Request.waitall([sent, pending]);
  expectType<typeof both, [void, string]>(true);
  const many = await MPI.Request.waitall([1, 2].map((dest) => comm.irecv<number>(dest)));
  expectType<typeof many, number[]>(true);

  // Collectives on values keep the value's type.
  expectType<Awaited<ReturnType<typeof comm.allreduce<number>>>, number>(true);
  const gathered = await comm.gather(comm.rank, 0);
  expectType<typeof gathered, number[] | null>(true);
  const all = await comm.allgather("a");
  expectType<typeof all, string[]>(true);
  const mine = await comm.scatter(comm.rank === 0 ? [1, 2, 3] : null, 0);
  expectType<typeof mine, number>(true);
  const swapped = await comm.alltoall([true, false]);
  expectType<typeof swapped, boolean[]>(true);
  const shared = await comm.bcast({ n: 1 }, 0);
  expectType<typeof shared, { n: number }>(true);

  // Buffer arguments.
  expectType<typeof MPI.IN_PLACE, InPlace>(true);
  const buffer: BufferArg = [new Float64Array(4), 2];
  const counted: VBufferArg = [new Int32Array(6), [1, 2, 3], [0, 1, 3]];
  await comm.Allreduce(MPI.IN_PLACE, buffer, MPI.SUM);
  await comm.Allgatherv(MPI.IN_PLACE, counted);
}

export async function refused(comm: typeof MPI.COMM_WORLD): Promise<void> {
  // @ts-expect-error: a plain array is a value, not a buffer (use send)
  await comm.Send([1, 2, 3], 1);
  // @ts-expect-error: a string is not a buffer
  await comm.Recv("buffer", 0);
  // @ts-expect-error: IN_PLACE is never a receive buffer
  await comm.Allreduce(new Float64Array(1), MPI.IN_PLACE);
  // @ts-expect-error: a buffer's count is a number
  await comm.Bcast([new Uint8Array(4), "4"], 0);
  // @ts-expect-error: an op is an Op or a function, not its name
  await comm.allreduce(1, "sum");
  // @ts-expect-error: scatter takes one item per rank, in an array
  await comm.scatter("abc", 0);
  // @ts-expect-error: a destination is a rank number
  await comm.send(1, "1");
  const text: string = await comm.recv<string>(0);
  // @ts-expect-error: the received type flows
  const wrong: number = await comm.recv<string>(0);
  const [, value] = await MPI.Request.waitall([comm.isend(1, 1), comm.irecv<number>(0)]);
  // @ts-expect-error: the tuple keeps each element's type
  const notText: string = value;
  console.log(text, wrong, notText);
}
