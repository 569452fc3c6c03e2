#!/usr/bin/env node
// The npm entry of mpirun-deno: runs cli.ts on the Deno that npm installed beside it (or on PATH), passing
// every argument, standard input and signal through and exiting with its code.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
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

const child = spawn(findDeno(), ["run", "-A", "--no-check", cli, ...process.argv.slice(2)], {
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("error", (error) => {
  console.error(`mpirun-deno: cannot start deno: ${error.message} (npm install deno, or put deno on PATH)`);
  process.exit(127);
});
child.on("exit", (code, signal) => process.exit(code ?? 128 + (signal === "SIGKILL" ? 9 : 15)));
