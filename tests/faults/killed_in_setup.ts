/**
 * Rank 1 kills rank 0 with SIGKILL while rank 0 sets up COMM_WORLD's shared-memory region in its first
 * Barrier: rank 0 holds the region open (it closes it only once every rank has mapped it, and rank 1 never
 * maps it). Rank 1 prints `region:NAME` once it has seen the region among rank 0's open files. The job must
 * end naming rank 0, and leave nothing behind: the region has no name to leave.
 */
import process from "node:process";
import { comm, failing, ready } from "./_rank.ts";
import { openRegions } from "../_helpers/shared_regions.ts";

await ready();
if (comm.rank === 0) {
  await comm.send(process.pid, 1, 2);
  await comm.Barrier();
} else {
  const leader = await comm.recv(0, 2) as number;
  const deadline = Date.now() + 10_000;
  let name: string | undefined;
  while (!(name = openRegions(leader).find((region) => region.startsWith("mpirun-deno-c")))) {
    if (Date.now() > deadline) {
      throw new Error(`rank 0 (pid ${leader}) opened no communicator region in 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  console.log(`region:${name}`);
  failing();
  process.kill(leader, "SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 30_000));
}
