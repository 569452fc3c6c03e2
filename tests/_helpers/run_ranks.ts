/**
 * Runs a script on N ranks through the real launcher and returns each rank's output and the exit code. Which
 * launcher: `MPIRUN_DENO_TEST_LAUNCHER` = `deno` (`deno run -A cli.ts`), `bun` (`bun cli.ts`) or `binary`
 * (`dist/mpirun-deno`); by default the runtime running the tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { execPath, runtimeName } from "../../lib/runtime/detect.ts";
import { type Finished, runProcess } from "./process.ts";

/** The repository root. */
export const REPO: string = fileURLToPath(new URL("../../", import.meta.url));

/** The compiled binary, where `deno task compile` puts it. */
export const BINARY: string = path.join(REPO, "dist", "mpirun-deno");

/** Which launcher the tests drive. */
export type LauncherFlavour = "deno" | "bun" | "binary";

/** The launcher flavour of this test run. */
export const flavour: LauncherFlavour =
  (process.env.MPIRUN_DENO_TEST_LAUNCHER as LauncherFlavour | undefined) ??
    (runtimeName === "bun" ? "bun" : "deno");

/** The command line that starts the launcher with `args`. */
export function launcherCommand(args: readonly string[]): { command: string; args: string[] } {
  switch (flavour) {
    case "binary":
      return { command: BINARY, args: [...args] };
    case "bun":
      return {
        command: runtimeName === "bun" ? execPath() : path.join(REPO, "node_modules", ".bin", "bun"),
        args: [path.join(REPO, "cli.ts"), ...args],
      };
    default:
      return {
        command: runtimeName === "deno" ? execPath() : path.join(REPO, "node_modules", ".bin", "deno"),
        args: ["run", "-A", "--no-check", path.join(REPO, "cli.ts"), ...args],
      };
  }
}

/** A launcher started with {@linkcode startLauncher}: its process, what it printed so far, and its end. */
export interface RunningLauncher {
  child: ChildProcess;
  /** Everything printed so far (it grows while the job runs). */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code once the launcher has ended and closed its output. */
  exited: Promise<number | null>;
}

/**
 * Starts the launcher with `args` in the repository root, collecting its output as it comes: for tests that
 * act on a job while it runs (signals, the inspector).
 */
export function startLauncher(args: readonly string[]): RunningLauncher {
  const { command, args: fullArgs } = launcherCommand(args);
  const child = spawn(command, fullArgs, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout!.setEncoding("utf8").on("data", (chunk) => output.stdout += chunk);
  child.stderr!.setEncoding("utf8").on("data", (chunk) => output.stderr += chunk);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return {
    child,
    get stdout() {
      return output.stdout;
    },
    get stderr() {
      return output.stderr;
    },
    exited,
  };
}

/** What a launched job left. */
export interface JobResult {
  /** The launcher's exit code (null if it was killed). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout lines of each rank (from `--tag-output`), indexed by rank. */
  ranks: string[][];
}

/** Splits `--tag-output` output (`[rank] line`) into each rank's lines, for ranks 0 to `size - 1`. */
export function linesByRank(stdout: string, size: number): string[][] {
  const ranks: string[][] = Array.from({ length: size }, () => []);
  for (const line of stdout.split("\n")) {
    const match = /^\[(\d+)\] (.*)$/.exec(line);
    if (match && Number(match[1]) < size) ranks[Number(match[1])].push(match[2]);
  }
  return ranks;
}

/** Options of {@linkcode runRanks} (which passes `--oversubscribe`: a test may have more ranks than CPUs). */
export interface RunOptions {
  /** Launcher options placed before the script (besides `-n` and `--tag-output`). */
  launcherArgs?: string[];
  /** Arguments after the script. */
  scriptArgs?: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string;
  /** The test fails if the job takes longer (the launcher's own --timeout is set a little below it). */
  timeoutMs?: number;
}

/**
 * Runs `script` on `size` ranks with `--tag-output` and collects everything.
 *
 * @example
 * ```ts ignore
 * const job = await runRanks(4, "examples/hello.ts");
 * assert.equal(job.code, 0);
 * ```
 */
export async function runRanks(size: number, script: string, options: RunOptions = {}): Promise<JobResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const args = [
    "-n",
    String(size),
    // Test machines may have fewer CPUs than a test has ranks.
    "--oversubscribe",
    "--tag-output",
    "--timeout",
    String(Math.max(1, Math.floor(timeoutMs / 1000) - 5)),
    ...(options.launcherArgs ?? []),
    path.resolve(REPO, script),
    ...(options.scriptArgs ?? []),
  ];
  const { command, args: full } = launcherCommand(args);
  const finished = await runProcess(command, full, {
    cwd: options.cwd ?? REPO,
    env: options.env,
    input: options.input,
    timeoutMs,
  });
  const ranks = linesByRank(finished.stdout, size);
  return { code: finished.code, stdout: finished.stdout, stderr: finished.stderr, ranks };
}

