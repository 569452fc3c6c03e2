/**
 * `scripts/test_output.ts` on what the real runners print: Deno's and Bun's output for a file with one passing
 * and one failing test gives the counts, the failing test's name and
 * the first lines of its error.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { counts, failures } from "../../scripts/test_output.ts";
import { runProcess } from "../_helpers/process.ts";
import { REPO } from "../_helpers/run_ranks.ts";

const FIXTURE = path.join(REPO, "tests", "scripts", "fixtures", "one_fails.ts");

const RUNNERS = {
  deno: [path.join(REPO, "node_modules", ".bin", "deno"), "test", "-A", FIXTURE],
  bun: [path.join(REPO, "node_modules", ".bin", "bun"), "test", FIXTURE],
};

for (const [name, [command, ...args]] of Object.entries(RUNNERS)) {
  test(`the counts, the failed test's name and its error are read from ${name}'s output`, async () => {
    const run = await runProcess(command, args, { cwd: REPO, env: { NO_COLOR: "" }, timeoutMs: 60_000 });
    const output = run.stdout + run.stderr;
    assert.notEqual(run.code, 0, output);
    assert.deepEqual(counts(output), { passed: 1, failed: 1 }, output);
    const failed = failures(output);
    assert.equal(failed.length, 1, output);
    assert.match(failed[0].name, /^this one fails on purpose( => .*one_fails\.ts:9:1)?$/, output);
    // The reason starts at the error and keeps its message, without the code frame or the stack.
    assert.match(
      failed[0].reason[0],
      /^(error: )?AssertionError: Expected values to be strictly equal:$/,
      output,
    );
    assert.ok(failed[0].reason.includes("2 !== 3"), failed[0].reason.join("\n"));
    assert.ok(!failed[0].reason.some((line) => /^at |\|/.test(line)), failed[0].reason.join("\n"));
  });
}
