/** Assertions for SPMD scripts: a failure names the rank and throws, which fails the job. */

import assert from "node:assert/strict";
import type { SendOrder } from "../../lib/p2p/engine.ts";
import { type Comm, type ErrorCode, MPI } from "../../mod.ts";
import { assertRejectsMpiError } from "../_helpers/assert_mpi_error.ts";

/** Asserts deep equality, naming what was checked. */
export function same(actual: unknown, expected: unknown, what: string): void {
  assert.deepStrictEqual(actual, expected, `rank ${MPI.COMM_WORLD.rank}: ${what}`);
}

/** Asserts that `run` rejects (or throws) an MPIError with `code` whose message matches `message`. */
export async function failsWith(
  run: () => unknown,
  code: ErrorCode,
  message: RegExp,
  what: string,
): Promise<void> {
  await assertRejectsMpiError(run, code, message, `rank ${MPI.COMM_WORLD.rank}: ${what}`);
}

/**
 * Runs the collectives and a ring of point-to-point messages on `comm`, whose members must be the world
 * ranks `members` in rank order, and checks every result against what this rank computes alone.
 */
export async function exercise(comm: Comm, members: number[], what: string): Promise<void> {
  const n = members.length;
  const rank = MPI.COMM_WORLD.rank;
  same(comm.size, n, `${what}: size`);
  same(comm.rank, members.indexOf(rank), `${what}: rank`);
  same(comm.Get_group().members, members, `${what}: group`);
  await comm.barrier();
  same(await comm.allgather(rank), members, `${what}: allgather`);
  for (const root of new Set([0, n - 1])) {
    same(await comm.bcast(comm.rank === root ? { from: members[root], what } : null, root), {
      from: members[root],
      what,
    }, `${what}: bcast from ${root}`);
  }
  const sum = members.reduce((a, b) => a + b, 0);
  same(await comm.allreduce(rank), sum, `${what}: allreduce`);
  same(await comm.allreduce(rank, MPI.MAX), Math.max(...members), `${what}: allreduce MAX`);
  const total = new Float64Array(3);
  await comm.Allreduce(Float64Array.of(1, rank, rank * rank), total, MPI.SUM);
  same(total, Float64Array.of(n, sum, members.reduce((a, b) => a + b * b, 0)), `${what}: Allreduce`);
  same(await comm.gather(rank, 0), comm.rank === 0 ? members : null, `${what}: gather`);
  // A ring with the same tag on every communicator: each message must arrive on its own communicator.
  const right = (comm.rank + 1) % n;
  const left = (comm.rank + n - 1) % n;
  same(await comm.sendrecv([what, rank], right, 7, left, 7), [what, members[left]], `${what}: ring`);
}

/**
 * The world ranks this rank sends collective messages to on `comm` while `call` runs (counted around the
 * engine's `send`).
 */
export async function collectiveSends(comm: Comm, call: () => Promise<unknown>): Promise<number[]> {
  const engine = comm.job.engine;
  const send = engine.send;
  const sentTo: number[] = [];
  engine.send = (order: SendOrder) => {
    if (order.context === comm.contexts.collective) sentTo.push(order.peer);
    return send.call(engine, order);
  };
  try {
    await call();
  } finally {
    engine.send = send;
  }
  return sentTo;
}
