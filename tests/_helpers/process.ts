/**
 * Runs a command to completion and collects its output: the one place tests start a process and wait for it.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";

/** What a finished process left. */
export interface Finished {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode runProcess}. */
export interface ProcessOptions {
  cwd?: string;
  /** Added to (or, with `undefined` values, removed from) this process's environment. */
  env?: Record<string, string | undefined>;
  /** With true, `env` is the child's whole environment, not additions to this process's. */
  onlyEnv?: boolean;
  /** Written to standard input, which is then closed (default: empty). */
  input?: string;
  /** The process is killed and the promise rejects after this long (default 60 s). */
  timeoutMs?: number;
}

/** A process started by {@linkcode startProcess}. */
export interface Started {
  /** Resolves once the process has exited and its output has closed; rejects if it outlives the timeout. */
  finished: Promise<Finished>;
  /** Its process id. */
  pid: number | undefined;
  /** What it has written to stdout so far. */
  stdout(): string;
  /** What it has written to stderr so far. */
  stderr(): string;
  /** Calls `listener` after each chunk of stdout or stderr and once at the end. */
  onProgress(listener: () => void): void;
}

/**
 * Starts `command` with `args`, collecting its output; standard input gets `options.input` and is closed.
 *
 * @example
 * ```ts ignore
 * const started = startProcess("sh", ["-c", "echo ready; sleep 1"]);
 * const { code } = await started.finished;
 * ```
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Started {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.onlyEnv ? { ...options.env } : { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let progress = () => {};
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk;
    progress();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    stderr += chunk;
    progress();
  });
  child.stdin.on("error", () => {});
  child.stdin.end(options.input ?? "");
  const finished = new Promise<Finished>((resolve, reject) => {
    const timer = setTimeout(() => {
      // process.kill, not child.kill: Deno reports a child killed through child.kill as killed even when it
      // handled the signal.
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish in ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
      progress();
    });
  });
  return {
    finished,
    pid: child.pid,
    stdout: () => stdout,
    stderr: () => stderr,
    onProgress: (listener) => progress = listener,
  };
}

/**
 * Runs `command` with `args` and resolves once it has exited and its output has closed.
 *
 * @example
 * ```ts ignore
 * const { code, stdout } = await runProcess("echo", ["hi"]);
 * ```
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): Promise<Finished> {
  return startProcess(command, args, options).finished;
}
