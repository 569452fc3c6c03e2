/**
 * Makes a bare specifier (`"mpirun-deno"`) resolve to a module this process already loaded. Bun: a runtime
 * plugin serves the loaded module's exports as a virtual module, so the user's script and the rank share one
 * copy (and one world). Deno: the launcher passes an import map instead, so nothing is done here.
 *
 * @module
 */

import { runtimeName } from "./detect.ts";

/**
 * Aliases `specifier` to the module at `url` for every later import in this process.
 *
 * @example
 * ```ts ignore
 * await aliasModule("mpirun-deno", new URL("../mod.ts", import.meta.url).href);
 * ```
 */
export async function aliasModule(specifier: string, url: string): Promise<void> {
  if (runtimeName !== "bun") return;
  const exports = await import(url);
  // deno-lint-ignore no-explicit-any
  const bun = (globalThis as any).Bun;
  bun.plugin({
    name: `alias ${specifier}`,
    // deno-lint-ignore no-explicit-any
    setup(build: any) {
      build.module(specifier, () => ({ exports, loader: "object" }));
    },
  });
}
