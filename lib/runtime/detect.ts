/**
 * Which runtime this process runs on, and the facts that differ between them.
 *
 * @module
 */

import type { RuntimeName } from "./runtime.ts";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;

/** The runtime this process runs on. */
export const runtimeName: RuntimeName = typeof globals.Deno?.version?.deno === "string"
  ? "deno"
  : typeof globals.Bun?.version === "string"
  ? "bun"
  : "node";

/** The runtime's version string, such as `"2.5.0"`. */
export const runtimeVersion: string = runtimeName === "deno"
  ? globals.Deno.version.deno
  : runtimeName === "bun"
  ? globals.Bun.version
  : globals.process.versions.node;

/** The path of the executable running this process (the runtime, or the compiled mpirun-deno binary). */
export function execPath(): string {
  return runtimeName === "deno" ? globals.Deno.execPath() : globals.process.execPath;
}

/**
 * Is this process a single executable, built by `bun build --compile` or by `deno compile`? Bun's embeds its
 * sources under a virtual `/$bunfs/` (Windows: `B:/~BUN/`) root; Deno's says so in `Deno.build.standalone`.
 */
export function isCompiledBinary(): boolean {
  if (runtimeName === "deno") return globals.Deno.build?.standalone === true;
  if (runtimeName !== "bun") return false;
  const main: string = globals.Bun.main ?? "";
  return main.startsWith("/$bunfs/") || main.startsWith("B:/~BUN/") || main.startsWith("B:\\~BUN\\");
}
