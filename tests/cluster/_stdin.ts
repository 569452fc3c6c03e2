/** Rank 0 prints what it reads from standard input; the others print what they read (nothing). */

import process from "node:process";
import { MPI } from "../../mod.ts";

let input = "";
for await (const chunk of process.stdin) input += chunk;
console.log(`rank ${MPI.COMM_WORLD.rank} on ${MPI.Get_processor_name()} read ${JSON.stringify(input)}`);
