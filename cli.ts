#!/usr/bin/env -S deno run -A
/**
 * `mpirun-deno`: starts N ranks of a TypeScript MPI program and supervises them.
 *
 * ```sh
 * deno run -A cli.ts -n 4 hello.ts [script args...]
 * bun cli.ts -n 4 --tag-output hello.ts
 * ```
 *
 * Options come before the script; everything after the script is the script's. `--help` lists them all.
 *
 * @module
 */

import process from "node:process";
import type { Writable } from "node:stream";
import { EnvName, readEnv } from "./lib/env.ts";
import { endStepInPlace, isDirectLaunch, runDirect } from "./lib/launch/direct.ts";
import { catchInterrupts } from "./lib/launch/interrupts.ts";
import { main } from "./lib/launch/main.ts";
import {
  helpText,
  resolveOptions,
  scanCommandLine,
  USAGE_HINT,
  UsageError,
  versionText,
} from "./lib/launch/options.ts";

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

/**
 * Runs the launcher with the arguments that follow the program name, and resolves with its exit code: the
 * job's, or 2 for a mistake on the command line (then nothing was started).
 *
 * @example
 * ```ts ignore
 * import { run } from "./cli.ts";
 * Deno.exit(await run(["-n", "2", "hello.ts"]));
 * ```
 */
export async function run(args: readonly string[]): Promise<number> {
  let direct = false;
  try {
    const raw = scanCommandLine(args);
    if (raw.help) {
      await write(process.stdout, helpText());
      return 0;
    }
    if (raw.version) {
      await write(process.stdout, `${versionText()}\n`);
      return 0;
    }
    // Under `srun -n 4 mpirun-deno script.ts` each task is one rank: Slurm is the launcher.
    direct = isDirectLaunch(raw, process.env);
    if (direct) return await runDirect(resolveOptions(raw));
    return await main(resolveOptions(raw));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    await write(process.stderr, `mpirun-deno: ${error.message}\n${USAGE_HINT}\n`);
    // Under srun, the other tasks' ranks would wait for this task's, which never started.
    if (!direct) return 2;
    return await endStepInPlace({
      code: 2,
      what: `did not start: ${error.message}`,
      since: Date.now(),
      reached: false,
    });
  }
}

/**
 * Runs the launcher with this process's arguments and exits with its code; an unexpected error is reported
 * as an internal error (exit 1). The entry point of `cli.ts` and of the compiled binary.
 */
export async function runAndExit(args: readonly string[] = process.argv.slice(2)): Promise<never> {
  let code: number;
  try {
    // The ssh backend runs this same program on remote hosts as its agent (a compiled binary has no other way).
    if (readEnv(EnvName.ROLE) === "agent") {
      const { runAgent } = await import("./lib/launch/remote_agent.ts");
      process.exit(await runAgent());
    }
    // Before anything else: a Ctrl-C while the launcher starts must stop the job it is starting.
    catchInterrupts();
    code = await run(args);
  } catch (error) {
    await write(process.stderr, `mpirun-deno: internal error: ${(error as Error)?.stack ?? error}\n`);
    code = 1;
  }
  process.exit(code);
}

if (import.meta.main) await runAndExit();
