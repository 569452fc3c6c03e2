/**
 * Regression tests for the two silent data losses of the hostile review (issue 20, defects 1 and 2), through
 * the real launcher (see tests/_helpers/run_ranks.ts for which one): no message size is ever cut, and
 * messages sent before a rank exits by itself arrive, or the rank says on stderr that they could not.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import { test } from "node:test";
import { flavour, runRanks } from "./_helpers/run_ranks.ts";

/** Free memory a 3 GiB message between two ranks needs: both buffers, with room to spare. */
const HUGE_NEEDS_BYTES = 8 * 2 ** 30;

/** Why a test that needs `bytes` of free memory cannot run here, or false. */
function lacksMemory(bytes: number): string | false {
  let available: number;
  try {
    const line = /^MemAvailable:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/meminfo", "utf8"));
    if (!line) return "this machine does not say how much memory is free (no MemAvailable in /proc/meminfo)";
    available = Number(line[1]) * 1024;
  } catch {
    return "this machine does not say how much memory is free (no /proc/meminfo)";
  }
  return available < bytes
    ? `it needs ${(bytes / 2 ** 30).toFixed(0)} GiB of free memory, and ${
      (available / 2 ** 30).toFixed(1)
    } GiB is available`
    : false;
}

// Issue 20 asked that no size be cut; issue 16 that no size be refused: a message larger than a frame goes in
// chunks, straight into the receiver's buffer. Over TCP the chunks are on the wire (between two ranks of one
// host, by default, the receiver copies the message from the sender's memory instead: the same 3 GiB with
// `ssend` and no MPIRUN_DENO_TRANSPORT, run by hand, as it costs minutes on a loaded machine).
test(
  `a 3 GiB buffer arrives whole, in chunks over TCP (${flavour})`,
  // Minutes on a loaded machine (about 80 s for 3 GiB under a load of 12 on 2 cores): slowed, never failed.
  // Once per suite run, with the Deno launcher: a minute or more each time, and the chunking is the same code
  // under every runtime (the engine's chunks are unit-tested under both in tests/p2p/engine_test.ts).
  {
    skip: flavour === "deno"
      ? lacksMemory(HUGE_NEEDS_BYTES)
      : "the 3 GiB message runs once per suite run, in the Deno suite",
    timeout: 600_000,
  },
  async () => {
    const job = await runRanks(2, "tests/review/huge_message.ts", {
      env: { MPIRUN_DENO_TRANSPORT: "tcp" },
      timeoutMs: 590_000,
    });
    assert.equal(job.code, 0, job.stderr);
    assert.deepEqual(job.ranks[0], [`sent ${3 * 2 ** 30} bytes by Send`]);
    assert.equal(job.ranks[1].length, 1, job.stdout);
    assert.match(
      job.ranks[1][0],
      /^received 3221225472 bytes, 0 wrong blocks \(first -1\), then 3 bytes: 1,2,3; the receive took [\d.]+ s$/,
    );
  },
);

for (const variant of ["", "warm", "raw", "deno-exit"]) {
  test(`1000 awaited sends all arrive although the sender exits at once (${variant || "cold"}, ${flavour})`, async () => {
    const job = await runRanks(2, "tests/review/exit_after_sends.ts", {
      scriptArgs: variant ? [variant] : [],
      timeoutMs: 60_000,
    });
    assert.equal(job.code, 0, job.stderr);
    assert.deepEqual(job.ranks[1], ["arrived:1000"], job.stderr);
    assert.doesNotMatch(job.stderr, /not sent/);
  });
}

test(`a rank that exits with sends still unsent says so instead of losing them silently (${flavour})`, async () => {
  const job = await runRanks(2, "tests/review/exit_unawaited.ts", { timeoutMs: 60_000 });
  assert.match(
    job.stderr,
    /mpirun-deno: rank 0: exiting with \d+ messages \(\d+ bytes\) to rank 1 not sent: they are lost/,
  );
});
