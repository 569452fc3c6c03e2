/**
 * What a Deno rank loads with `--preload` before the user's script, which Deno then runs as its main module
 * (so `import.meta.main` is true in it, and `Deno.args` holds its arguments): the rank joins the job and
 * turns an uncaught error into a job abort (see `rank_main.ts`). A script that does not parse fails as under
 * plain `deno run`, with Deno's message naming its file, line and column.
 *
 * @module
 */

import { afterScript, prepareRank } from "./rank_main.ts";

await prepareRank();
// The user's script runs next, as Deno's main module: `load` comes once it has run to its end (a script that
// throws gets the error handler instead).
globalThis.addEventListener("load", () => void afterScript());
