/**
 * Every rank handles SIGINT, SIGTERM and SIGHUP by printing `got SIG…` and exiting with 128 + the signal's
 * number, while it waits in recv. With `--ignore-first-sigint` the first SIGINT is only printed.
 */
import process from "node:process";
import { MPI } from "../../mod.ts";
import { comm, ready } from "./_rank.ts";

const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
let ignoreSigint = process.argv.includes("--ignore-first-sigint");
for (const [signal, number] of Object.entries(SIGNALS)) {
  process.on(signal, () => {
    if (signal === "SIGINT" && ignoreSigint) {
      ignoreSigint = false;
      console.log("ignored SIGINT");
      return;
    }
    console.log(`got ${signal}`);
    process.exit(128 + number);
  });
}
await ready();
await comm.recv(MPI.ANY_SOURCE, 77);
