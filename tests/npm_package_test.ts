/**
 * The npm package works as a dependency of a project of one's own: `npm pack` of this checkout, installed
 * into a fresh project outside it (dependencies from the npm cache or registry), then a 4-rank job there
 * whose script imports `"mpirun-deno"`, through `npx mpirun-deno` (Deno ranks; `--runtime bun` under the
 * Bun suite) or the compiled binary (the binary suite). The project's PATH leaves out this checkout, so
 * nothing of it is reachable but the tarball. Under Deno, SIGINT to `npx mpirun-deno` also ends the job
 * with 130, as a shell reports an interrupted command.
 */

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import process from "node:process";
import { runProcess, type Started, startProcess } from "./_helpers/process.ts";
import { BINARY, flavour, linesByRank, REPO } from "./_helpers/run_ranks.ts";

const SIZE = 4;
const TIMEOUT_MS = 240_000;

/** The script of the user's project: a collective over a value and the script's arguments. */
const APP = `import { MPI } from "mpirun-deno";
const comm = MPI.COMM_WORLD;
const sum = await comm.allreduce(comm.rank + 1, MPI.SUM);
if (import.meta.main) console.log(\`rank \${comm.rank} of \${comm.size}: sum \${sum}, argv \${MPI.argv.join(" ")}\`);
`;

/** A script that says it is ready, then waits to be interrupted. */
const WAIT = `import { MPI } from "mpirun-deno";
console.log(\`ready \${MPI.COMM_WORLD.rank}\`);
await new Promise((resolve) => setTimeout(resolve, 100_000));
`;

let project = "";
/** This process's environment with the checkout taken out of PATH. */
const env = {
  PATH: (process.env.PATH ?? "").split(path.delimiter).filter((dir) => !dir.startsWith(REPO)).join(
    path.delimiter,
  ),
};

before(async () => {
  project = fs.mkdtempSync(path.join(tmpdir(), "mpirun-deno-npm-"));
  const packed = await runProcess("npm", ["pack", "--silent", "--pack-destination", project, REPO], {
    cwd: project,
    env,
    timeoutMs: TIMEOUT_MS,
  });
  assert.equal(packed.code, 0, packed.stderr);
  const tarball = path.join(project, packed.stdout.trim().split("\n").at(-1)!);
  fs.writeFileSync(
    path.join(project, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  fs.writeFileSync(path.join(project, "app.ts"), APP);
  fs.writeFileSync(path.join(project, "wait.ts"), WAIT);
  const extra = flavour === "bun" ? ["bun"] : [];
  const installed = await runProcess(
    "npm",
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, ...extra],
    { cwd: project, env, timeoutMs: TIMEOUT_MS },
  );
  assert.equal(installed.code, 0, installed.stderr);
});

after(() => {
  if (project !== "") fs.rmSync(project, { recursive: true, force: true });
});

/** The command that launches `args` in the project: npx, or the binary for the binary suite. */
function launcher(args: string[]): { command: string; args: string[] } {
  if (flavour === "binary") return { command: BINARY, args };
  return {
    command: "npx",
    args: ["--no-install", "mpirun-deno", ...(flavour === "bun" ? ["--runtime", "bun"] : []), ...args],
  };
}

test(`a project that npm-installed the packed package runs a ${SIZE}-rank job (${flavour})`, {
  timeout: TIMEOUT_MS,
}, async () => {
  const { command, args } = launcher([
    "-n",
    String(SIZE),
    "--oversubscribe",
    "--tag-output",
    "app.ts",
    "x",
    "y",
  ]);
  const job = await runProcess(command, args, { cwd: project, env, timeoutMs: TIMEOUT_MS - 10_000 });
  assert.equal(job.code, 0, `${job.stdout}\n${job.stderr}`);
  const ranks = linesByRank(job.stdout, SIZE);
  for (let rank = 0; rank < SIZE; rank++) {
    assert.deepEqual(ranks[rank], [`rank ${rank} of ${SIZE}: sum 10, argv x y`], job.stdout);
  }
});

/**
 * Starts `wait.ts` on 2 ranks through the bin shim itself (what npx runs, so that a signal reaches it and not a
 * wrapper); resolves once both ranks are ready.
 */
async function startWaitingJob(): Promise<Started> {
  const shim = path.join(project, "node_modules", ".bin", "mpirun-deno");
  const started = startProcess(shim, ["-n", "2", "--oversubscribe", "wait.ts"], {
    cwd: project,
    env,
    timeoutMs: TIMEOUT_MS - 10_000,
  });
  await new Promise<void>((resolve) =>
    started.onProgress(() => {
      if (started.stdout().split("\n").filter((line) => line.startsWith("ready")).length === 2) resolve();
    })
  );
  return started;
}

test(`SIGINT to the npm launcher ends the job with 130 (${flavour})`, {
  timeout: TIMEOUT_MS,
  skip: flavour !== "deno" ? "the npm shim is checked once, under the Deno suite" : false,
}, async () => {
  const started = await startWaitingJob();
  process.kill(started.pid!, "SIGINT");
  const job = await started.finished;
  assert.equal(job.code, 130, job.stderr);
});

test(`kill -USR1 to the npm launcher prints what each rank is doing, and no inspector opens (${flavour})`, {
  timeout: TIMEOUT_MS,
  skip: flavour !== "deno" ? "the npm shim is checked once, under the Deno suite" : false,
}, async () => {
  const started = await startWaitingJob();
  // Node would open its inspector on SIGUSR1, and Deno (the launcher behind the shim) too: the shim passes it
  // on as SIGUSR2.
  process.kill(started.pid!, "SIGUSR1");
  await new Promise<void>((resolve) =>
    started.onProgress(() => {
      if (/rank 1: computing\n/.test(started.stderr())) resolve();
    })
  );
  process.kill(started.pid!, "SIGINT");
  const job = await started.finished;
  assert.equal(job.code, 130, job.stderr);
  assert.match(job.stderr, /^mpirun-deno: SIGUSR2: what each rank is doing, [\d.]+ s into the job:$/m);
  assert.match(job.stderr, /^ {2}rank 0: computing$/m);
  assert.doesNotMatch(job.stderr, /Debugger listening|inspector/i);
});
