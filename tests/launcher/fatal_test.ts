/**
 * A fatal error through the real launcher: printed once, by the launcher, with the failing rank's trace of
 * the user's frames only (no `lib/rank_main.ts`, no library or runtime frames), the other ranks' copies of
 * the same error suppressed; and output a rank wrote before the job failed is all delivered.
 */

import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { launch, REPO } from "./_launch.ts";

const OPTS = { timeout: 90_000 };
const FATAL = path.join(REPO, "tests", "launcher", "_fatal.ts");

/** The `at ...` frames in `text`. */
function frames(text: string): string[] {
  return text.split("\n").filter((line) => /^\s+at /.test(line));
}

/** Frames that are not the user's: the library's sources, or the binary's embedded copy of them. */
function libraryFrames(text: string): string[] {
  return frames(text).filter((line) => /\/lib\/|rank_main|\$bunfs|~BUN|ext:|node:internal/.test(line));
}

test(
  "the same error in every rank is printed once, by the launcher, with the user's frames",
  OPTS,
  async () => {
    const { code, stderr } = await launch(["--oversubscribe", "-n", "3", FATAL, "every"]);
    assert.equal(code, 1, stderr);
    const reports = stderr.split("\n").filter((line) => line.startsWith("mpirun-deno: "));
    assert.equal(reports.length, 1, stderr);
    assert.match(
      reports[0],
      /^mpirun-deno: rank \d \(host .*, pid \d+\) aborted with code 1: (?:uncaught exception|unhandled promise rejection): Error: bad value 3$/,
    );
    assert.equal(stderr.split("\n").filter((line) => line === "Error: bad value 3").length, 1, stderr);
    const trace = frames(stderr);
    assert.equal(trace.length, 2, stderr);
    assert.match(trace[0], /^\s+at compute \(.*_fatal\.ts:\d+:\d+\)$/);
    assert.match(trace[1], /_fatal\.ts:\d+:\d+\)?$/);
    assert.deepEqual(libraryFrames(stderr), []);
  },
);

test("an error raised inside an MPI call shows where the user's code called it", OPTS, async () => {
  const { code, stderr } = await launch(["--oversubscribe", "-n", "3", FATAL, "mpi"]);
  assert.equal(code, 1, stderr);
  assert.match(
    stderr,
    /^mpirun-deno: rank 1 \(.*\) aborted with code 1: (?:uncaught exception|unhandled promise rejection): MPIError \[ERR_RANK\]: rank 1: send: dest "one" is a string, not an integer$/m,
  );
  assert.ok(frames(stderr).some((line) => line.includes("_fatal.ts:")), stderr);
  assert.deepEqual(libraryFrames(stderr), []);
});

test(
  "output a rank wrote before another rank failed is all delivered, with no word of loss",
  OPTS,
  async () => {
    const lines = 20_000;
    const { code, stdout, stderr } = await launch([
      "--oversubscribe",
      "-n",
      "2",
      FATAL,
      "flush",
      String(lines),
    ]);
    assert.equal(code, 1, stderr);
    const got = stdout.split("\n").filter((line) => line.endsWith(" of rank 0"));
    assert.equal(got.length, lines, `${got.length} of ${lines} lines arrived`);
    got.forEach((line, index) => assert.equal(line, `line ${index} of rank 0`));
    assert.ok(!stderr.includes("may be incomplete"), stderr);
    assert.match(
      stderr,
      /^mpirun-deno: rank 1 \(.*\) aborted with code 1: (?:uncaught exception|unhandled promise rejection): Error: rank 1 fails after the barrier$/m,
    );
  },
);
