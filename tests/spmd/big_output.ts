/** Every rank prints 1 MB on one line, then a short line, and exits at once with process.exit. */
import process from "node:process";
import { MPI } from "../../mod.ts";

const rank = MPI.COMM_WORLD.rank;
process.stdout.write(`${String(rank).repeat(1 << 20)}\n`);
console.log(`big_output done on rank ${rank}`);
process.exit(0);
