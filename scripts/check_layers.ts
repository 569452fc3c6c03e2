/**
 * Keeps the import direction of STYLE.md true: each layer of lib/ imports only the layers below it.
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

const root = resolve(dirname(new URL(import.meta.url).pathname), "..");

/** Which layers each layer may import (besides itself and the shared leaf modules). */
const allowed: Record<string, string[]> = {
  "mod.ts": ["comm"],
  "cli.ts": ["launch"],
  // The compiled executable is both the launcher and its ranks: it starts one or the other.
  "main_binary.ts": ["cli.ts", "mod.ts", "rank_main.ts"],
  "rank_main.ts": ["bootstrap", "comm", "runtime"],
  comm: ["collectives", "p2p", "transport", "wire", "runtime", "bootstrap"],
  collectives: ["p2p", "wire", "runtime"],
  p2p: ["transport", "wire", "runtime"],
  transport: ["wire", "runtime"],
  wire: ["runtime"],
  runtime: [],
  bootstrap: ["transport", "wire", "runtime"],
  launch: ["bootstrap", "transport", "wire", "runtime"],
};
/** Modules every layer may import; they import nothing of the project. */
const leaves = new Set(["errors.ts", "constants.ts", "env.ts"]);
/**
 * The launcher may use only the rendezvous protocol of bootstrap/ and Slurm's host list notation (pure),
 * never a rank's bootstrap.
 */
const launcherBootstrap = new Set(["bootstrap/protocol.ts", "bootstrap/hostlist.ts"]);

function layerOf(path: string): string {
  const inLib = relative(join(root, "lib"), path);
  if (inLib.startsWith("..")) return relative(root, path);
  return inLib.includes("/") ? inLib.split("/")[0] : inLib;
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith(".ts")) yield path;
  }
}

const problems: string[] = [];
for (
  const file of [
    join(root, "mod.ts"),
    join(root, "cli.ts"),
    join(root, "main_binary.ts"),
    ...files(join(root, "lib")),
  ]
) {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    continue;
  }
  const from = layerOf(file);
  for (
    const match of text.matchAll(
      /(?:import|export)\s[^"']*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g,
    )
  ) {
    const specifier = match[1] ?? match[2];
    if (!specifier.startsWith(".")) continue;
    const target = resolve(dirname(file), specifier);
    const to = layerOf(target);
    const inLib = relative(join(root, "lib"), target);
    if (to === from || leaves.has(inLib)) continue;
    if ((to === "mod.ts" || to === "cli.ts") && from !== "main_binary.ts") {
      problems.push(`${relative(root, file)} imports ${specifier}: nothing in lib/ imports mod.ts or cli.ts`);
      continue;
    }
    if (from === "launch" && to === "bootstrap" && !launcherBootstrap.has(inLib)) {
      problems.push(
        `${relative(root, file)} imports ${specifier}: the launcher uses only protocol.ts, hostlist.ts`,
      );
      continue;
    }
    if (!(allowed[from] ?? []).includes(to)) {
      problems.push(`${relative(root, file)} imports ${specifier}: ${from} may not import ${to}`);
    }
  }
}

if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}
console.log("layers ok");
