/**
 * How far a rank started by `srun mpirun-deno script.ts` got in joining its step, told to the `mpirun-deno`
 * task that started it through a file that task names in `MPIRUN_DENO_JOIN_FILE`: a few bytes written twice
 * at most, readable after the rank is gone, on Deno, Bun and the compiled binary alike. The task reads it
 * when the rank exits: a rank that failed before it {@linkcode JoinStage joined} left the others waiting
 * for it, and the task then ends the step in its place (`SlurmBootstrap.standIn`).
 *
 * @module
 */

import { EnvName, readEnv } from "../env.ts";
import { writeFileQuietly } from "../runtime/host.ts";

/**
 * How far a rank got: `reached` (it proved the job token to rank 0's rendezvous, which was then up) and
 * `joined` (it knows the world, or that the step is ending: either way the step takes care of its end).
 * No stage at all: it never reached rank 0.
 */
export type JoinStage = "reached" | "joined";

/** The stages in the order a rank goes through them. */
export const JOIN_STAGES: readonly JoinStage[] = ["reached", "joined"];

/**
 * Records that this rank got to `stage`, for the task that started it; nothing where no task asked
 * (`MPIRUN_DENO_JOIN_FILE` unset: plain `srun deno run script.ts`).
 *
 * @example
 * ```ts
 * import { reportJoinStage } from "./join_progress.ts";
 * reportJoinStage("joined"); // a no-op here: no MPIRUN_DENO_JOIN_FILE
 * ```
 */
export function reportJoinStage(stage: JoinStage): void {
  const file = readEnv(EnvName.JOIN_FILE);
  if (file !== undefined) writeFileQuietly(file, stage);
}

/**
 * The stage that a file written by {@linkcode reportJoinStage} records, or `undefined` for anything else
 * (an empty file: the rank never reached rank 0).
 *
 * @example
 * ```ts
 * import { parseJoinStage } from "./join_progress.ts";
 * console.log(parseJoinStage("reached")); // "reached"
 * console.log(parseJoinStage("")); // undefined
 * ```
 */
export function parseJoinStage(text: string): JoinStage | undefined {
  return JOIN_STAGES.find((stage) => stage === text.trim());
}
