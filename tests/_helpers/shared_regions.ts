/**
 * What the tests can see of the shared-memory regions a process holds (`lib/transport/shared_memory.ts`): the
 * files in memory it has open, through its links under `/proc`, and the names of ours under `/dev/shm`, of
 * which there must be none.
 */
import * as fs from "node:fs";

/**
 * The names of the regions process `pid` has open now (`mpirun-deno-c0-0badcafe` for a communicator's,
 * `mpirun-deno-r1-...` for a ring's); none once it has closed them or is gone.
 */
export function openRegions(pid: number): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      const match = /^\/memfd:(mpirun-deno-[\w-]+) \(deleted\)$/.exec(
        fs.readlinkSync(`/proc/${pid}/fd/${fd}`),
      );
      return match ? [match[1]] : [];
    } catch {
      return []; // closed meanwhile
    }
  });
}

/** Names of ours under `/dev/shm` (none where there is no such folder). */
export function sharedMemoryNames(): string[] {
  try {
    return fs.readdirSync("/dev/shm").filter((name) => name.startsWith("mpirun-deno-"));
  } catch {
    return [];
  }
}
