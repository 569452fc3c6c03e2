/**
 * Keeps the import direction of STYLE.md true: each layer of lib/ imports only the layers below it, the three
 * shared leaf modules import nothing, and only `runtime/` and `env.ts` touch the `Deno` and `Bun` globals.
 * Its own tests are in `tests/check_layers_test.ts`.
 *
 * ```sh
 * deno run -A scripts/check_layers.ts
 * ```
 *
 * @module
 */

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import process from "node:process";

/**
 * What each layer may import besides itself and the leaf modules: a layer (a folder of lib/, or a file at the
 * top) or one module of a layer (`runtime/detect.ts`).
 */
export const LAYERS: Readonly<Record<string, readonly string[]>> = {
  "mod.ts": ["comm"],
  "cli.ts": ["launch"],
  // The compiled executable is both the launcher and its ranks: it starts one or the other.
  "main_binary.ts": ["cli.ts", "mod.ts", "rank_main.ts"],
  "rank_main.ts": ["bootstrap", "comm", "runtime"],
  "rank_preload.ts": ["rank_main.ts"],
  runtime: [],
  wire: ["runtime"],
  transport: ["wire", "runtime"],
  p2p: ["transport", "wire"],
  // Datatypes: layouts of typed elements, and buffer arguments resolved by them (wire/buffers.ts for plain ones).
  datatypes: ["wire"],
  collectives: ["p2p", "datatypes", "wire"],
  bootstrap: ["transport", "wire", "runtime"],
  comm: ["collectives", "datatypes", "p2p", "wire"],
  // The launcher uses only the rendezvous protocol of bootstrap/, Slurm's host list notation (pure) and Slurm's
  // word on its nodes, never a rank's bootstrap.
  launch: [
    "bootstrap/protocol.ts",
    "bootstrap/hostlist.ts",
    "bootstrap/slurm_nodes.ts",
    "transport",
    "wire",
    "runtime",
  ],
};

/** Single modules that may import more than their layer. */
export const EXTRA: Readonly<Record<string, readonly string[]>> = {
  // Bootstrap, then the transport, then the engine: the one place that builds a rank's world. It exits the
  // process and writes to stderr through runtime/host.ts.
  "comm/world.ts": ["bootstrap", "transport", "runtime/host.ts"],
  // Get_library_version names the runtime.
  "comm/environment.ts": ["runtime/detect.ts"],
  // --report asks whether a call's promise has already settled, where the runtime can tell (Bun).
  "comm/profile.ts": ["runtime/detect.ts"],
  // Under direct `srun`, the task stands in for its rank when the rank dies before it joined the step: it
  // reads how far the rank got, and joins the rendezvous in its place with the rank's own bootstrap.
  "launch/direct.ts": ["bootstrap/join_progress.ts", "bootstrap/slurm.ts"],
};

/** Modules every layer may import; they import nothing of the project. */
export const LEAVES: ReadonlySet<string> = new Set(["errors.ts", "constants.ts", "env.ts"]);

/** Where the `Deno` and `Bun` globals may appear (besides comments): a folder or a module of lib/. */
export const RUNTIME_GLOBALS: readonly string[] = ["runtime", "env.ts"];

/** The layer of a module: its folder in lib/ (`p2p`), a module at lib/'s top, or a file at the repository's. */
function layerOf(inLib: string | undefined, fromRoot: string): string {
  if (inLib === undefined) return fromRoot;
  return inLib.includes("/") ? inLib.split("/")[0] : inLib;
}

/** `path` relative to lib/, or undefined when it is outside. */
function libPath(path: string): string | undefined {
  return path.startsWith("lib/") ? path.slice(4) : undefined;
}

/** Every relative module specifier `text` imports or re-exports, side-effect imports (`import "x"`) too. */
export function importsOf(text: string): string[] {
  const pattern =
    /(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;
  const specifiers: string[] = [];
  for (const match of text.matchAll(pattern)) {
    const specifier = match[1] ?? match[2] ?? match[3];
    if (specifier.startsWith(".")) specifiers.push(specifier);
  }
  return specifiers;
}

/** `text` without its comments (a `//` after a colon is kept: a URL). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:\\])\/\/.*$/gm, "$1");
}

/**
 * The problems of one module, given its path from the repository's root (with `/`) and its text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSource } from "./check_layers.ts";
 * assert.deepEqual(checkSource("lib/wire/frame.ts", `import { x } from "../runtime/host.ts";`), []);
 * assert.equal(checkSource("lib/runtime/host.ts", `import { y } from "../wire/frame.ts";`).length, 1);
 * ```
 */
export function checkSource(file: string, text: string): string[] {
  const problems: string[] = [];
  const fromLib = libPath(file);
  const from = layerOf(fromLib, file);
  for (const specifier of importsOf(text)) {
    const target = join(dirname(file), specifier).replaceAll("\\", "/");
    const toLib = libPath(target);
    const to = layerOf(toLib, target);
    const where = `${file} imports ${specifier}`;
    if (target === file) continue; // a doc example that imports its own module
    if (fromLib !== undefined && LEAVES.has(fromLib)) {
      problems.push(`${where}: ${fromLib} is a leaf module and imports nothing of the project`);
      continue;
    }
    if (to === from || (toLib !== undefined && LEAVES.has(toLib))) continue;
    if ((to === "mod.ts" || to === "cli.ts") && from !== "main_binary.ts") {
      problems.push(`${where}: nothing in lib/ imports mod.ts or cli.ts`);
      continue;
    }
    const allowed = [...(LAYERS[from] ?? []), ...(fromLib !== undefined ? EXTRA[fromLib] ?? [] : [])];
    if (allowed.includes(to) || (toLib !== undefined && allowed.includes(toLib))) continue;
    const modules = allowed.filter((entry) => entry.startsWith(`${to}/`));
    problems.push(
      modules.length > 0
        ? `${where}: ${fromLib ?? from} may import only ${modules.join(", ")} of ${to}`
        : `${where}: ${fromLib !== undefined && EXTRA[fromLib] ? fromLib : from} may not import ${to}`,
    );
  }
  const mayUseGlobals = fromLib !== undefined &&
    RUNTIME_GLOBALS.some((place) => fromLib === place || fromLib.startsWith(`${place}/`));
  if (!mayUseGlobals) {
    const code = withoutComments(text);
    for (const match of code.matchAll(/(?<![\w$])(Deno|Bun)\??\.[A-Za-z_$]/g)) {
      const line = code.slice(0, match.index).split("\n").length;
      problems.push(
        `${file}:${line} uses the ${match[1]} global: only lib/runtime/ and lib/env.ts may (ask runtime/)`,
      );
    }
  }
  return problems;
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith(".ts")) yield path;
  }
}

/** The problems of every module of the repository at `root`: mod.ts, cli.ts, main_binary.ts and lib/. */
export function checkRepository(root: string): string[] {
  const problems: string[] = [];
  const paths = ["mod.ts", "cli.ts", "main_binary.ts"].map((name) => join(root, name));
  for (const path of [...paths, ...files(join(root, "lib"))]) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      continue;
    }
    problems.push(...checkSource(relative(root, path).replaceAll("\\", "/"), text));
  }
  return problems;
}

if (import.meta.main) {
  const problems = checkRepository(resolve(dirname(new URL(import.meta.url).pathname), ".."));
  if (problems.length > 0) {
    console.error(problems.join("\n"));
    process.exit(1);
  }
  console.log("layers ok");
}