/** The job sizes every SPMD script runs on. */
export const SPMD_SIZES: readonly number[] = [1, 2, 3, 4, 5];

/** Asserts that `job` succeeded and that every rank printed `<script> ok on rank R of N`. */
export function assertAllOk(job: JobResult, script: string, size: number): void {
  assert.equal(job.code, 0, job.stderr);
  for (let rank = 0; rank < size; rank++) {
    assert.ok(
      job.ranks[rank].includes(`${script} ok on rank ${rank} of ${size}`),
      `rank ${rank} did not finish ${script}: ${job.stdout}\n${job.stderr}`,
    );
  }
}

/**
 * Registers a test per self-checking script of tests/spmd and size in {@linkcode SPMD_SIZES}: the script
 * runs through the launcher and must print `<script> ok on rank R of N` on every rank. `check`, if given,
 * looks further at a job that passed. A `variant` runs the scripts again with its environment (and sizes),
 * its label in the test names.
 *
 * @example
 * ```ts ignore
 * spmdSuite(["p2p_obj", "p2p_buf"]);
 * ```
 */
export function spmdSuite(
  scripts: readonly string[],
  check?: (script: string, size: number, job: JobResult) => void,
  variant?: { label: string; env: Record<string, string>; sizes?: readonly number[] },
): void {
  const label = variant ? `, ${variant.label}` : "";
  for (const script of scripts) {
    for (const size of variant?.sizes ?? SPMD_SIZES) {
      test(`${script} passes on ${size} ranks (${flavour}${label})`, async () => {
        const job = await runRanks(size, `tests/spmd/${script}.ts`, { env: variant?.env });
        assertAllOk(job, script, size);
        check?.(script, size, job);
      });
    }
  }
}

/** The command that runs `file` with `args` on the runtime running the tests. */
export function scriptCommand(
  file: string,
  args: readonly string[] = [],
): { command: string; args: string[] } {
  return runtimeName === "deno"
    ? { command: execPath(), args: ["run", "-A", "--no-check", file, ...args] }
    : { command: execPath(), args: [file, ...args] };
}

/** What one directly started rank left. */
export type RankResult = Finished;

let directJobs = 0;

/**
 * Starts `size` ranks of `script` with no launcher at all, as `srun` would: each process gets Slurm's
 * variables (a made-up job id, so the derived token and port are this test's own) and finds the others
 * through rank 0. Runs on the test's runtime; `wrapper(rank)`, if given, is a command that rank runs under
 * (`["unshare", "--pid", "--fork"]`).
 */
export function runDirect(
  size: number,
  script: string,
  timeoutMs = 30_000,
  wrapper: (rank: number) => readonly string[] = () => [],
): Promise<RankResult[]> {
  const jobId = String(process.pid * 100 + directJobs++);
  const command = scriptCommand(path.resolve(REPO, script));
  return Promise.all(Array.from({ length: size }, (_, rank) => {
    const [program, ...args] = [...wrapper(rank), command.command, ...command.args];
    return runProcess(program, args, {
      cwd: REPO,
      timeoutMs,
      env: {
        SLURM_JOB_ID: jobId,
        SLURM_STEP_ID: "0",
        SLURM_PROCID: String(rank),
        SLURM_STEP_NUM_TASKS: String(size),
        SLURM_STEP_NODELIST: "localhost",
        MPIRUN_DENO_BIND_ADDRESS: "127.0.0.1",
      },
    });
  }));
}
