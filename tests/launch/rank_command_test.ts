import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { UsageError } from "../../lib/launch/options.ts";
import { type LauncherHost, rankCommand, rankEnvironment } from "../../lib/launch/rank_command.ts";
import { REPO } from "./_helpers.ts";

const lib = path.join(REPO, "lib");
const bin = path.join(REPO, "node_modules", ".bin");
/** A script outside any Deno project, so that ranks get the fixed import map. */
const program = (runtime: "deno" | "bun" | undefined, scriptArgs: string[]) => ({
  runtime,
  script: "/nonexistent/app.ts",
  scriptArgs,
});
const denoHost: LauncherHost = {
  runtime: "deno",
  execPath: "/opt/deno/deno",
  compiled: false,
  libDir: lib,
  searchPath: "/nonexistent",
};

test("a deno rank preloads rank_preload.ts and runs the script as its main module, with its args", () => {
  const command = rankCommand(program(undefined, ["--flag", "x"]), denoHost);
  assert.equal(command.command, "/opt/deno/deno");
  assert.deepEqual(command.args, [
    "run",
    "-A",
    `--import-map=${path.join(lib, "launch", "rank_import_map.json")}`,
    `--preload=${path.join(lib, "rank_preload.ts")}`,
    "/nonexistent/app.ts",
    "--flag",
    "x",
  ]);
  assert.deepEqual(command.env, {});
});

test("the rank import map maps mpirun-deno to mod.ts", () => {
  const file = path.join(lib, "launch", "rank_import_map.json");
  const map = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.equal(path.resolve(path.dirname(file), map.imports["mpirun-deno"]), path.join(REPO, "mod.ts"));
});

test("--runtime bun from deno finds bun in node_modules/.bin and runs rank_main.ts directly", () => {
  const command = rankCommand(program("bun", ["a"]), denoHost);
  assert.equal(command.command, path.join(bin, "bun"));
  assert.deepEqual(command.args, [path.join(lib, "rank_main.ts"), "a"]);
});

test("a bun launcher runs bun ranks on itself, and finds deno on PATH", () => {
  const bunHost: LauncherHost = { ...denoHost, runtime: "bun", execPath: "/opt/bun/bun", searchPath: bin };
  assert.equal(rankCommand(program(undefined, []), bunHost).command, "/opt/bun/bun");
  assert.equal(rankCommand(program("deno", []), bunHost).command, path.join(bin, "deno"));
});

test("a runtime that cannot be found is a usage error naming --runtime", () => {
  const nowhere: LauncherHost = { ...denoHost, libDir: "/nonexistent/lib" };
  assert.throws(() => rankCommand(program("bun", []), nowhere), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /^--runtime: no bun executable/);
    return true;
  });
});

test("a compiled launcher starts itself as the rank, marked by MPIRUN_DENO_ROLE", () => {
  const compiled: LauncherHost = {
    ...denoHost,
    runtime: "bun",
    execPath: "/usr/local/bin/mpirun-deno",
    compiled: true,
  };
  assert.deepEqual(rankCommand(program(undefined, ["x"]), compiled), {
    command: "/usr/local/bin/mpirun-deno",
    args: ["x"],
    env: { MPIRUN_DENO_ROLE: "rank" },
  });
  assert.throws(() => rankCommand(program("deno", []), compiled), UsageError);
});

test("a rank's environment: inherited, minus an enclosing job's, plus -x, plus its place in the job", () => {
  const env = rankEnvironment(
    { PATH: "/bin", MPIRUN_DENO_RANK: "7", MPIRUN_DENO_TOKEN: "old", MPIRUN_DENO_POLL_US: "5", KEEP: "1" },
    { rank: 2, host: "h", localRank: 1, localSize: 3 },
    {
      size: 4,
      coordinator: "127.0.0.1:999",
      token: "ab".repeat(32),
      jobId: "job1",
      script: "/x/app.ts",
      exports: [["KEEP", "2"], ["NEW", "v"]],
      bindAddress: "127.0.0.1",
      command: { MPIRUN_DENO_ROLE: "rank" },
    },
  );
  assert.deepEqual(env, {
    PATH: "/bin",
    KEEP: "2",
    NEW: "v",
    MPIRUN_DENO_POLL_US: "5",
    MPIRUN_DENO_BIND_ADDRESS: "127.0.0.1",
    MPIRUN_DENO_ROLE: "rank",
    MPIRUN_DENO_RANK: "2",
    MPIRUN_DENO_SIZE: "4",
    MPIRUN_DENO_LOCAL_RANK: "1",
    MPIRUN_DENO_LOCAL_SIZE: "3",
    MPIRUN_DENO_COORDINATOR: "127.0.0.1:999",
    MPIRUN_DENO_TOKEN: "ab".repeat(32),
    MPIRUN_DENO_JOB_ID: "job1",
    MPIRUN_DENO_APPNUM: "0",
    MPIRUN_DENO_SCRIPT: "/x/app.ts",
  });
});

test("ranks that fill their host's cores run Bun without its helper threads, unless BUN_JSC_* is set", () => {
  const job = {
    size: 4,
    coordinator: "127.0.0.1:4000",
    token: "ab".repeat(32),
    jobId: "j1",
    script: "/tmp/app.ts",
    exports: [] as [string, string][],
    bindAddress: undefined,
    command: {},
  };
  const placement = { rank: 1, host: "localhost", localRank: 1, localSize: 4 };
  assert.equal(rankEnvironment({}, placement, { ...job, cores: 4 }).BUN_JSC_useConcurrentJIT, "0");
  assert.equal(rankEnvironment({}, placement, { ...job, cores: 4 }).BUN_JSC_numberOfGCMarkers, "1");
  assert.equal(rankEnvironment({}, placement, { ...job, cores: 8 }).BUN_JSC_useConcurrentJIT, undefined);
  assert.equal(rankEnvironment({}, placement, job).BUN_JSC_useConcurrentGC, undefined);
  const own = rankEnvironment({ BUN_JSC_useConcurrentGC: "1" }, placement, { ...job, cores: 2 });
  assert.deepEqual([own.BUN_JSC_useConcurrentGC, own.BUN_JSC_useConcurrentJIT], ["1", undefined]);
});
