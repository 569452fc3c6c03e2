/**
 * COMM_WORLD of `size` ranks inside one process, on the memory mesh: one `Comm` per rank, each with a job of
 * its own (engine, context ids, host table), as each rank process would have. For tests of communicator
 * creation that need no sockets.
 */

import { Activities } from "../../lib/comm/activity.ts";
import { Comm, type Job } from "../../lib/comm/comm.ts";
import { ContextIds, FIRST_FREE_CONTEXT, WORLD_CONTEXTS } from "../../lib/comm/context.ts";
import { memoryEngines } from "../_helpers/memory_mesh.ts";

/** One COMM_WORLD per rank; `hostnames` (by world rank) defaults to one host for all. */
export function memoryWorld(size: number, hostnames?: readonly string[]): Comm[] {
  const { engines } = memoryEngines(size);
  const hosts = hostnames ?? new Array<string>(size).fill("localhost");
  const members = Array.from({ length: size }, (_, rank) => rank);
  return engines.map((engine, rank) => {
    const job: Job = {
      engine,
      activities: new Activities(),
      abort: () => Promise.reject(new Error("abort is not available in memory")),
      hostnames: hosts,
      contextIds: new ContextIds(FIRST_FREE_CONTEXT),
    };
    return new Comm(job, members, rank, WORLD_CONTEXTS, "COMM_WORLD");
  });
}

/** Runs `body` on every rank at once (SPMD in one process) and returns each rank's result. */
export function everyRank<T>(world: Comm[], body: (comm: Comm, rank: number) => Promise<T>): Promise<T[]> {
  return Promise.all(world.map((comm, rank) => body(comm, rank)));
}
