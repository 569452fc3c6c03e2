/** Every rank prints two lines on stdout and one on stderr. */
import process from "node:process";
import { comm, ready } from "./_rank.ts";

await ready();
console.log(`out from rank ${comm.rank}`);
console.error(`err from rank ${comm.rank}`);
process.stdout.write(`last line of rank ${comm.rank}\n`);
