/**
 * `srun -n 4 mpirun-deno script.ts`: Slurm starts the tasks, with no launcher of ours. Each `mpirun-deno`
 * notices that it is a task of a Slurm step and becomes that task's rank: it runs the rank command (the same
 * as the launcher would, on the same runtime) as its only child, with its own standard streams and
 * environment plus the script to run; the rank then meets the others through Slurm's environment
 * (`lib/bootstrap/slurm.ts`). Signals are passed on, and the task exits with the rank's code.
 *
 * The task outlives its rank, so it is the rank's stand-in of last resort: a rank that dies before it has
 * joined the step (killed, its runtime failing to start, its bootstrap failing) would leave the others
 * waiting for it. The rank tells the task how far it got through a file (`bootstrap/join_progress.ts`); when
 * it exits non-zero short of `joined`, the task joins the rendezvous in its place and ends the whole step
 * with the rank's code, naming it (`SlurmBootstrap.standIn`). A task that cannot even start its rank (a
 * usage error) does the same. Plain `srun deno run -A script.ts` has no such task: there rank 0 ends the step
 * only once the missing rank has not come for `CONNECT_TIMEOUT_MS`.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { parseJoinStage } from "../bootstrap/join_progress.ts";
import type { EarlyFailure } from "../bootstrap/slurm.ts";
import { EnvName } from "../env.ts";
import type { LaunchOptions, RawOptions } from "./options.ts";
import { UsageError } from "./options.ts";
import { type RankCommand, rankCommand, type RankProgram } from "./rank_command.ts";
import type { ExitStatus } from "./spawner.ts";
import { describeStatus, exitCodeOf } from "./supervise.ts";

/** Signals passed on to the rank. */
const PASSED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2"] as const;

/**
 * Is this process a task of a Slurm step that should become a rank itself? Yes under `srun` (`SLURM_PROCID`
 * and `SLURM_STEP_ID` set), unless it is a rank of a launcher already, or the command line asks to launch
 * (`-n`, `--host`, `--hostfile`, `--launcher`: then it is a launcher that happens to run inside a step).
 *
 * @example
 * ```ts
 * import { isDirectLaunch } from "./direct.ts";
 * console.log(isDirectLaunch({ host: [] }, { SLURM_PROCID: "2", SLURM_STEP_ID: "0" })); // true
 * console.log(isDirectLaunch({ host: [], np: "4" }, { SLURM_PROCID: "0", SLURM_STEP_ID: "0" })); // false
 * ```
 */
export function isDirectLaunch(
  raw: Pick<RawOptions, "np" | "host" | "hostfile" | "launcher">,
  env: Record<string, string | undefined>,
): boolean {
  const set = (name: string) => (env[name] ?? "") !== "";
  if (!set("SLURM_PROCID") || !set("SLURM_STEP_ID") || set(EnvName.COORDINATOR)) return false;
  return raw.np === undefined && raw.host.length === 0 && raw.hostfile === undefined &&
    raw.launcher === undefined;
}

/** Options that only a launcher can honour, and what to use under direct launch instead. */
const LAUNCHER_ONLY: readonly [keyof LaunchOptions, string, string][] = [
  ["tagOutput", "--tag-output", "srun --label"],
  ["timestampOutput", "--timestamp-output", "srun's output options"],
  ["outputDir", "--output-filename", "srun --output"],
  ["timeoutSeconds", "--timeout", "srun --time"],
  ["oversubscribe", "--oversubscribe", "srun --overcommit"],
];

/**
 * The rank's command and environment under direct launch. Throws {@linkcode UsageError} for an option that
 * only a launcher can honour, naming srun's equivalent.
 */
export function directRank(
  options: LaunchOptions,
  env: Record<string, string | undefined>,
  command: (program: RankProgram) => RankCommand = rankCommand,
): { command: string; args: string[]; env: Record<string, string>; cwd: string } {
  for (const [key, flag, instead] of LAUNCHER_ONLY) {
    const value = options[key];
    if (value !== undefined && value !== false) {
      throw new UsageError(
        `${flag} needs a launcher; under srun (which starts the ranks itself) use ${instead}`,
      );
    }
  }
  if (options.stdin !== 0) {
    throw new UsageError("--stdin needs a launcher; under srun use srun --input");
  }
  if (options.mergeStderr) {
    throw new UsageError(
      "--merge-stderr-to-stdout needs a launcher; under srun give srun --error the --output file",
    );
  }
  if (options.programs.length > 1) {
    throw new UsageError("a job of several programs needs a launcher; under srun use srun --multi-prog");
  }
  for (
    const [set, flag, instead] of [
      [options.perNode !== undefined, "-N", "srun --ntasks-per-node"],
      [options.rankBy !== undefined, "--rank-by", "srun --distribution"],
      [options.bindTo !== "none", "--bind-to", "srun --cpu-bind"],
      [
        options.displayMap || options.reportBindings,
        "--display-map/--report-bindings",
        "srun --cpu-bind=verbose",
      ],
    ] as const
  ) {
    if (set) throw new UsageError(`${flag} needs a launcher; under srun use ${instead}`);
  }
  if (options.mapBy !== "slot") {
    throw new UsageError("--map-by needs a launcher; under srun use srun --distribution");
  }
  const rank = command({ runtime: options.runtime, script: options.script, scriptArgs: options.scriptArgs });
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  for (const [name, value] of options.env) out[name] = value;
  if (options.bindAddress !== undefined) out[EnvName.BIND_ADDRESS] = options.bindAddress;
  if (options.bindInterface !== undefined) out[EnvName.BIND_INTERFACE] = options.bindInterface;
  Object.assign(out, rank.env, { [EnvName.SCRIPT]: options.script });
  return { command: rank.command, args: rank.args, env: out, cwd: options.wdir };
}

