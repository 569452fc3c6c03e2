/** MPIRUN_DENO_CHECK_COLLECTIVES=1 through the real launcher: mismatched collectives fail naming the ranks. */

import { test } from "node:test";
import { assertAllOk, flavour, runRanks } from "../_helpers/run_ranks.ts";

test(`MPIRUN_DENO_CHECK_COLLECTIVES=1 names the ranks whose root or op differs (${flavour})`, async () => {
  const job = await runRanks(3, "tests/observe/fixtures/mismatch.ts", {
    env: { MPIRUN_DENO_CHECK_COLLECTIVES: "1" },
  });
  assertAllOk(job, "mismatch", 3);
});
