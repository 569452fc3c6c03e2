/**
 * How a rank process is started: the command line that runs `lib/rank_main.ts` on the chosen runtime (or the
 * compiled binary itself), and the environment that tells it who it is. The job token travels only in the
 * environment, never on a command line.
 *
 * Deno resolves `mpirun-deno` in the user's script through an import map (see `module_map.ts`); Bun through
 * the rank entry point; a compiled binary has everything inside.
 *
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { EnvName } from "../env.ts";
import { execPath, isCompiledBinary, runtimeName } from "../runtime/detect.ts";
import type { RuntimeName } from "../runtime/runtime.ts";
import { denoImportMap } from "./module_map.ts";
import { type RankRuntime, RESERVED_ENV, UsageError } from "./options.ts";
import type { RankPlacement } from "./plan.ts";

/** An executable, its arguments, and the variables the launcher adds to the rank's environment. */
export interface RankCommand {
  command: string;
  args: string[];
  /** Added to every rank's environment (on top of the per-rank variables). */
  env: Record<string, string>;
}

/** The launcher's own situation, which decides how a rank is started. */
export interface LauncherHost {
  runtime: RuntimeName;
  execPath: string;
  compiled: boolean;
  /** Directory of the sources (`<repo>/lib`). */
  libDir: string;
  /** `PATH` of the launcher. */
  searchPath: string | undefined;
}

