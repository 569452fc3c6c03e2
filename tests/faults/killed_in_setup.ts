/**
 * Rank 1 kills rank 0 with SIGKILL while rank 0 sets up COMM_WORLD's shared-memory region in its first
 * Barrier: the region's name exists (rank 0 removes it only once every rank has mapped it, and rank 1 never
 * maps it), so a launcher that does not remove a killed rank's names leaves it under `/dev/shm`. Rank 1 prints
 * `region:NAME` once it has seen the name.
 */
import * as fs from "node:fs";
import process from "node:process";
import { comm, failing, ready } from "./_rank.ts";

await ready();
if (comm.rank === 0) {
  await comm.send(process.pid, 1, 2);
  await comm.Barrier();
} else {
  const leader = await comm.recv(0, 2) as number;
  const prefix = `mpirun-deno-${leader}-c`;
  const deadline = Date.now() + 10_000;
  let name: string | undefined;
  while (!(name = fs.readdirSync("/dev/shm").find((entry) => entry.startsWith(prefix)))) {
    if (Date.now() > deadline) throw new Error(`rank 0 made no region /dev/shm/${prefix}* in 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  console.log(`region:${name}`);
  failing();
  process.kill(leader, "SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 30_000));
}
