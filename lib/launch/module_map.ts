/**
 * How a Deno rank resolves `"mpirun-deno"` in the user's script: an import map that sends it to this copy
 * of `mod.ts`. Deno takes one import map only, and `--import-map` replaces the `imports` of the user's
 * `deno.json`; so when the script's project has an import map of its own, the rank gets that map with
 * `mpirun-deno` added (as a `data:` URL, with relative addresses made absolute; copies of the module
 * imported some other way are sent to this one too), and otherwise the fixed `rank_import_map.json`. Bun ranks and the compiled binary resolve the name inside `rank_main.ts`.
 *
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { findModuleCopies, isOtherCopy } from "./module_copies.ts";

/** An import map as Deno reads it. */
interface ImportMap {
  imports?: Record<string, string>;
  scopes?: Record<string, Record<string, string>>;
}

/** Calls `visit` for each character outside strings; strings are copied whole. */
function outsideStrings(text: string, visit: (index: number) => { text: string; skip: number }): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      out += text.slice(start, i + 1);
      continue;
    }
    const step = visit(i);
    out += step.text;
    i += step.skip;
  }
  return out;
}

/** Removes `//` and `/* *\/` comments and trailing commas from JSONC, leaving strings alone. */
export function stripJsonComments(text: string): string {
  const uncommented = outsideStrings(text, (i) => {
    if (text.startsWith("//", i)) {
      const end = text.indexOf("\n", i);
      return { text: "\n", skip: (end < 0 ? text.length : end) - i };
    }
    if (text.startsWith("/*", i)) {
      const end = text.indexOf("*/", i + 2);
      return { text: " ", skip: (end < 0 ? text.length : end + 2) - i - 1 };
    }
    return { text: text[i], skip: 0 };
  });
  return outsideStrings(uncommented, (i) => {
    const trailing = uncommented[i] === "," && /^\s*[}\]]/.test(uncommented.slice(i + 1));
    return { text: trailing ? "" : uncommented[i], skip: 0 };
  });
}

/** The `deno.json` or `deno.jsonc` nearest above `dir`, if any. */
function findDenoConfig(dir: string): string | undefined {
  for (let current = dir;; current = path.dirname(current)) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const candidate = path.join(current, name);
      if (fs.existsSync(candidate)) return candidate;
    }
    if (path.dirname(current) === current) return undefined;
  }
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(stripJsonComments(fs.readFileSync(file, "utf8")));
}

/** Makes relative addresses of a specifier map absolute against `base`. */
function absolute(map: Record<string, string>, base: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, target] of Object.entries(map)) {
    const relative = (text: string) => /^(\.{1,2})?\//.test(text);
    out[relative(key) ? new URL(key, base).href : key] = relative(target)
      ? new URL(target, base).href
      : target;
  }
  return out;
}

/** The import map of the project around `script`, with relative addresses made absolute; or none. */
export function projectImportMap(script: string): ImportMap | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(script)) return undefined;
  const config = findDenoConfig(path.dirname(script));
  if (config === undefined) return undefined;
  let json = readJson(config);
  let base = pathToFileURL(config);
  if (typeof json.importMap === "string") {
    base = new URL(json.importMap, base);
    json = readJson(fileURLToPath(base));
  }
  const imports = json.imports as Record<string, string> | undefined;
  const scopes = json.scopes as Record<string, Record<string, string>> | undefined;
  if (imports === undefined && scopes === undefined) return undefined;
  const map: ImportMap = { imports: absolute(imports ?? {}, base) };
  if (scopes !== undefined) {
    map.scopes = {};
    for (const [scope, entries] of Object.entries(scopes)) {
      map.scopes[new URL(scope, base).href] = absolute(entries, base);
    }
  }
  return map;
}

/** `map` with every target that is a copy of the module ({@linkcode isOtherCopy}) sent to `moduleUrl`. */
function redirectCopies(map: Record<string, string>, moduleUrl: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map).map(([key, target]) => [key, isOtherCopy(target, moduleUrl) ? moduleUrl : target]),
  );
}

/**
 * The `--import-map` value for a Deno rank running `script`: the fixed map of `libDir/launch` when that is
 * enough, or else (a `data:` URL) the project's own map, merged: its other entries kept, `mpirun-deno` and
 * every entry that names a copy of the module (a remote `.../mod.ts`, another checkout's `mod.ts`) sent to
 * this copy, and each such copy the script's files import by address mapped to it too (see
 * `module_copies.ts`). So one process never holds two copies of the module's classes. A project config that
 * cannot be read is skipped: the rank then fails on its imports with Deno's own message.
 *
 * @example
 * ```ts
 * import { denoImportMap } from "./module_map.ts";
 * console.log(denoImportMap("/nowhere/app.ts", "/opt/mpirun-deno/lib")); // "/opt/mpirun-deno/lib/launch/rank_import_map.json"
 * ```
 */
export function denoImportMap(script: string, libDir: string): string {
  const fixed = path.join(libDir, "launch", "rank_import_map.json");
  const moduleUrl = pathToFileURL(path.join(path.dirname(libDir), "mod.ts")).href;
  let project: ImportMap | undefined;
  try {
    project = projectImportMap(script);
  } catch {
    project = undefined;
  }
  const copies = findModuleCopies(script, project?.imports ?? {}, moduleUrl);
  if (project === undefined && copies.length === 0) return fixed;
  const imports: Record<string, string> = {
    ...redirectCopies(project?.imports ?? {}, moduleUrl),
    "mpirun-deno": moduleUrl,
  };
  for (const copy of copies) imports[copy] = moduleUrl;
  const map: ImportMap = { imports };
  if (project?.scopes !== undefined) {
    map.scopes = Object.fromEntries(
      Object.entries(project.scopes).map(([scope, entries]) => [scope, redirectCopies(entries, moduleUrl)]),
    );
  }
  return `data:application/json,${encodeURIComponent(JSON.stringify(map))}`;
}
