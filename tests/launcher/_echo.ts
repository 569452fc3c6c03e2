/** A rank that prints what it read from its standard input (`rank R read "..."`) and a line on stderr. */
import process from "node:process";

const rank = process.env.MPIRUN_DENO_RANK;
let input = "";
for await (const chunk of process.stdin) input += chunk;
console.error(`rank ${rank} to stderr`);
console.log(`rank ${rank} read ${JSON.stringify(input)}`);
