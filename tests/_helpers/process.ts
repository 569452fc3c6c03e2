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
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.onlyEnv ? { ...options.env } : { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => stdout += chunk);
    child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
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
    });
  });
}
