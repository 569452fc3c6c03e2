/**
 * Input and output modes through the real launcher: `--stdin RANK|all|none` decides which ranks read the
 * launcher's standard input (the others read end-of-file), and `--merge-stderr-to-stdout` forwards the ranks'
 * stderr to the launcher's stdout.
 */

import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";
import { launch, REPO } from "./_launch.ts";

const OPTS = { timeout: 90_000 };
const ECHO = path.join(REPO, "tests", "launcher", "_echo.ts");
const INPUT = "first line\nsecond line\n";

/** What each rank of a job of 3 read, by rank. */
async function readBy(
  stdin: string | undefined,
  extra: string[] = [],
): Promise<{ read: string[]; stdout: string; stderr: string }> {
  const args = [
    "--oversubscribe",
    "-n",
    "3",
    ...(stdin === undefined ? [] : ["--stdin", stdin]),
    ...extra,
    ECHO,
  ];
  const { code, stdout, stderr } = await launch(args, { input: INPUT });
  assert.equal(code, 0, stderr);
  const read = [0, 1, 2].map((rank) => {
    const marker = `rank ${rank} read `;
    const line = stdout.split("\n").find((text) => text.includes(marker));
    assert.ok(line !== undefined, `rank ${rank} printed nothing: ${stdout}`);
    return JSON.parse(line.slice(line.indexOf(marker) + marker.length));
  });
  return { read, stdout, stderr };
}

test("by default rank 0 reads the launcher's input, the others end-of-file", OPTS, async () => {
  assert.deepEqual((await readBy(undefined)).read, [INPUT, "", ""]);
});

test("--stdin 2 gives the input to rank 2", OPTS, async () => {
  assert.deepEqual((await readBy("2")).read, ["", "", INPUT]);
});

test("--stdin all gives every rank a copy of the input", OPTS, async () => {
  assert.deepEqual((await readBy("all")).read, [INPUT, INPUT, INPUT]);
});

test("--stdin none gives every rank end-of-file", OPTS, async () => {
  assert.deepEqual((await readBy("none")).read, ["", "", ""]);
});

test("--stdin past the last rank, or not a rank, is a usage error", OPTS, async () => {
  for (
    const [value, message] of [
      ["3", /^mpirun-deno: --stdin: there is no rank 3 in a job of 3 ranks$/m],
      ["some", /^mpirun-deno: --stdin: "some" is not a rank, all or none$/m],
    ] as const
  ) {
    const { code, stderr } = await launch(["--oversubscribe", "-n", "3", "--stdin", value, ECHO]);
    assert.equal(code, 2, stderr);
    assert.match(stderr, message);
  }
});

test(
  "without --merge-stderr-to-stdout stderr stays on stderr; with it, it goes to stdout",
  OPTS,
  async () => {
    const apart = await readBy(undefined);
    assert.ok(!apart.stdout.includes("to stderr"), apart.stdout);
    for (const rank of [0, 1, 2]) assert.ok(apart.stderr.includes(`rank ${rank} to stderr`), apart.stderr);
    const merged = await readBy(undefined, ["--merge-stderr-to-stdout", "--tag-output"]);
    for (const rank of [0, 1, 2]) {
      assert.ok(
        merged.stdout.includes(`[${rank}] rank ${rank} to stderr\n`),
        merged.stdout,
      );
    }
    assert.ok(!merged.stderr.includes("to stderr"), merged.stderr);
  },
);
