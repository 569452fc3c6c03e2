/**
 * A cluster test script that fails on purpose: `throw RANK`, `exit RANK CODE`, `abort RANK CODE`, `kill RANK`
 * or `hang` (every rank waits forever); the others wait in a barrier-like receive, so that the launcher must end them.
 *
 * @module
 */

import process from "node:process";
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const [mode, who, code] = process.argv.slice(2);
console.log(`rank ${comm.rank} ready on ${MPI.Get_processor_name()} pid ${process.pid}`);
// Every rank has said it is ready before one fails.
if (mode !== "hang") await comm.Barrier();
if (mode !== "hang" && comm.rank === Number(who)) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  if (mode === "throw") throw new Error(`planned failure on ${MPI.Get_processor_name()}`);
  if (mode === "exit") process.exit(Number(code));
  if (mode === "abort") await comm.Abort(Number(code));
  if (mode === "kill") process.kill(process.pid, "SIGKILL");
}
await comm.recv(MPI.ANY_SOURCE, 99);
