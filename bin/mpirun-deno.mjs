#!/usr/bin/env node
// The npm entry of mpirun-deno (`npx mpirun-deno ...`): runs cli.ts on the Deno that npm installed beside it
// (the package's dependency; else the one on PATH), passing every argument, standard input and signal
// through, and exiting as it did: with its code, or 128 + the number of the signal that ended it (130 for
// SIGINT), as a shell reports it. `--no-config`: the launcher reads no deno.json or package.json of the
// directory it runs in; inside an npm project Deno would otherwise take this package's TypeScript for an
// npm package's and refuse to run it (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "cli.ts");

function findDeno() {
  try {
    const candidate = join(dirname(createRequire(import.meta.url).resolve("deno/package.json")), "deno");
    if (existsSync(candidate)) return candidate;
  } catch {
    // not installed beside us: fall back to PATH
  }
  return "deno";
}

const child = spawn(findDeno(), ["run", "-A", "--no-check", "--no-config", cli, ...process.argv.slice(2)], {
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
// The live state (`kill -USR1` on this process): passed on as SIGUSR2, which the launcher takes alike, because
// Deno 2.9.2 and later open their inspector on 127.0.0.1:9229 on every SIGUSR1. Listening here also keeps
// Node from opening its own.
for (const signal of ["SIGUSR1", "SIGUSR2"]) process.on(signal, () => child.kill("SIGUSR2"));
child.on("error", (error) => {
  console.error(`mpirun-deno: cannot start deno: ${error.message} (npm install deno, or put deno on PATH)`);
  process.exit(127);
});
child.on("exit", (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 15)));
