/**
 * The SPMD scripts of tests/spmd, each on 1 to 5 ranks through the real launcher (see run_ranks.ts for which
 * launcher), plus the failures that must end a job with the failing rank named.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { flavour, runDirect, runRanks, spmdSuite } from "./_helpers/run_ranks.ts";

/** Every self-checking script: it prints `<name> ok on rank R of N` on every rank. */
spmdSuite(["p2p_obj", "p2p_buf", "errors_p2p"]);
spmdSuite(["p2p_shared_copy"], undefined, { label: "shared copy", env: {}, sizes: [2] });

test(`a sender far ahead of its receiver does not grow the receiver's memory (${flavour})`, async () => {
  const job = await runRanks(2, "tests/spmd/flow_control.ts");
  // The figures (rss before and during the sender's run) are in stdout: keep them in a failure's message.
  assert.equal(job.code, 0, `${job.stdout}\n${job.stderr}`);
  // The memory may also shrink while the receiver sleeps (a collection gives pages back): "grew -0.2 MiB".
  assert.match(job.ranks[1].join("\n"), /receiver: rss grew -?[\d.]+ MiB/, job.stdout);
});

test(`1 MB printed by each rank right before process.exit arrives whole (${flavour})`, async () => {
  const job = await runRanks(3, "tests/spmd/big_output.ts");
  assert.equal(job.code, 0, job.stderr);
  for (let rank = 0; rank < 3; rank++) {
    assert.ok(
      job.ranks[rank].includes(String(rank).repeat(1 << 20)),
      `rank ${rank}'s 1 MB line is not whole: its lines have ${
        job.ranks[rank].map((line) => line.length).join(", ")
      } characters; stdout has ${job.stdout.length}; stderr: ${job.stderr}`,
    );
    assert.ok(job.ranks[rank].includes(`big_output done on rank ${rank}`));
  }
});

test(`strangers with a wrong token or garbage are refused while the job completes (${flavour})`, async () => {
  const job = await runRanks(3, "tests/spmd/stranger.ts");
  assert.equal(job.code, 0, job.stderr);
  assert.match(job.stderr, /rank 1: refused a connection from .*: its proof of the job token is wrong/);
  // The second refusal comes within the summary interval of the first: it is told in the summary line, at
  // the latest when the rank is done.
  assert.match(
    job.stderr,
    /rank 1: refused (a connection from .*: |1 more connection from .* \(last: )it does not speak the mpirun-deno protocol/,
  );
  assert.ok(job.ranks[2].includes("stranger ok on rank 2 of 3"), job.stdout);
});

test(`an uncaught exception ends the job, naming the rank (${flavour})`, async () => {
  const job = await runRanks(3, "tests/spmd/fail_uncaught.ts");
  assert.equal(job.code, 1);
  assert.match(
    job.stderr,
    // Deno runs the script as its main module: a top-level throw reaches the rank as a rejected evaluation.
    /rank 1 \(host [^,]+, pid \d+\) .*(?:uncaught exception|unhandled promise rejection): Error: rank 1 fails on purpose/,
  );
});

test(`Abort(code) ends the job with that code (${flavour})`, async () => {
  const job = await runRanks(4, "tests/spmd/fail_abort.ts");
  assert.equal(job.code, 7);
  assert.match(
    job.stderr,
    /rank 2 \(host [^,]+, pid \d+\) aborted with code 7: Abort\(7\) called on COMM_WORLD/,
  );
});

test("without a launcher, a rank waiting for a peer it never talked to gets ERR_PEER_LOST when it dies", async () => {
  const results = await runDirect(3, "tests/faults/peer_lost_unconnected.ts");
  assert.equal(results[0].signal, "SIGKILL");
  assert.equal(results[2].code, 3, results[2].stderr);
  assert.match(results[2].stderr, /rank 2 got ERR_PEER_LOST: rank 2: rank 0 is gone/);
});

test("without a launcher (direct srun), a rank whose peer dies in recv gets ERR_PEER_LOST", async () => {
  const results = await runDirect(2, "tests/spmd/fail_peer_lost.ts");
  assert.equal(results[0].signal, "SIGKILL");
  assert.equal(results[1].code, 3, results[1].stderr);
  assert.match(results[1].stderr, /rank 1 got ERR_PEER_LOST: rank 1: rank 0 is gone/);
});
