/**
 * Shared-memory names a rank left behind. A rank removes the name of each region it makes as soon as the
 * other ranks have mapped it, but one killed by a signal in between (the job ends while a communicator's
 * first collective sets its region up) cannot: whoever started the rank (the launcher, its agent on another
 * host, the task under `srun`) removes them once the rank has exited. The names begin with the rank's pid
 * (see `transport/shared_memory.ts`), so only that rank's go. Where nobody was left to do it (the launcher
 * itself was killed with SIGKILL, and its ranks with it), the next job on the host does: a name whose creator
 * has exited is garbage.
 *
 * @module
 */

import * as fs from "node:fs";
import process from "node:process";
import { regionCreator, regionPrefix, SHM_DIRECTORY } from "../transport/shared_memory.ts";

/** The names under `/dev/shm`, or none where there is no such folder. */
function shmNames(): string[] {
  try {
    return fs.readdirSync(SHM_DIRECTORY);
  } catch {
    return [];
  }
}

/** Removes the names given; returns those that went (another user's stay: the folder is sticky). */
function removeNames(names: readonly string[]): string[] {
  return names.filter((name) => {
    try {
      fs.unlinkSync(`${SHM_DIRECTORY}/${name}`);
      return true;
    } catch {
      return false; // gone already, or not ours to remove
    }
  });
}

/** Has process `pid` exited (gone, or a zombie not reaped yet), not merely belonging to another user? */
function exited(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as { code?: string }).code === "ESRCH";
  }
  try {
    return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * Removes every region name that the exited process `pid` made and did not remove; returns those names. Does
 * nothing where there is no `/dev/shm` or no pid (a rank that never started).
 *
 * @example
 * ```ts ignore
 * child.on("exit", () => removeLeftoverRegions(child.pid));
 * ```
 */
export function removeLeftoverRegions(pid: number | undefined): string[] {
  if (pid === undefined) return [];
  const prefix = regionPrefix(pid);
  return removeNames(shmNames().filter((name) => name.startsWith(prefix)));
}

/**
 * Removes every region name whose creator has exited (a job that ended with its launcher killed by SIGKILL);
 * returns those names. Names of live processes stay: they may be a running job's.
 *
 * @example
 * ```ts ignore
 * removeOrphanRegions(); // before this job's ranks start
 * ```
 */
export function removeOrphanRegions(): string[] {
  return removeNames(
    shmNames().filter((name) => {
      const creator = regionCreator(name);
      return creator !== undefined && exited(creator);
    }),
  );
}
