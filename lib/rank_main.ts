/**
 * What runs inside a rank started by mpirun-deno: bootstrap the world, make `"mpirun-deno"` resolve to this
 * copy of the module (Bun and the compiled binary; Deno gets an import map from the launcher), import the
 * user's script, and turn an uncaught error into a job abort that names this rank.
 *
 * @module
 */

import { EnvName, readEnv } from "./env.ts";
import { abortJob, sendProfile, warnLeftovers, world } from "./comm/world.ts";
import { synchronousOutput } from "./runtime/sync_output.ts";
import { isCompiledBinary, markMainModule, runtimeName } from "./runtime/detect.ts";
import { exitProcess, fileUrl, nodeBuiltin, onUncaught, writeStderr } from "./runtime/host.ts";
import { aliasModule, isModuleCopy, REMOTE_MODULE } from "./runtime/module_alias.ts";

/** Exit code of a rank that ended with an uncaught exception or unhandled rejection. */
const UNCAUGHT_EXIT_CODE = 1;

/** Why a script may fail to load in a `deno compile` build (denoland/deno#18327), and what to use instead. */
const DENO_COMPILE_HINT = "mpirun-deno: an executable built by `deno compile` can import only the modules " +
  "embedded when it was built; `deno task compile` builds dist/mpirun-deno, which runs any script\n";

/**
 * `Name: message`, or Node's `Name [CODE]: message` for an MPIError, to its first line. The launcher reads
 * the `[ERR_PEER_LOST]` of a rank that died because a peer did, and blames the peer's own failure instead.
 */
function firstLine(error: unknown): string {
  const codeName = (error as { codeName?: unknown } | null)?.codeName;
  if (error instanceof Error && typeof codeName === "string") {
    return `${error.name} [${codeName}]: ${error.message}`.split("\n")[0];
  }
  if (error instanceof Error) return `${error.name}: ${error.message}`.split("\n")[0];
  return String(error).split("\n")[0];
}

/** Where Bun's `BuildMessage`/`ResolveMessage` (a script that does not parse or resolve) points. */
interface SourcePosition {
  file?: string;
  line?: number;
  column?: number;
  lineText?: string;
}

/** The build errors in `error`: itself, or those of an `AggregateError`, when they carry a `position`. */
function buildErrors(error: unknown): { message: string; position: SourcePosition }[] {
  const candidates = Array.isArray((error as { errors?: unknown } | null)?.errors)
    ? (error as { errors: unknown[] }).errors
    : [error];
  return candidates.flatMap((candidate) => {
    const position = (candidate as { position?: unknown } | null)?.position;
    if (typeof position !== "object" || position === null) return [];
    return [{ message: firstLine(candidate), position: position as SourcePosition }];
  });
}

/** `file:line:column`, where Bun said only `BuildMessage: Unexpected ;`. */
function where(position: SourcePosition): string {
  return `${position.file ?? "<unknown file>"}:${position.line ?? "?"}:${position.column ?? "?"}`;
}

/**
 * What a rank prints about `error`: its stack, or, for a script that does not build (Bun gives a
 * `BuildMessage` with no stack), each error's file, line and column with the line it points at.
 */
function describeFailure(error: unknown): string {
  const located = buildErrors(error);
  if (located.length === 0) {
    return withoutBundlePaths(error instanceof Error && error.stack ? error.stack : String(error));
  }
  return located.map(({ message, position }) => {
    const lines = [`${message}\n    at ${where(position)}`];
    if (position.lineText !== undefined) {
      lines.push(`${position.lineText}\n${" ".repeat(Math.max(0, (position.column ?? 1) - 1))}^`);
    }
    return lines.join("\n");
  }).join("\n");
}

/**
 * `text` without what the compiled binary's own bundle adds (`/$bunfs/...`): stack frames inside it, and a
 * resolver's `from "/$bunfs/root/mpirun-deno..."`. They name no file of the user's.
 */
