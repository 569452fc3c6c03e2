/**
 * Regression tests for the two silent data losses of the hostile review (issue 20, defects 1 and 2), through
 * the real launcher (see tests/_helpers/run_ranks.ts for which one): no message size is ever cut, and
 * messages sent before a rank exits by itself arrive, or the rank says on stderr that they could not.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { flavour, runRanks } from "./_helpers/run_ranks.ts";

test(`a send of 2 GiB or of 4 GiB + 100 bytes is refused with ERR_COUNT, never truncated (${flavour})`, async () => {
  const job = await runRanks(2, "tests/review/oversize.ts", { timeoutMs: 120_000 });
  assert.equal(job.code, 0, job.stderr);
  const lines = job.ranks[0];
  for (const call of ["Send", "Ssend", "Isend"]) {
    assert.ok(
      lines.some((line) =>
        line.startsWith(`${call} 2147483648: ERR_COUNT: rank 0: a message of 2147483648 bytes`)
      ),
      lines.join("\n"),
    );
    // 4 GiB + 100 is where the 32-bit header used to announce 100 bytes. Bun cannot allocate it at all.
    const big = lines.find((line) => line.startsWith(`${call} 4294967396:`));
    if (big !== undefined) assert.match(big, /: ERR_COUNT: rank 0: a message of 4294967396 bytes/);
    else assert.ok(lines.some((line) => line.startsWith("alloc 4294967396: skipped")), lines.join("\n"));
  }
  assert.ok(!lines.some((line) => line.endsWith(": sent")), lines.join("\n"));
  // The refused sends left nothing behind: the first message rank 1 receives is the 3-byte one.
  assert.deepEqual(job.ranks[1], ["received 3 bytes"]);
});

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
