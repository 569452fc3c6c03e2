/**
 * The launcher's own help through the real launcher: `--help` lists every option in Open MPI's groups and
 * ends with examples; a mistyped option is an error that suggests the nearest one.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { OPTION_SPECS } from "../../lib/launch/options.ts";
import { APP, launch } from "./_launch.ts";

const OPTS = { timeout: 60_000 };

test("--help groups the options as Open MPI does and ends with examples", OPTS, async () => {
  const { code, stdout, stderr } = await launch(["--help"]);
  assert.equal(code, 0, stderr);
  const headings = stdout.split("\n").filter((line) => / options:$/.test(line));
  assert.deepEqual(headings.slice(0, 6), [
    "General options:",
    "Hosts and start-up options:",
    "Mapping, ranking and binding options:",
    "Input and output options:",
    "Seeing inside a job options:",
    "Information options:",
  ]);
  for (const spec of OPTION_SPECS) {
    assert.ok(stdout.includes(`  ${spec.names.join(", ")}`), `${spec.names[0]} is missing from --help`);
  }
  const examples = stdout.slice(stdout.indexOf("\nExamples:\n"));
  assert.ok(examples.length > 20, stdout);
  assert.match(examples, /mpirun-deno -n 1 master\.ts : -n 3 worker\.ts/);
  assert.equal(
    stdout.trimEnd().split("\n").at(-1)?.startsWith("  "),
    true,
    "the help ends with the examples",
  );
});

const typos: [string, string][] = [
  ["--hostfle", "--hostfile"],
  ["-hostfile", "--hostfile"],
  ["--map_by", "--map-by"],
  ["--bind-too", "--bind-to"],
  ["--oversubscribed", "--oversubscribe"],
  ["--tag-outptu", "--tag-output"],
];

test("a mistyped option is refused with the nearest option: did you mean ...?", OPTS, async () => {
  const results = await Promise.all(typos.map(([typo]) => launch([typo, "x", APP])));
  typos.forEach(([typo, meant], index) => {
    const { code, stdout, stderr } = results[index];
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.equal(stderr.split("\n")[0], `mpirun-deno: Unknown option "${typo}"; did you mean ${meant}?`);
  });
});

test("an option far from every other gets no guess", OPTS, async () => {
  const { code, stderr } = await launch(["--frobnicate", APP]);
  assert.equal(code, 2, stderr);
  assert.equal(stderr.split("\n")[0], 'mpirun-deno: Unknown option "--frobnicate"');
});
