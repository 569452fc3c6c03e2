/** Every rank reads its standard input to the end and prints it. */
import process from "node:process";
import { comm, ready } from "./_rank.ts";

await ready();
let text = "";
for await (const chunk of process.stdin) text += chunk;
console.log(`stdin:${JSON.stringify(text)}`);
await comm.barrier();
