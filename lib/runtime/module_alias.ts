/**
 * Makes a bare specifier (`"mpirun-deno"`) resolve to a module this process already loaded. Bun: a runtime
 * plugin serves the loaded module's exports as a virtual module, so the user's script and the rank share one
 * copy (and one world). Deno: the launcher passes an import map instead, so nothing is done here.
 *
 * Bun cannot import from `http(s):` URLs, and its runtime plugins never see such an import in `onResolve`;
 * so remote addresses of the module (`import { MPI } from "https://host/path/mod.ts"`) are rewritten to the
 * bare specifier as each of the user's source files is loaded (`onLoad`), before Bun resolves anything.
 *
 * @module
 */

import { runtimeName } from "./detect.ts";
import { nodeBuiltin } from "./host.ts";

/**
 * The remote addresses taken to be this project's `mod.ts`: any `http:` or `https:` URL whose path ends in
 * `/mod.ts` (a query or fragment is allowed), such as a raw file URL of a tagged release. Bun cannot load
 * any remote code, so no import that could otherwise work is captured by this rule.
 */
export const REMOTE_MODULE: RegExp = /^https?:\/\/[^\s/?#]+\/(?:[^\s?#]*\/)?mod\.ts(?:[?#]\S*)?$/i;

/** A module specifier in an import position: `from "..."`, `import "..."`, `import("...")`. */
const IMPORT_SPECIFIER = /(\bfrom\s*|\bimport\s*(?:\(\s*)?)(["'])(https?:\/\/[^"'\s]+)\2/g;

/**
 * Replaces the specifiers of `source`'s imports that match `remote` with `specifier`. Only import positions
 * change (a URL in a comment or a string is left alone), and no line moves, so stack traces still point at
 * the user's lines.
 *
 * @example
 * ```ts
 * import { REMOTE_MODULE, rewriteRemoteImports } from "./module_alias.ts";
 * const out = rewriteRemoteImports(`import { MPI } from "https://example.com/v1/mod.ts";`, "mpirun-deno", REMOTE_MODULE);
 * console.log(out); // import { MPI } from "mpirun-deno";
 * ```
 */
export function rewriteRemoteImports(source: string, specifier: string, remote: RegExp): string {
  return source.replace(
    IMPORT_SPECIFIER,
    (whole, before: string, quote: string, url: string) =>
      remote.test(url) ? `${before}${quote}${specifier}${quote}` : whole,
  );
}

/**
 * Is `file`, with text `source`, a copy of this project's `mod.ts` (a checkout, a vendored copy, an npm
 * install)? Its name is `mod.ts` and it re-exports `./lib/comm/api.ts` as `MPI`.
 *
 * @example
 * ```ts
 * import { isModuleCopy } from "./module_alias.ts";
 * console.log(isModuleCopy("/opt/mpi/mod.ts", `export * as MPI from "./lib/comm/api.ts";`)); // true
 * ```
 */
export function isModuleCopy(file: string, source: string): boolean {
  return /(?:^|[\\/])mod\.ts$/.test(file) &&
    /export \* as MPI from ["']\.\/lib\/comm\/api\.ts["']/.test(source);
}

/**
 * The files the loader hook sees: the user's TypeScript and ES module JavaScript outside `node_modules`, and
 * any `mod.ts`. Bun's `onLoad` cannot decline a file, and a CommonJS file handed back through it loses its
 * exports, so `.js` and `.cjs` files (which may be CommonJS) are left to Bun.
 */
const HOOKED = /^(?![\s\S]*[\\/]node_modules[\\/])[\s\S]*\.(?:ts|mts|tsx|mjs|jsx)$|[\\/]mod\.ts$/;

/** Bun's loader for each file extension of {@linkcode HOOKED}. */
const LOADERS: Record<string, string> = { ts: "ts", mts: "ts", tsx: "tsx", mjs: "js", jsx: "jsx" };

/** Options of {@linkcode aliasModule}. */
export interface AliasOptions {
  /** Remote addresses (whole URLs) that also resolve to the module; default: none. */
  remote?: RegExp;
  /** Local files that are copies of the module, and so resolve to it too (see {@linkcode isModuleCopy}). */
  isCopy?: (file: string, source: string) => boolean;
}

/**
 * Aliases `specifier` to the module that `load` imports, for every later import in this process. With
 * `options.remote`, imports of matching URLs from the user's source files resolve to it too; with
 * `options.isCopy`, so do files that are copies of it, so that one process never holds two copies of the
 * module's classes. Does nothing on Deno (and then does not call `load`).
 *
 * @example
 * ```ts ignore
 * await aliasModule("mpirun-deno", () => import(moduleUrl), { remote: REMOTE_MODULE, isCopy: isModuleCopy });
 * ```
 */
export async function aliasModule(
  specifier: string,
  load: () => Promise<object>,
  options: AliasOptions = {},
): Promise<void> {
  if (runtimeName !== "bun") return;
  const exports = await load();
  const { remote, isCopy } = options;
  const { readFileSync } = nodeBuiltin<typeof import("node:fs")>("node:fs");
  // deno-lint-ignore no-explicit-any
  const bun = (globalThis as any).Bun;
  bun.plugin({
    name: `alias ${specifier}`,
    // deno-lint-ignore no-explicit-any
    setup(build: any) {
      build.module(specifier, () => ({ exports, loader: "object" }));
      if (remote === undefined && isCopy === undefined) return;
      build.onLoad({ filter: HOOKED }, (args: { path: string }) => {
        const source = readFileSync(args.path, "utf8");
        if (isCopy?.(args.path, source)) return { exports, loader: "object" };
        const loader = LOADERS[args.path.slice(args.path.lastIndexOf(".") + 1)];
        const contents = remote !== undefined && source.includes("://")
          ? rewriteRemoteImports(source, specifier, remote)
          : source;
        return { contents, loader };
      });
    },
  });
}
