/**
 * Prints where this rank runs, after a barrier that shows every rank joined one world:
 * `where rank R host H local L/S cpus LIST`, LIST being the CPUs it may run on (its binding).
 */
import * as fs from "node:fs";
import process from "node:process";
import { MPI } from "mpirun-deno";

const status = fs.readFileSync("/proc/self/status", "utf8");
const cpus = /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? "?";
await MPI.COMM_WORLD.barrier();
console.log(
  `where rank ${MPI.COMM_WORLD.rank} host ${MPI.Get_processor_name()} ` +
    `local ${process.env.MPIRUN_DENO_LOCAL_RANK}/${process.env.MPIRUN_DENO_LOCAL_SIZE} cpus ${cpus}`,
);