function withoutBundlePaths(text: string): string {
  return text.split("\n").filter((line) => !/^\s+at .*\/\$bunfs\//.test(line)).join("\n")
    .replace(/ from "\/\$bunfs\/[^"]*"/g, "");
}

/** The one-line reason the launcher prints: the first line, plus where a build error points. */
function reasonOf(error: unknown): string {
  const located = buildErrors(error);
  const line = located.length === 0
    ? withoutBundlePaths(firstLine(error))
    : `${located[0].message} at ${where(located[0].position)}`;
  return located.length > 1 ? `${line} (and ${located.length - 1} more)` : line;
}

/** This library's own folder, as paths and URLs in stack frames show it. */
const LIBRARY_DIRS = [
  new URL("./", import.meta.url).href,
  decodeURIComponent(new URL("./", import.meta.url).pathname),
];

/** Frames of the runtime itself, or of the library embedded in a compiled binary. */
const RUNTIME_FRAME = /\((ext|node):|\bext:|node:internal|\(native\)|at native|\$bunfs|B:\/~BUN/;

/**
 * `trace` with only the user's frames: those of this library (`lib/rank_main.ts` importing the script, the
 * MPI calls it went through) and of the runtime are dropped. A trace with no frame of the user's keeps its
 * frames, which then say where the library failed.
 */
function userFrames(trace: string): string {
  const lines = trace.split("\n");
  const isFrame = (line: string) => /^\s+at /.test(line);
  const mine = (line: string) => LIBRARY_DIRS.some((dir) => line.includes(dir)) || RUNTIME_FRAME.test(line);
  const kept = lines.filter((line) => !isFrame(line) || !mine(line));
  return kept.some(isFrame) || !lines.some(isFrame) ? kept.join("\n") : trace;
}

/** The most of a trace the launcher is sent. */
const MAX_TRACE_CHARS = 16 * 1024;

let failed = false;

/**
 * Ends the job for an uncaught error. The trace goes to the launcher with the reason (its first line), and
 * the launcher prints the first failing rank's alone: the same error in every rank is printed once.
 * Without a launcher, this rank prints it.
 */
function fail(kind: string, error: unknown): void {
  // The first failure ends the job; later ones (often the same cause, or a broken stderr) add nothing.
  if (failed) return;
  failed = true;
  const trace = userFrames(describeFailure(error)).slice(0, MAX_TRACE_CHARS);
  abortJob(world.rank, UNCAUGHT_EXIT_CODE, `${kind}: ${reasonOf(error)}\n${trace}`);
}

/** This checkout's `mod.ts`, found next to this file at run time (a compiled binary passes its own). */
function importModule(): Promise<object> {
  return import(new URL("../mod.ts", import.meta.url).href);
}

/**
 * Makes this process a rank of the launcher's job, short of running the user's script: output, the handler
 * that turns an uncaught error into a job abort, and (Bun) the alias that makes `"mpirun-deno"` resolve to
 * the module `loadModule` imports. Returns the script's URL. A Deno rank runs it alone, as `--preload`,
 * and then the user's script as Deno's main module (see `rank_preload.ts`).
 */
export async function prepareRank(loadModule: () => Promise<object> = importModule): Promise<string> {
  const script = readEnv(EnvName.SCRIPT);
  if (!script) throw new Error(`${EnvName.SCRIPT} is not set: rank_main.ts is started by mpirun-deno`);
  synchronousOutput();
  // A broken stdout or stderr means the launcher that read them is gone: nobody is left to serve. (Deno's
  // writes throw instead, which ends the rank as an uncaught error.)
  if (runtimeName !== "deno") {
    const process = nodeBuiltin<typeof import("node:process")>("node:process");
    for (const stream of [process.stdout, process.stderr]) {
      stream.on?.("error", () => exitProcess(UNCAUGHT_EXIT_CODE));
    }
  }
  onUncaught(fail);
  await aliasModule("mpirun-deno", loadModule, { remote: REMOTE_MODULE, isCopy: isModuleCopy });
  return /^[a-z][a-z0-9+.-]*:/i.test(script) && !/^[a-z]:[\\/]/i.test(script) ? script : fileUrl(script);
}

/**
 * What a rank does once its script has run to its end: warn of requests never finished and messages nobody
 * received, and send the `--report` profile to the launcher.
 */
export async function afterScript(): Promise<void> {
  warnLeftovers();
  await sendProfile();
}

/**
 * Runs the user script named by the launcher's environment. `loadModule` imports the module that the user's
 * `"mpirun-deno"` (and, on Bun, any remote `.../mod.ts`) resolves to: by default this checkout's `mod.ts`; the
 * compiled binary passes its embedded copy. On Bun, `import.meta.main` is true in the script, as when it is
 * run by itself.
 */
export async function runRank(loadModule: () => Promise<object> = importModule): Promise<void> {
  const url = await prepareRank(loadModule);
  if (url.startsWith("file:")) markMainModule(decodeURIComponent(new URL(url).pathname));
  try {
    await import(url);
    await afterScript();
  } catch (error) {
    if (runtimeName === "deno" && isCompiledBinary()) writeStderr(DENO_COMPILE_HINT);
    fail("uncaught exception", error);
  }
}

if (import.meta.main) await runRank();
