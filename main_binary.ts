/**
 * The entry point of the single `mpirun-deno` executable that `deno task compile` builds with
 * `bun build --compile`. The one program is both the launcher and every rank it starts: the launcher runs
 * this same executable again for each rank, with `MPIRUN_DENO_ROLE=rank` in the rank's environment.
 *
 * A rank serves its embedded copy of `mod.ts` to the user's script, which it imports from the real file
 * system: `import { MPI } from "mpirun-deno"` and imports of a remote `https://.../mod.ts` both resolve to
 * it, with no network access (see `lib/runtime/module_alias.ts`).
 *
 * ```sh
 * deno task compile                           # builds dist/mpirun-deno
 * dist/mpirun-deno -n 4 examples/hello.ts
 * ```
 *
 * @module
 */

import { EnvName, readEnv } from "./lib/env.ts";

if (import.meta.main) {
  if (readEnv(EnvName.ROLE) === "rank") {
    const { runRank } = await import("./lib/rank_main.ts");
    await runRank(() => import("./mod.ts"));
  } else {
    const { runAndExit } = await import("./cli.ts");
    await runAndExit();
  }
}
