/** A rank that joins the job, says so, and sleeps for the seconds of its first argument (default 30). */
import process from "node:process";
import { MPI } from "mpirun-deno";

console.log(`sleeping rank ${MPI.COMM_WORLD.rank}`);
await new Promise((resolve) => setTimeout(resolve, Number(process.argv[2] ?? 30) * 1000));
