/**
 * What runs inside a rank started by mpirun-deno: bootstrap the world, make `"mpirun-deno"` resolve to this
 * copy of the module (Bun and the compiled binary; Deno gets an import map from the launcher), import the
 * user's script, and turn an uncaught error into a job abort that names this rank.
 *
 * @module
 */

import process from "node:process";
import { pathToFileURL } from "node:url";
import { EnvName, readEnv } from "./env.ts";
import { abortJob, world } from "./comm/world.ts";
import { synchronousOutput } from "./runtime/sync_output.ts";
import { aliasModule } from "./runtime/module_alias.ts";

/** Exit code of a rank that ended with an uncaught exception or unhandled rejection. */
const UNCAUGHT_EXIT_CODE = 1;

function firstLine(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.split("\n")[0];
  return String(error).split("\n")[0];
}

function fail(kind: string, error: unknown): void {
  const detail = error instanceof Error && error.stack ? error.stack : String(error);
  process.stderr.write(`${detail}\n`);
  abortJob(world.rank, UNCAUGHT_EXIT_CODE, `${kind}: ${firstLine(error)}`);
}

/** Runs the user script named by the launcher's environment. */
export async function runRank(): Promise<void> {
  const script = readEnv(EnvName.SCRIPT);
  if (!script) throw new Error(`${EnvName.SCRIPT} is not set: rank_main.ts is started by mpirun-deno`);
  synchronousOutput();
  process.on("uncaughtException", (error) => fail("uncaught exception", error));
  process.on("unhandledRejection", (error) => fail("unhandled promise rejection", error));
  await aliasModule("mpirun-deno", new URL("../mod.ts", import.meta.url).href);
  const url = /^[a-z][a-z0-9+.-]*:/i.test(script) && !/^[a-z]:[\\/]/i.test(script)
    ? script
    : pathToFileURL(script).href;
  try {
    await import(url);
  } catch (error) {
    fail("uncaught exception", error);
  }
}

if (import.meta.main) await runRank();
