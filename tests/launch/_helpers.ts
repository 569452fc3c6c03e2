/**
 * Helpers of the launcher tests: run a TypeScript file on the runtime running the tests, run the real
 * `cli.ts`, collect output in memory.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Sink } from "../../lib/launch/io.ts";
import { type Finished, runProcess } from "../_helpers/process.ts";
import type { RankCommand, RankProgram } from "../../lib/launch/rank_command.ts";
import { execPath, runtimeName } from "../../lib/runtime/detect.ts";

/** The repository root, with a trailing separator. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** The fake rank script (see `fixtures/fake_rank.ts`). */
export const FAKE_RANK = path.join(REPO, "tests", "launch", "fixtures", "fake_rank.ts");

/** The command that runs `file` with `args` on the runtime running the tests. */
export function scriptCommand(
  file: string,
  args: readonly string[] = [],
): { command: string; args: string[] } {
  return runtimeName === "deno"
    ? { command: execPath(), args: ["run", "-A", "--no-check", file, ...args] }
    : { command: execPath(), args: [file, ...args] };
}

/** A `rankCommand` for `main()` that runs the fake rank instead of `lib/rank_main.ts`. */
export function fakeRankCommand(program: RankProgram): RankCommand {
  const { command, args } = scriptCommand(FAKE_RANK, program.scriptArgs);
  return { command, args, env: {} };
}

/** A sink that keeps everything in memory. */
export interface MemorySink extends Sink {
  text(): string;
  bytes(): number;
}

/** Makes a {@linkcode MemorySink}. */
export function memorySink(): MemorySink {
  const chunks: Uint8Array[] = [];
  return {
    write: (bytes) => void chunks.push(bytes.slice()),
    drain: () => Promise.resolve(),
    text: () => new TextDecoder().decode(Buffer.concat(chunks)),
    bytes: () => chunks.reduce((sum, chunk) => sum + chunk.length, 0),
  };
}

/** A fresh temporary directory. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-launch-"));
}

/** Is a process with this pid alive (and not a zombie we could still reap)? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\S+\s+\(.*\)\s+Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

export type { Finished } from "../_helpers/process.ts";

/** Runs `cli.ts` with `args` on the test's runtime; `input` goes to its stdin (else stdin is empty). */
export function runCli(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Finished> {
  const { command, args: full } = scriptCommand(path.join(REPO, "cli.ts"), args);
  return runProcess(command, full, { cwd: REPO, timeoutMs: 20_000, ...options });
}

/** The launcher with fake ranks (`fixtures/launch_driver.ts`), started as a process. */
export interface Driver {
  /** Resolves when the launcher has exited. */
  finished: Promise<Finished>;
  /** Resolves once stdout matches `pattern` `count` times. */
  waitFor(pattern: RegExp, count?: number): Promise<void>;
  signal(signal: "SIGINT" | "SIGTERM" | "SIGHUP"): void;
  stdout(): string;
}

/** Starts the launcher with fake ranks: `options` are launcher options, `actions` the fake ranks' arguments. */
export function startDriver(
  options: readonly string[],
  actions: readonly string[],
  input = "",
): Driver {
  const driver = path.join(REPO, "tests", "launch", "fixtures", "launch_driver.ts");
  // Test machines may have fewer CPUs than a test has ranks.
  const { command, args } = scriptCommand(driver, ["--oversubscribe", ...options, FAKE_RANK, ...actions]);
  const child = spawn(command, args, { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let wake = () => {};
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk;
    wake();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  child.stdin.on("error", () => {});
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  let exited = false;
  const finished = new Promise<Finished>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      exited = true;
      wake();
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    finished,
    async waitFor(pattern, count = 1) {
      const global = new RegExp(
        pattern.source,
        pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g",
      );
      while ((stdout.match(global)?.length ?? 0) < count) {
        if (exited) {
          throw new Error(`launcher ended before printing ${pattern}: ${stdout}${stderr}`);
        }
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
    // Not child.kill(): Deno's node:child_process then reports the child as killed by that signal even when
    // it handled the signal and exited with a code of its own.
    signal: (signal) => process.kill(child.pid!, signal),
    stdout: () => stdout,
  };
}

/** Runs the launcher with fake ranks to its end. */
export function runDriver(
  options: readonly string[],
  actions: readonly string[],
  input = "",
): Promise<Finished> {
  return startDriver(options, actions, input).finished;
}

/** The numbers printed as `label:N` lines (rank pids, child pids). */
export function printedPids(output: string, label = "pid"): number[] {
  return [...output.matchAll(new RegExp(`${label}:(\\d+)`, "g"))].map((match) => Number(match[1]));
}
