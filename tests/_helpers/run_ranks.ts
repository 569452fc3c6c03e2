/**
 * Runs a script on N ranks through the real launcher and returns each rank's output and the exit code. Which
 * launcher: `MPIRUN_DENO_TEST_LAUNCHER` = `deno` (`deno run -A cli.ts`), `bun` (`bun cli.ts`) or `binary`
 * (`dist/mpirun-deno`); by default the runtime running the tests.
 *
 * @module
 */

import { spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { execPath, runtimeName } from "../../lib/runtime/detect.ts";

/** The repository root. */
export const REPO: string = fileURLToPath(new URL("../../", import.meta.url));

/** The compiled binary, where `deno task compile` puts it. */
export const BINARY: string = path.join(REPO, "dist", "mpirun-deno");

/** Which launcher the tests drive. */
export type LauncherFlavour = "deno" | "bun" | "binary";

/** The launcher flavour of this test run. */
export const flavour: LauncherFlavour = (process.env.MPIRUN_DENO_TEST_LAUNCHER as LauncherFlavour | undefined) ??
  (runtimeName === "bun" ? "bun" : "deno");

/** The command line that starts the launcher with `args`. */
export function launcherCommand(args: readonly string[]): { command: string; args: string[] } {
  switch (flavour) {
    case "binary":
      return { command: BINARY, args: [...args] };
    case "bun":
      return { command: runtimeName === "bun" ? execPath() : path.join(REPO, "node_modules", ".bin", "bun"), args: [path.join(REPO, "cli.ts"), ...args] };
    default:
      return {
        command: runtimeName === "deno" ? execPath() : path.join(REPO, "node_modules", ".bin", "deno"),
        args: ["run", "-A", "--no-check", path.join(REPO, "cli.ts"), ...args],
      };
  }
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

/** Options of {@linkcode runRanks}. */
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
export function runRanks(size: number, script: string, options: RunOptions = {}): Promise<JobResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const args = [
    "-n",
    String(size),
    "--tag-output",
    "--timeout",
    String(Math.max(1, Math.floor(timeoutMs / 1000) - 5)),
    ...(options.launcherArgs ?? []),
    path.resolve(REPO, script),
    ...(options.scriptArgs ?? []),
  ];
  const { command, args: full } = launcherCommand(args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, full, {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => stdout += chunk);
    child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
    const timer = setTimeout(() => {
      process.kill(child.pid!, "SIGKILL");
      reject(new Error(`${script} on ${size} ranks did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const ranks: string[][] = Array.from({ length: size }, () => []);
      for (const line of stdout.split("\n")) {
        const match = /^\[(\d+)\] (.*)$/.exec(line);
        if (match && Number(match[1]) < size) ranks[Number(match[1])].push(match[2]);
      }
      resolve({ code, stdout, stderr, ranks });
    });
  });
}

/** What one directly started rank left. */
export interface RankResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

let directJobs = 0;

/**
 * Starts `size` ranks of `script` with no launcher at all, as `srun` would: each process gets Slurm's
 * variables (a made-up job id, so the derived token and port are this test's own) and finds the others
 * through rank 0. Runs on the test's runtime.
 */
export function runDirect(size: number, script: string, timeoutMs = 30_000): Promise<RankResult[]> {
  const jobId = String(process.pid * 100 + directJobs++);
  const ranks = Array.from({ length: size }, (_, rank) =>
    new Promise<RankResult>((resolve, reject) => {
      const command = runtimeName === "deno"
        ? { command: execPath(), args: ["run", "-A", "--no-check", path.resolve(REPO, script)] }
        : { command: execPath(), args: [path.resolve(REPO, script)] };
      const child = spawn(command.command, command.args, {
        cwd: REPO,
        env: {
          ...process.env,
          SLURM_JOB_ID: jobId,
          SLURM_STEP_ID: "0",
          SLURM_PROCID: String(rank),
          SLURM_STEP_NUM_TASKS: String(size),
          SLURM_STEP_NODELIST: "localhost",
          MPIRUN_DENO_BIND_ADDRESS: "127.0.0.1",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (chunk) => stdout += chunk);
      child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
      const timer = setTimeout(() => {
        process.kill(child.pid!, "SIGKILL");
        reject(new Error(`rank ${rank} of ${script} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout, stderr });
      });
    })
  );
  return Promise.all(ranks);
}
