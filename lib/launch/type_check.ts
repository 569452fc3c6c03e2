/**
 * `--check`: type-checks the user's script with `deno check` before any rank starts, with the import map a
 * Deno rank would run it with (so `import { MPI } from "mpirun-deno"` resolves to this project's module).
 * Errors go to the launcher's stderr as Deno prints them; the job is then not started.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { denoImportMap } from "./module_map.ts";
import { UsageError } from "./options.ts";
import { currentLauncherHost, findRuntime, type LauncherHost } from "./rank_command.ts";

/**
 * Runs `deno check` on `script`; throws {@linkcode UsageError} when it finds errors, or when there is no
 * Deno, or no sources to check against (the compiled binary holds none on disk).
 *
 * @example
 * ```ts ignore
 * import { typeCheck } from "./type_check.ts";
 * typeCheck("/work/app.ts"); // throws UsageError("--check: ...") on a type error
 * ```
 */
export function typeCheck(script: string, host: LauncherHost = currentLauncherHost()): void {
  if (host.compiled) {
    throw new UsageError(
      "--check needs Deno and this project's sources; the compiled mpirun-deno holds neither: run " +
        "`deno check` on the script in a checkout (`deno run -A cli.ts --check ...`)",
    );
  }
  const deno = findRuntime("deno", host);
  if (deno === undefined) {
    throw new UsageError(
      `--check: no deno executable next to ${host.execPath}, on PATH or in node_modules/.bin`,
    );
  }
  const result = spawnSync(deno, ["check", `--import-map=${denoImportMap(script, host.libDir)}`, script], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.error) throw new UsageError(`--check: cannot run ${deno}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new UsageError(`--check: deno check found errors in ${script} (above); no rank was started`);
  }
}
