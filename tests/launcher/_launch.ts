/**
 * Helpers of the launcher option tests: run the real launcher of this test run (`MPIRUN_DENO_TEST_LAUNCHER`:
 * deno, bun or the compiled binary) with the test programs of this folder.
 *
 * @module
 */

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Finished, type ProcessOptions, runProcess } from "../_helpers/process.ts";
import { launcherCommand, REPO } from "../_helpers/run_ranks.ts";

export { REPO };
export type { Finished };

/** The MPI program of these tests (see `_app.ts`). */
export const APP = path.join(REPO, "tests", "launcher", "_app.ts");

/** Runs the launcher with `args`; test machines may have fewer CPUs than a test has ranks. */
export function launch(args: readonly string[], options: ProcessOptions = {}): Promise<Finished> {
  const { command, args: full } = launcherCommand(args);
  return runProcess(command, full, { cwd: REPO, timeoutMs: 60_000, ...options });
}

/** A fresh temporary directory. */
export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-launcher-"));
}

/** The lines of `_app.ts` in `stdout`, by rank. */
export function appLines(stdout: string): Map<number, string> {
  const lines = new Map<number, string>();
  for (const line of stdout.split("\n")) {
    const match = /^app \S+ rank (\d+)\//.exec(line);
    if (match) lines.set(Number(match[1]), line);
  }
  return lines;
}
