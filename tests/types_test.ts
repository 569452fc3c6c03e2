/**
 * The public types, checked as a user's editor would: `deno check` of tests/types/expected_types.ts passes
 * (each `@ts-expect-error` there is an error, each inferred type is the one written), and the same file with
 * its `@ts-expect-error` comments taken out fails with exactly one error per comment, so none of them holds
 * by accident.
 */

import process from "node:process";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { runProcess } from "./_helpers/process.ts";
import { REPO } from "./_helpers/run_ranks.ts";

const deno = path.join(REPO, "node_modules", ".bin", "deno");
const EXPECTED = path.join(REPO, "tests", "types", "expected_types.ts");
const TIMEOUT_MS = 120_000;

const IS_BUN = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

test("the public types accept, refuse and infer what tests/types/expected_types.ts says", {
  timeout: TIMEOUT_MS,
  // The check is Deno's own type checker whatever runs the test: once, under the Deno suite, is enough.
  skip: IS_BUN ? "deno check runs under the Deno suite" : false,
}, async () => {
  const text = fs.readFileSync(EXPECTED, "utf8");
  const expected = text.split("\n").filter((line) => line.trim().startsWith("// @ts-expect-error")).length;
  assert.ok(expected >= 9, `only ${expected} expected errors`);
  const bare = path.join(path.dirname(EXPECTED), `.bare_${process.pid}_expected_types.ts`);
  fs.writeFileSync(bare, text.replaceAll("// @ts-expect-error", "// (expected error)"));
  try {
    // One program, both files: the file as written has no error, and its bare copy one per comment.
    const checked = await runProcess(deno, ["check", "--quiet", EXPECTED, bare], {
      cwd: REPO,
      timeoutMs: TIMEOUT_MS - 5_000,
    });
    // deno-lint-ignore no-control-regex
    const plain = checked.stderr.replace(/\x1b\[[0-9;]*m/g, "");
    assert.notEqual(checked.code, 0, plain);
    const locations = [...plain.matchAll(/^\s+at (file:\S+):\d+:\d+$/gm)].map((match) => match[1]);
    assert.deepEqual(locations.filter((file) => !file.endsWith(path.basename(bare))), [], plain);
    assert.equal(locations.length, expected, plain);
  } finally {
    fs.rmSync(bare, { force: true });
  }
});
