/** Every rank prints its working directory and the variables the driver exports with -x. */
import process from "node:process";
import { comm, ready } from "./_rank.ts";

await ready();
console.log(`cwd:${process.cwd()}`);
for (const name of ["FAULTS_SET", "FAULTS_INHERITED", "FAULTS_EMPTY"]) {
  console.log(`${name}:${JSON.stringify(process.env[name] ?? null)}`);
}
await comm.barrier();