/**
 * Runs this task's rank and resolves with its exit code (128 + N when signal N killed it), after ending the
 * whole step in the rank's place if it failed before it joined (see above).
 *
 * @example
 * ```ts ignore
 * if (isDirectLaunch(raw, process.env)) return await runDirect(resolveOptions(raw));
 * ```
 */
export async function runDirect(
  options: LaunchOptions,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const rank = directRank(options, env);
  const joinFile = createJoinFile();
  if (joinFile !== undefined) rank.env[EnvName.JOIN_FILE] = joinFile;
  else delete rank.env[EnvName.JOIN_FILE];
  const since = Date.now();
  const { signalled, ...ended } = await runRank(rank);
  if (joinFile === undefined) return ended.code;
  let text;
  try {
    text = fs.readFileSync(joinFile, "utf8");
  } catch {
    return ended.code; // gone: how far the rank got is unknown
  } finally {
    fs.rmSync(joinFile, { force: true });
  }
  const stage = parseJoinStage(text);
  // A rank ended by a signal this task passed on ends with the step that signalled every task (scancel).
  if (ended.code === 0 || stage === "joined" || signalled) return ended.code;
  return await endStepInPlace({ ...ended, since, reached: stage === "reached" });
}

/**
 * Ends the step in the place of this task's rank, which ended (or never started) before it joined: the
 * other ranks would wait for it. Resolves with the code this task should exit with: the step's, or
 * `failure.code` where that could not be done (then it says why on stderr).
 *
 * @example
 * ```ts ignore
 * return await endStepInPlace({ code: 2, what: "did not start: Script not found", since: Date.now(), reached: false });
 * ```
 */
export async function endStepInPlace(failure: EarlyFailure): Promise<number> {
  try {
    // Loaded only here: a task whose rank joined never needs a rank's sockets.
    const { launchedBySlurm, SlurmBootstrap } = await import("../bootstrap/slurm.ts");
    if (!launchedBySlurm()) return failure.code;
    return await SlurmBootstrap.standIn(os.hostname(), failure);
  } catch (error) {
    process.stderr.write(
      `mpirun-deno: cannot end the step in the place of this task's rank: ${(error as Error).message}\n`,
    );
    return failure.code;
  }
}

/** A fresh empty file for the rank's join progress, readable by this user only; undefined if none can be made. */
function createJoinFile(): string | undefined {
  const file = path.join(os.tmpdir(), `mpirun-deno-join-${process.pid}-${randomUUID()}`);
  try {
    fs.writeFileSync(file, "", { flag: "wx", mode: 0o600 });
    return file;
  } catch {
    return undefined;
  }
}

/** How the rank ended: its code, in words, its pid, and whether this task had passed a signal on to it. */
type RankEnd = Pick<EarlyFailure, "code" | "what" | "pid"> & { signalled: boolean };

/** Runs the rank as this task's only child, passing signals on; resolves when it has ended. */
function runRank(rank: ReturnType<typeof directRank>): Promise<RankEnd> {
  return new Promise((resolve) => {
    // Same process group as this task, so that Slurm's signals to the task reach the rank too.
    const child = spawn(rank.command, rank.args, { cwd: rank.cwd, env: rank.env, stdio: "inherit" });
    const handlers = new Map<string, () => void>();
    let signalled = false;
    const cleanup = () => {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    };
    for (const signal of PASSED_SIGNALS) {
      const handler = () => {
        signalled = true;
        try {
          child.kill(signal);
        } catch {
          // Gone already.
        }
      };
      try {
        process.on(signal, handler);
        handlers.set(signal, handler);
      } catch {
        // This platform cannot listen for this signal.
      }
    }
    child.on("error", (error) => {
      cleanup();
      process.stderr.write(`mpirun-deno: cannot start the rank: ${error.message}\n`);
      resolve({ code: 127, what: `could not be started (${error.message})`, signalled });
    });
    child.on("exit", (code, signal) => {
      cleanup();
      const status: ExitStatus = { code, signal };
      resolve({
        code: exitCodeOf(status),
        what: `${describeStatus(status)} before joining the job`,
        pid: child.pid,
        signalled,
      });
    });
  });
}
