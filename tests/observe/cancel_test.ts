/** Cancellation with an AbortSignal, through the real launcher (tests/spmd/cancel.ts on 2 and 3 ranks). */

import { test } from "node:test";
import { assertAllOk, flavour, runRanks } from "../_helpers/run_ranks.ts";

for (const size of [2, 3]) {
  test(`AbortSignal cancels receives, probes, waits and collectives on ${size} ranks (${flavour})`, async () => {
    assertAllOk(await runRanks(size, "tests/spmd/cancel.ts"), "cancel", size);
  });
}
