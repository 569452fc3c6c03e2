/**
 * The safety net for asynchronous code: when a rank's script is done, the calls it started and never saw
 * finish (an `irecv` nobody awaited, an `Isend` still in flight, a receive posted by a cancelled collective)
 * and the messages sent to it that nobody received. Either usually means a forgotten `await` or a missing
 * receive on this rank, and MPI would say nothing.
 *
 * @module
 */

import type { Job } from "./core.ts";

/** How many leftovers the warning names before it only counts the rest. */
const NAMED = 5;

/**
 * One warning line naming what `job` left unfinished, or `undefined` when nothing was: `rank 2 exited with an
 * unfinished irecv(source=1, tag=5) on COMM_WORLD, and 1 message nobody received (from rank 0, tag 7, 8
 * bytes)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * import { leftoversWarning } from "./leftovers.ts";
 * assert.equal(leftoversWarning(MPI.COMM_WORLD.job, 0), undefined);
 * ```
 */
export function leftoversWarning(job: Job, rank: number): string | undefined {
  const calls = job.activities.report(Date.now()).map((line) => line.replace(/ for \d+\.\d s$/, ""));
  const messages = job.engine.unreceived().map((message) =>
    `from rank ${message.peer}, tag ${message.tag}, ${message.size} bytes`
  );
  if (calls.length === 0 && messages.length === 0) return undefined;
  const parts: string[] = [];
  if (calls.length > 0) {
    parts.push(
      `${calls.length === 1 ? "an unfinished" : `${calls.length} unfinished calls:`} ${list(calls)}`,
    );
  }
  if (messages.length > 0) {
    const count = messages.length === 1 ? "1 message" : `${messages.length} messages`;
    parts.push(`${count} nobody received (${list(messages)})`);
  }
  return `rank ${rank} exited with ${parts.join(", and ")}`;
}

function list(items: string[]): string {
  const named = items.slice(0, NAMED).join("; ");
  return items.length > NAMED ? `${named}; and ${items.length - NAMED} more` : named;
}
