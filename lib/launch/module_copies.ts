/**
 * Finds the other copies of this project's module that a user's script imports: a remote `.../mod.ts`
 * (`import { MPI } from "https://host/v1/mod.ts"`) or a local copy of `mod.ts` (another checkout, a vendored
 * copy), in the script or in any local file it imports, directly or through its project's import map. A
 * Deno rank maps each of them to the launcher's own module, so that the process holds one copy of its
 * classes (`Op`, `MPIError`, `Comm`), as Bun ranks do through `lib/runtime/module_alias.ts`.
 *
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isModuleCopy, REMOTE_MODULE } from "../runtime/module_alias.ts";

/** The most local files read while looking: a bound on the time a huge project costs each launch. */
const MAX_FILES = 2000;

/** A specifier in an import or re-export position: `from "x"`, `import "x"`, `import("x")`. */
const SPECIFIER = /(?:\bfrom|\bimport)\s*\(?\s*(["'])([^"'\n]+)\1/g;

/** The extensions of the local files followed. */
const SOURCE = /\.(?:ts|tsx|mts|js|jsx|mjs)$/;

/** Is `url` a copy of the module, to be mapped to `moduleUrl`? Remote ones by their address, local by content. */
export function isOtherCopy(url: string, moduleUrl: string): boolean {
  if (url === moduleUrl) return false;
  if (REMOTE_MODULE.test(url)) return true;
  if (!url.startsWith("file:") || !url.endsWith("/mod.ts")) return false;
  try {
    const file = fileURLToPath(url);
    return isModuleCopy(file, fs.readFileSync(file, "utf8"));
  } catch {
    return false;
  }
}

/**
 * The addresses (`https:` or `file:` URLs) of copies of the module, other than `moduleUrl`, that `script`
 * and the local files it imports name. `imports` is the project's import map (absolute targets), used to
 * resolve bare specifiers. A remote `script` is not looked into.
 *
 * @example
 * ```ts
 * import { findModuleCopies } from "./module_copies.ts";
 * console.log(findModuleCopies("/nonexistent/app.ts", {}, "file:///opt/mpirun-deno/mod.ts")); // []
 * ```
 */
export function findModuleCopies(
  script: string,
  imports: Readonly<Record<string, string>>,
  moduleUrl: string,
): string[] {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(script)) return [];
  const copies = new Set<string>();
  const seen = new Set<string>();
  const pending = [pathToFileURL(path.resolve(script)).href];
  while (pending.length > 0 && seen.size < MAX_FILES) {
    const url = pending.pop()!;
    if (seen.has(url)) continue;
    seen.add(url);
    let text: string;
    try {
      text = fs.readFileSync(fileURLToPath(url), "utf8");
    } catch {
      continue;
    }
    for (const match of text.matchAll(SPECIFIER)) {
      const specifier = match[2];
      const target = /^(?:\.{1,2}\/|\/|file:)/.test(specifier)
        ? new URL(specifier, url).href
        : imports[specifier] ?? specifier;
      if (isOtherCopy(target, moduleUrl)) copies.add(target);
      else if (target.startsWith("file:") && SOURCE.test(target) && !target.includes("/node_modules/")) {
        pending.push(target);
      }
    }
  }
  return [...copies];
}
