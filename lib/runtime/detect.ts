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

/**
 * Does a new small typed array cost less than a view of a part of a larger one (`subarray`)? On JavaScriptCore
 * (Bun) it does: about 8 against 37 ns. On V8 (Deno, Node) it is the reverse: about 310 against 25 ns, a new
 * array getting a backing store of its own (measured on the 2-core VM). The hot paths of small messages make
 * whichever is cheaper.
 */
export const smallArraysAreCheap: boolean = runtimeName === "bun";

/** The path of the executable running this process (the runtime, or the compiled mpirun-deno binary). */
export function execPath(): string {
  return runtimeName === "deno" ? globals.Deno.execPath() : globals.process.execPath;
}

/** Bun's `Bun.main` as the process started: a rank later points it at the user's script. */
const startMain: string = runtimeName === "bun" ? String(globals.Bun.main ?? "") : "";

/**
 * Is this process a single executable, built by `bun build --compile` or by `deno compile`? Bun's embeds its
 * sources under a virtual `/$bunfs/` (Windows: `B:/~BUN/`) root; Deno's says so in `Deno.build.standalone`.
 */
export function isCompiledBinary(): boolean {
  if (runtimeName === "deno") return globals.Deno.build?.standalone === true;
  if (runtimeName !== "bun") return false;
  return startMain.startsWith("/$bunfs/") || startMain.startsWith("B:/~BUN/") ||
    startMain.startsWith("B:\\~BUN\\");
}

/**
 * The script's own arguments, as `Deno.args` gives them on Deno: what follows the script on the command line
 * (`mpirun-deno -n 4 app.ts a b` gives every rank `["a", "b"]`), on Deno, Bun and the compiled binary alike.
 *
 * @example
 * ```ts
 * import { scriptArguments } from "./detect.ts";
 * console.log(Array.isArray(scriptArguments())); // true
 * ```
 */
export function scriptArguments(): string[] {
  if (runtimeName === "deno") return [...globals.Deno.args];
  return globals.process.argv.slice(2);
}

/**
 * Makes `file` the main module of this process where the runtime allows it: on Bun, where
 * `import.meta.main` compares a module with `Bun.main`, a rank's script then sees `import.meta.main` true,
 * as when run by itself. Deno ranks run the script as the main module instead; elsewhere nothing is done.
 *
 * @example
 * ```ts ignore
 * markMainModule("/home/me/app.ts");
 * ```
 */
export function markMainModule(file: string): void {
  if (runtimeName === "bun") globals.Bun.main = file;
}

/**
 * Says, without waiting, whether `promise` has settled; `undefined` on runtimes that cannot tell (only Bun
 * can: `Bun.peek.status`). `--report` times a call whose promise settled before it returned without a
 * reaction of its own.
 *
 * @example
 * ```ts
 * import { settledNow } from "./detect.ts";
 * console.log(settledNow?.(Promise.resolve(1))); // true on Bun, undefined elsewhere
 * ```
 */
export const settledNow: ((promise: Promise<unknown>) => boolean) | undefined = peekSettled(
  runtimeName === "bun" ? globals.Bun.peek?.status : undefined,
);

/** `settledNow` on `Bun.peek.status`, looked up once (it needs no `this`). */
function peekSettled(status: unknown): ((promise: Promise<unknown>) => boolean) | undefined {
  if (typeof status !== "function") return undefined;
  return (promise) => status(promise) !== "pending";
}
