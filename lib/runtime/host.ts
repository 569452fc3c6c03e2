/**
 * What a rank needs from its process: its id, the platform, exiting, writing to stderr, hooks for the end of
 * the process and for uncaught errors, and keeping a timer from holding the process open. On Deno these come
 * from Deno's own API: the first touch of `process` (or of any `node:` module) loads Deno's Node
 * compatibility layer, which costs every rank 15-30 ms of processor time at start (measured: an empty script
 * takes 16 ms, one that reads `process.env` 30 ms, one that imports `node:fs`, `node:net` and `node:crypto`
 * 47 ms). Nothing a Deno rank imports before the user's script touches them. On Bun and Node they come from
 * `process`, which costs nothing there.
 *
 * @module
 */

import { runtimeName } from "./detect.ts";

// deno-lint-ignore no-explicit-any
const globals = globalThis as any;
/** Deno's namespace on Deno, else undefined. */
// deno-lint-ignore no-explicit-any
const deno: any = runtimeName === "deno" ? globals.Deno : undefined;
/** `process` on Bun and Node, else undefined (never touched on Deno). */
const nodeProcess: typeof globalThis.process | undefined = deno ? undefined : globals.process;

/** A timer as the runtime's global `setTimeout`/`setInterval` returns it. */
export type TimerHandle = ReturnType<typeof setTimeout>;

/** This process's id. */
export const pid: number = deno ? deno.pid : nodeProcess!.pid;

/** The operating system, as Node names it: `"linux"`, `"darwin"`, `"win32"`. */
export const platform: string = deno
  ? (deno.build.os === "windows" ? "win32" : deno.build.os)
  : nodeProcess!.platform;

/**
 * A built-in module of Bun or Node (`"node:os"`), loaded on first use; never called on Deno.
 *
 * @example
 * ```ts ignore
 * const os = nodeBuiltin<typeof import("node:os")>("node:os");
 * ```
 */
export function nodeBuiltin<T>(name: string): T {
  // deno-lint-ignore no-explicit-any
  return (nodeProcess as any).getBuiltinModule(name) as T;
}

/** Ends the process with `code` at once. */
export function exitProcess(code: number): never {
  if (deno) deno.exit(code);
  return nodeProcess!.exit(code);
}

/**
 * Writes `text` to stderr, then calls `done` (if given), also when the write failed: a broken stderr (its
 * reader is gone) is not an error here, there is nobody left to tell.
 *
 * @example
 * ```ts
 * import { writeStderr } from "./host.ts";
 * writeStderr("mpirun-deno: a warning\n");
 * ```
 */
export function writeStderr(text: string, done?: () => void): void {
  if (deno) {
    const bytes = new TextEncoder().encode(text);
    try {
      for (let offset = 0; offset < bytes.length;) offset += deno.stderr.writeSync(bytes.subarray(offset));
    } catch {
      // Broken: see above.
    }
    if (done) queueMicrotask(done);
    return;
  }
  try {
    nodeProcess!.stderr.write(text, done && (() => done()));
  } catch {
    if (done) queueMicrotask(done);
  }
}

/**
 * Calls `callback` when the event loop has nothing left to do; work it schedules keeps the process alive (and
 * the callback may be called again when that is done), as Node's `beforeExit`.
 */
export function onBeforeExit(callback: () => void): void {
  if (deno) globals.addEventListener("beforeunload", callback);
  else nodeProcess!.on("beforeExit", callback);
}

/** Calls `callback` as the process exits (it must not wait for anything). */
export function onExit(callback: () => void): void {
  if (deno) globals.addEventListener("unload", callback);
  else nodeProcess!.on("exit", callback);
}

/**
 * Hands every uncaught exception and unhandled promise rejection to `handler` instead of the runtime's
 * default (which prints it and exits). `kind` says which of the two it was.
 *
 * @example
 * ```ts ignore
 * onUncaught((kind, error) => console.error(kind, error));
 * ```
 */
export function onUncaught(handler: (kind: string, error: unknown) => void): void {
  if (deno) {
    globals.addEventListener("error", (event: ErrorEvent) => {
      event.preventDefault();
      handler("uncaught exception", event.error);
    });
    globals.addEventListener("unhandledrejection", (event: PromiseRejectionEvent) => {
      event.preventDefault();
      handler("unhandled promise rejection", event.reason);
    });
    return;
  }
  nodeProcess!.on("uncaughtException", (error) => handler("uncaught exception", error));
  nodeProcess!.on("unhandledRejection", (error) => handler("unhandled promise rejection", error));
}

/** Lets the process exit while `timer` is pending. */
export function unrefTimer(timer: TimerHandle): void {
  if (deno) deno.unrefTimer(timer);
  else (timer as { unref(): void }).unref();
}

/** Keeps the process alive while `timer` is pending (the default for a new timer). */
export function refTimer(timer: TimerHandle): void {
  if (deno) deno.refTimer(timer);
  else (timer as { ref(): void }).ref();
}

/** This host's name, as `Get_processor_name()` reports it. */
export function hostname(): string {
  return deno ? deno.hostname() : nodeBuiltin<typeof import("node:os")>("node:os").hostname();
}

/** How many processors this process may use. */
export function cpuCount(): number {
  return deno
    ? globals.navigator.hardwareConcurrency || 1
    : nodeBuiltin<typeof import("node:os")>("node:os").cpus().length || 1;
}

/** The IPv4 address of network interface `name` on this host, or undefined. */
export function interfaceIPv4(name: string): string | undefined {
  if (deno) {
    const entry = deno.networkInterfaces().find((entry: { name: string; family: string }) =>
      entry.name === name && entry.family === "IPv4"
    );
    return entry?.address;
  }
  const interfaces = nodeBuiltin<typeof import("node:os")>("node:os").networkInterfaces();
  return interfaces[name]?.find((entry) => entry.family === "IPv4")?.address;
}

/** The directory for temporary files. */
export function tempDirectory(): string {
  if (deno) return deno.env.get("TMPDIR") || "/tmp";
  return nodeBuiltin<typeof import("node:os")>("node:os").tmpdir();
}

/** Replaces what the file at `path` holds with `text`; false when it could not be written. */
export function writeFileQuietly(path: string, text: string): boolean {
  try {
    if (deno) deno.writeTextFileSync(path, text);
    else nodeBuiltin<typeof import("node:fs")>("node:fs").writeFileSync(path, text);
    return true;
  } catch {
    return false;
  }
}

/** Removes the file at `path`, if it is there. */
export function removeFileQuietly(path: string): void {
  try {
    if (deno) deno.removeSync(path);
    else nodeBuiltin<typeof import("node:fs")>("node:fs").unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * The `file:` URL of an absolute path, with `%`, `#`, `?` and control characters escaped (as Node's
 * `pathToFileURL`).
 *
 * @example
 * ```ts
 * import { fileUrl } from "./host.ts";
 * console.log(fileUrl("/tmp/a #1.ts")); // "file:///tmp/a%20%231.ts"
 * ```
 */
export function fileUrl(path: string): string {
  const url = new URL("file:///");
  if (platform === "win32") path = `/${path.replace(/\\/g, "/")}`; // C:\dir\a.ts: file:///C:/dir/a.ts
  url.pathname = path.replace(/%/g, "%25").replace(/\\/g, "%5C").replace(/\n/g, "%0A").replace(/\r/g, "%0D")
    .replace(/\t/g, "%09");
  return url.href;
}

/** `count` random bytes from the platform's secure generator. */
export function randomBytes(count: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(count));
}

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}
