/**
 * Builds the single `mpirun-deno` executable: `bun build --compile` of `main_binary.ts` into
 * `dist/mpirun-deno` (launcher, ranks and the runtime module in one file; no Deno, Bun or Node needed where it
 * runs). With `--deno`, builds `dist/mpirun-deno-deno` with `deno compile` instead, which downloads Deno's
 * runtime (`denort`) the first time and so needs the network.
 *
 * ```sh
 * deno task compile            # = deno run -A scripts/build_binary.ts
 * deno task compile:deno       # = deno run -A scripts/build_binary.ts --deno
 * deno run -A scripts/build_binary.ts --if-stale    # only when a source is newer than the binary
 * ```
 *
 * Prints the size of the result and what it says to `--version`; exits 1 with the builder's own message
 * when the build fails.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO: string = fileURLToPath(new URL("../", import.meta.url));

/** The entry point of both builds. */
export const ENTRY: string = path.join(REPO, "main_binary.ts");

/** Where `deno task compile` puts the Bun-built executable. */
export const BINARY: string = path.join(REPO, "dist", "mpirun-deno");

/** Where `deno task compile:deno` puts the Deno-built executable. */
export const DENO_BINARY: string = path.join(REPO, "dist", "mpirun-deno-deno");

/** Which builder makes the executable. */
export type Builder = "bun" | "deno";

/** What a build produced, or why it failed. */
export interface BuildResult {
  ok: boolean;
  /** The executable (only meaningful when `ok`). */
  output: string;
  /** Its size in bytes (0 when the build failed). */
  bytes: number;
  /** Everything the builder printed. */
  log: string;
  /** The build failed because the builder could not download what it needs (Deno's `denort`). */
  offline: boolean;
}

/** Options of {@linkcode buildBinary}. */
export interface BuildOptions {
  builder?: Builder;
  /** Where to write the executable; default {@linkcode BINARY} or {@linkcode DENO_BINARY}. */
  output?: string;
  /** Kill the builder after this long (it then counts as failed). Default: 10 minutes. */
  timeoutMs?: number;
}

/** What the builders print when they cannot reach the network to fetch a runtime. */
const OFFLINE =
  /error sending request|dns error|failed to lookup address|Connection refused|network|timed out/i;

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The executable of `name`: the one running this script, the repository's `node_modules/.bin`, or PATH. */
export function findTool(name: Builder): string {
  const running = path.basename(process.execPath).replace(/\.exe$/, "");
  if (running === name) return process.execPath;
  const local = path.join(REPO, "node_modules", ".bin", name);
  if (isExecutable(local)) return local;
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir !== "" && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return name;
}

function* sources(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(file);
    else if (/\.(?:ts|json)$/.test(entry.name)) yield file;
  }
}

/** The files a build embeds or depends on. */
function inputs(): string[] {
  const top = ["main_binary.ts", "cli.ts", "mod.ts", "deno.json", "package.json", "scripts/build_binary.ts"];
  return [...top.map((name) => path.join(REPO, name)), ...sources(path.join(REPO, "lib"))];
}

/**
 * Is `output` missing, or older than any source it is built from?
 *
 * @example
 * ```ts ignore
 * if (binaryIsStale()) buildBinary();
 * ```
 */
export function binaryIsStale(output: string = BINARY): boolean {
  let built: number;
  try {
    built = fs.statSync(output).mtimeMs;
  } catch {
    return true;
  }
  return inputs().some((file) => {
    try {
      return fs.statSync(file).mtimeMs > built;
    } catch {
      return false;
    }
  });
}

/** The builder's command line that writes the executable to `output`. */
function buildCommand(builder: Builder, output: string): { command: string; args: string[] } {
  if (builder === "deno") {
    return {
      command: findTool("deno"),
      args: ["compile", "-A", "--no-check", "--output", output, ENTRY],
    };
  }
  return {
    command: findTool("bun"),
    // .env and bunfig.toml of the directory a rank runs in belong to the user's project, not to mpirun-deno.
    // Bytecode halves start-up (every rank starts the executable anew) for 2% more size.
    args: [
      "build",
      "--compile",
      "--bytecode",
      "--format",
      "esm",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      "--outfile",
      output,
      ENTRY,
    ],
  };
}

/**
 * Builds the executable. It is written beside its destination first and then renamed into place, so that a
 * job running the old executable, or a concurrent build, never sees half a file.
 *
 * @example
 * ```ts ignore
 * const result = buildBinary();
 * if (!result.ok) throw new Error(result.log);
 * ```
 */
export function buildBinary(options: BuildOptions = {}): BuildResult {
  const builder = options.builder ?? "bun";
  const output = options.output ?? (builder === "bun" ? BINARY : DENO_BINARY);
  fs.mkdirSync(path.dirname(output), { recursive: true });
  const partial = `${output}.${process.pid}.partial`;
  const { command, args } = buildCommand(builder, partial);
  const run = spawnSync(command, args, {
    cwd: REPO,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 600_000,
    killSignal: "SIGKILL",
  });
  const log = `${run.stdout ?? ""}${run.stderr ?? ""}${run.error ? `${run.error.message}\n` : ""}`;
  if (run.status !== 0 || !fs.existsSync(partial)) {
    fs.rmSync(partial, { force: true });
    // deno compile may leave its own temporary file beside the output.
    for (const name of fs.readdirSync(path.dirname(output))) {
      if (name.startsWith(`${path.basename(partial)}.tmp`)) fs.rmSync(path.join(path.dirname(output), name));
    }
    return { ok: false, output, bytes: 0, log, offline: OFFLINE.test(log) };
  }
  fs.renameSync(partial, output);
  return { ok: true, output, bytes: fs.statSync(output).size, log, offline: false };
}

/** `bytes` as mebibytes with one decimal, e.g. `"104.3 MiB"`. */
export function mebibytes(bytes: number): string {
  return `${(bytes / (1 << 20)).toFixed(1)} MiB`;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const unknown = args.filter((arg) => arg !== "--deno" && arg !== "--if-stale");
  if (unknown.length > 0) {
    console.error(`build_binary: unknown argument ${unknown[0]} (expected --deno, --if-stale)`);
    process.exit(2);
  }
  const builder: Builder = args.includes("--deno") ? "deno" : "bun";
  const output = builder === "bun" ? BINARY : DENO_BINARY;
  if (args.includes("--if-stale") && !binaryIsStale(output)) {
    console.log(`${path.relative(REPO, output)} is up to date (${mebibytes(fs.statSync(output).size)})`);
    process.exit(0);
  }
  const result = buildBinary({ builder });
  if (!result.ok) {
    process.stderr.write(result.log);
    const why = result.offline
      ? builder === "deno"
        ? "deno compile could not download Deno's runtime (denort); it needs the network the first time"
        : "bun could not download what it needs"
      : `${builder} exited with an error`;
    console.error(`build_binary: building ${path.relative(REPO, output)} failed: ${why}`);
    process.exit(1);
  }
  const version = spawnSync(output, ["--version"], { encoding: "utf8", timeout: 30_000 });
  if (version.status !== 0) {
    process.stderr.write(`${version.stdout ?? ""}${version.stderr ?? ""}`);
    console.error(`build_binary: ${path.relative(REPO, output)} was built but \`--version\` failed`);
    process.exit(1);
  }
  console.log(`${path.relative(REPO, output)}: ${mebibytes(result.bytes)}, ${version.stdout.trim()}`);
}
