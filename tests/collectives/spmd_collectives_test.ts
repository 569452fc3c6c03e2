/**
 * The collectives' SPMD scripts (tests/spmd/cco_*.ts) on 1 to 5 ranks through the real launcher, on the
 * runtime running the tests (see tests/_helpers/run_ranks.ts), plus the expected failure of a collective
 * whose arguments only the root can check.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { flavour, runRanks, spmdSuite } from "../_helpers/run_ranks.ts";

/** Self-checking scripts: each rank prints `<name> ok on rank R of N` once every check has passed. */
const SCRIPTS = ["cco_obj", "cco_buf", "cco_nb", "cco_errors", "cco_reduce_scatter"];

// As ranks of one host run by default: collectives in shared memory where they can be.
spmdSuite(SCRIPTS);

// With messages only: the broadcast's shape, counted by each rank around engine.send, is a binomial tree.
spmdSuite(SCRIPTS, (script, size, job) => {
  if (script !== "cco_obj") return;
  const rounds = Math.ceil(Math.log2(size));
  assert.ok(
    job.ranks[0].includes(`bcast tree: ${size - 1} messages, root sends ${rounds}, ${rounds} rounds`),
    job.stdout,
  );
}, { label: "socket", env: { MPIRUN_DENO_TRANSPORT: "socket" }, sizes: [2, 3, 4, 5] });

test(`a scatter of the wrong count ends the job, naming the root and the count (${flavour})`, async () => {
  const job = await runRanks(3, "tests/spmd/cco_fail.ts");
  assert.equal(job.code, 1);
  assert.match(
    job.stderr,
    /rank 0 \(host [^,]+, pid \d+\) .*scatter: sendobj has 4 items, but the communicator has 3 ranks/,
  );
  assert.doesNotMatch(job.stdout, /was not stopped/);
});

// Across hosts (faked on this machine): hosts in blocks, interleaved, and with messages only.
spmdSuite(["cco_hosts"], undefined, {
  label: "hosts a,a,b,b,c",
  env: { MPIRUN_DENO_HOSTNAME: "a,a,b,b,c" },
  sizes: [4, 5],
});
spmdSuite(["cco_hosts"], undefined, {
  label: "hosts a,b",
  env: { MPIRUN_DENO_HOSTNAME: "a,b" },
  sizes: [3, 4],
});
spmdSuite(["cco_hosts"], undefined, {
  label: "hosts a,a,b, socket",
  env: { MPIRUN_DENO_HOSTNAME: "a,a,b", MPIRUN_DENO_TRANSPORT: "socket" },
  sizes: [3],
});