/** The launcher process as it runs. */
export function currentLauncherHost(): LauncherHost {
  return {
    runtime: runtimeName,
    execPath: execPath(),
    compiled: isCompiledBinary(),
    libDir: path.dirname(path.dirname(fileURLToPath(import.meta.url))),
    searchPath: process.env.PATH,
  };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds a runtime's executable: the launcher's own when it runs on that runtime; else next to the launcher's
 * executable, on `PATH`, then in the repository's `node_modules/.bin`. `undefined` when none is found.
 */
export function findRuntime(name: RankRuntime, host: LauncherHost): string | undefined {
  if (host.runtime === name && !host.compiled) return host.execPath;
  const repo = path.dirname(host.libDir);
  const candidates = [
    path.join(path.dirname(host.execPath), name),
    ...(host.searchPath ?? "").split(path.delimiter).filter((dir) => dir !== "").map((dir) =>
      path.join(dir, name)
    ),
    path.join(repo, "node_modules", ".bin", name),
  ];
  return candidates.find(isExecutable);
}

/** What the ranks of a job run. */
export interface RankProgram {
  /** The `--runtime` choice; `undefined` means the launcher's own. */
  runtime: RankRuntime | undefined;
  /** Absolute path or URL of the user script. */
  script: string;
  scriptArgs: readonly string[];
}

/**
 * The command that starts one rank of `program`. Throws {@linkcode UsageError} when the runtime cannot be
 * found.
 *
 * @example
 * ```ts
 * import { rankCommand } from "./rank_command.ts";
 * const { command, args } = rankCommand({ runtime: undefined, script: "/tmp/app.ts", scriptArgs: ["--size", "10"] });
 * console.log(command); // the runtime's executable
 * console.log(args.slice(-2)); // ["--size", "10"]
 * ```
 */
export function rankCommand(program: RankProgram, host: LauncherHost = currentLauncherHost()): RankCommand {
  const { runtime, script, scriptArgs } = program;
  if (host.compiled) {
    if (runtime === "deno") {
      throw new UsageError("--runtime: the compiled mpirun-deno runs its ranks itself and cannot use deno");
    }
    return { command: host.execPath, args: [...scriptArgs], env: { [EnvName.ROLE]: "rank" } };
  }
  const chosen: RankRuntime = runtime ?? (host.runtime === "bun" ? "bun" : "deno");
  const executable = findRuntime(chosen, host);
  if (executable === undefined) {
    throw new UsageError(
      `--runtime: no ${chosen} executable next to ${host.execPath}, on PATH or in node_modules/.bin`,
    );
  }
  const entry = path.join(host.libDir, "rank_main.ts");
  if (chosen === "bun") return { command: executable, args: [entry, ...scriptArgs], env: {} };
  // Deno runs the user's script as its main module, after rank_preload.ts has made the process a rank.
  const importMap = denoImportMap(script, host.libDir);
  const preload = path.join(host.libDir, "rank_preload.ts");
  // Installed by npm, the module's TypeScript sits under node_modules, which Deno refuses to run as such when
  // it manages that folder (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING): the rank then leaves it alone
  // (the script's npm: imports come from Deno's own cache).
  const underNodeModules = host.libDir.split(path.sep).includes("node_modules");
  // A merged map (a data: URL) already holds the project's imports, so the rank then reads no config file:
  // beside a data: map, Deno 2.9 panics on a deno.json that maps a name into another Deno project (such as
  // a checkout of this one).
  const merged = importMap.startsWith("data:");
  return {
    command: executable,
    args: [
      "run",
      "-A",
      ...(underNodeModules ? ["--node-modules-dir=none"] : []),
      ...(merged ? ["--no-config"] : []),
      `--import-map=${importMap}`,
      `--preload=${preload}`,
      script,
      ...scriptArgs,
    ],
    env: {},
  };
}

/** What every rank of a job shares in its environment. */
export interface JobEnvironment {
  size: number;
  /** `host:port` of the coordinator. */
  coordinator: string;
  /** The job token, hex. */
  token: string;
  jobId: string;
  /** Absolute path or URL of the user script. */
  script: string;
  /** `-x` exports, applied over the inherited environment. */
  exports: readonly [string, string][];
  /** Address the ranks listen on (`MPIRUN_DENO_BIND_ADDRESS`); `undefined` leaves the inherited value. */
  bindAddress: string | undefined;
  /** Variables of the rank command ({@linkcode RankCommand.env}). */
  command: Record<string, string>;
  /** Cores of the rank's host, where the launcher knows them (its own host): see {@linkcode QUIET_BUN}. */
  cores?: number;
  /** Which program of an MPMD job the rank runs (`MPIRUN_DENO_APPNUM`); 0 when absent. */
  appnum?: number;
}

/**
 * What a Bun rank (and the binary) runs with when its host's ranks take every core: no concurrent JIT
 * compiler threads and no parallel GC markers. Measured on 16 cores with 16 ranks (the binary, medians): an
 * Allreduce of 1 K f64 went from 56-112 µs to 36-42 µs and a small bcast from 30-36 µs to 11 µs, the
 * barrier unchanged at 5 µs: with one rank per core, those threads have no core of their own and take one
 * from a rank, which every collective then waits for. A rank's own settings of `BUN_JSC_*` win.
 */
export const QUIET_BUN: Readonly<Record<string, string>> = {
  BUN_JSC_useConcurrentJIT: "0",
  BUN_JSC_useConcurrentGC: "0",
  BUN_JSC_numberOfGCMarkers: "1",
};

/**
 * The environment of one rank: the launcher's own (minus any `MPIRUN_DENO_*` left over from an enclosing
 * job), {@linkcode QUIET_BUN} when the rank's host is full, the `-x` exports, the listen address if one is
 * given, and the variables that tell the rank its place in the job.
 *
 * @example
 * ```ts
 * import { rankEnvironment } from "./rank_command.ts";
 * const env = rankEnvironment({ PATH: "/bin" }, { rank: 1, host: "localhost", localRank: 1, localSize: 2 }, {
 *   size: 2, coordinator: "127.0.0.1:4000", token: "ab".repeat(32), jobId: "j1", script: "/tmp/app.ts",
 *   exports: [["OMP_NUM_THREADS", "1"]], bindAddress: "127.0.0.1", command: {},
 * });
 * console.log(env.MPIRUN_DENO_RANK); // "1"
 * ```
 */
export function rankEnvironment(
  inherited: Record<string, string | undefined>,
  placement: RankPlacement,
  job: JobEnvironment,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(inherited)) {
    if (value !== undefined && !RESERVED_ENV.includes(name)) env[name] = value;
  }
  const full = job.cores !== undefined && placement.localSize >= job.cores;
  if (full && !Object.keys(env).some((name) => name.startsWith("BUN_JSC_"))) Object.assign(env, QUIET_BUN);
  for (const [name, value] of job.exports) env[name] = value;
  if (job.bindAddress !== undefined) env[EnvName.BIND_ADDRESS] = job.bindAddress;
  Object.assign(env, job.command, {
    [EnvName.RANK]: String(placement.rank),
    [EnvName.SIZE]: String(job.size),
    [EnvName.LOCAL_RANK]: String(placement.localRank),
    [EnvName.LOCAL_SIZE]: String(placement.localSize),
    [EnvName.COORDINATOR]: job.coordinator,
    [EnvName.TOKEN]: job.token,
    [EnvName.JOB_ID]: job.jobId,
    [EnvName.APPNUM]: String(job.appnum ?? 0),
    [EnvName.SCRIPT]: job.script,
  });
  return env;
}
