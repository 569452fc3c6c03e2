/** The warning of a rank whose script ends with unfinished calls or unreceived messages (real launcher). */

import assert from "node:assert/strict";
import { test } from "node:test";
import { flavour, runRanks } from "../_helpers/run_ranks.ts";

test(`a rank warns about the irecv it never awaited and the message nobody received (${flavour})`, async () => {
  const job = await runRanks(3, "tests/observe/fixtures/leftovers.ts");
  assert.equal(job.code, 0, job.stderr);
  const warnings = job.stderr.split("\n").filter((line) => line.includes("exited with"));
  assert.deepEqual(warnings, [
    "[0] mpirun-deno: rank 0 exited with an unfinished irecv(source=1, tag=5) on COMM_WORLD, and 1 message " +
    "nobody received (from rank 1, tag 7, 15 bytes)",
  ], job.stderr);
});
