/**
 * Fatal errors of the launcher tests, by the first argument:
 * - `every`: every rank throws the same error from `compute`, after a barrier;
 * - `mpi`: rank 1 passes a bad destination to `send` from `sendBadly` (the error comes from inside the library);
 * - `flush LINES`: rank 0 prints LINES numbered lines and enters a barrier, rank 1 throws once it is there too:
 *   every line was written before the job failed.
 */
import process from "node:process";
import { MPI } from "mpirun-deno";

const comm = MPI.COMM_WORLD;
const [mode, count = "0"] = process.argv.slice(2);

function compute(value: number): number {
  throw new Error(`bad value ${value}`);
}

function sendBadly(): Promise<void> {
  return comm.send("payload", "one" as unknown as number);
}

if (mode === "every") {
  await comm.barrier();
  compute(3);
} else if (mode === "mpi") {
  if (comm.rank === 1) await sendBadly();
  else await comm.barrier();
} else if (mode === "flush") {
  if (comm.rank === 0) {
    for (let line = 0; line < Number(count); line++) console.log(`line ${line} of rank 0`);
  }
  await comm.barrier();
  if (comm.rank === 1) throw new Error("rank 1 fails after the barrier");
  await new Promise((resolve) => setTimeout(resolve, 30_000));
}
