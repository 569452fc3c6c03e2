/**
 * `cli.ts` as users run it. Argument errors need no rank side; the end-to-end tests run once
 * `lib/rank_main.ts` (and `mod.ts`, for the MPI ones) exist.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { VERSION } from "../../lib/constants.ts";
import { runtimeName, runtimeVersion } from "../../lib/runtime/detect.ts";
import { REPO, runCli, tempDir } from "./_helpers.ts";

const OPTS = { timeout: 30_000 };
const FIXTURES = path.join(REPO, "tests", "launch", "fixtures");
const MARKER_SCRIPT = path.join(FIXTURES, "touch_marker.ts");
const HAS_RANK_MAIN = fs.existsSync(path.join(REPO, "lib", "rank_main.ts"));
const HAS_MODULE = HAS_RANK_MAIN && fs.existsSync(path.join(REPO, "mod.ts"));

test("--version prints the version and the runtime it runs on", OPTS, async () => {
  const { code, stdout, stderr } = await runCli(["--version"]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout, `mpirun-deno ${VERSION} (${runtimeName} ${runtimeVersion})\n`);
});

test("--help documents the options and exits 0", OPTS, async () => {
  const { code, stdout } = await runCli(["--help"]);
  assert.equal(code, 0);
  for (
    const flag of [
      "-n",
      "-np",
      "--host",
      "--hostfile",
      "--launcher",
      "--runtime",
      "--tag-output",
      "-x",
      "--timeout",
    ]
  ) {
    assert.ok(stdout.includes(flag), `${flag} is missing from --help`);
  }
});

const argumentErrors: [string[], RegExp][] = [
  [["-n", "0", MARKER_SCRIPT], /^mpirun-deno: -n: "0" is not a whole number of ranks of at least 1$/],
  [["-np", "abc", MARKER_SCRIPT], /^mpirun-deno: -np: "abc" is not a whole number/],
  [["--frobnicate", "-n", "2", MARKER_SCRIPT], /^mpirun-deno: Unknown option "--frobnicate"$/],
  [["-n", "2"], /^mpirun-deno: Missing the script to run$/],
  [["-n", "2", "no_such_script.ts"], /^mpirun-deno: Script "no_such_script.ts" not found$/],
  [
    ["--runtime", "node", "-n", "2", MARKER_SCRIPT],
    /^mpirun-deno: --runtime: "node" is not one of deno, bun$/,
  ],
  [["--timeout", "never", MARKER_SCRIPT], /^mpirun-deno: --timeout: "never" is not a positive number/],
  [
    ["--launcher", "local", "--host", "far-away-host.invalid:2", MARKER_SCRIPT],
    /^mpirun-deno: --launcher local cannot start ranks on host far-away-host\.invalid$/,
  ],
  [
    ["--host", "far-away-host.invalid:2", MARKER_SCRIPT],
    /^mpirun-deno: Cannot tell which address of this machine the other hosts reach; give it with --bind-address/,
  ],
  [["-n", "3", "--host", "localhost:2", MARKER_SCRIPT], /^mpirun-deno: -n: 3 ranks do not fit the 2 slots/],
];

for (const [args, message] of argumentErrors) {
  test(
    `argument error: mpirun-deno ${args.join(" ").replace(MARKER_SCRIPT, "script.ts")}`,
    OPTS,
    async () => {
      const dir = tempDir();
      const marker = path.join(dir, "marker");
      const { code, stdout, stderr } = await runCli(args.includes(MARKER_SCRIPT) ? [...args, marker] : args);
      assert.equal(code, 2, stderr);
      assert.equal(stdout, "");
      const lines = stderr.trimEnd().split("\n");
      assert.equal(lines.length, 2, stderr);
      assert.match(lines[0], message);
      assert.match(lines[1], /^Usage: mpirun-deno \[options\] script\.ts/);
      assert.deepEqual(fs.readdirSync(dir), [], "no rank was started");
      fs.rmSync(dir, { recursive: true });
    },
  );
}

test("end to end: plain scripts run as N ranks with their args and rank 0's stdin", {
  ...OPTS,
  skip: !HAS_RANK_MAIN && "lib/rank_main.ts does not exist yet",
}, async () => {
  const { code, stdout, stderr } = await runCli(
    ["-n", "3", "--oversubscribe", "--tag-output", path.join(FIXTURES, "plain_rank.ts"), "stdin", "-n", "7"],
    { input: "to rank 0\n" },
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /^\[0\] plain 0\/3 args=\["stdin","-n","7"\] stdin="to rank 0\\n"$/m);
  assert.match(stdout, /^\[1\] plain 1\/3 args=\["stdin","-n","7"\] stdin=""$/m);
  assert.match(stdout, /^\[2\] plain 2\/3 /m);
});

test("end to end: a rank's exit code becomes the launcher's, naming the rank", {
  ...OPTS,
  skip: !HAS_RANK_MAIN && "lib/rank_main.ts does not exist yet",
}, async () => {
  const { code, stderr } = await runCli(["-n", "2", path.join(FIXTURES, "plain_rank.ts"), "exit=1:3"]);
  assert.equal(code, 3, stderr);
  assert.match(stderr, /^mpirun-deno: rank 1 \(host [^,]+, pid \d+\) exited with code 3$/m);
});

test("end to end: an uncaught exception fails the job and names the rank", {
  ...OPTS,
  skip: !HAS_RANK_MAIN && "lib/rank_main.ts does not exist yet",
}, async () => {
  const { code, stderr } = await runCli(["-n", "2", path.join(FIXTURES, "plain_rank.ts"), "throw=1"]);
  assert.notEqual(code, 0);
  assert.match(stderr, /^mpirun-deno: rank 1 \(host [^,]+, pid \d+\) /m);
});

for (const runtime of ["deno", "bun"]) {
  test(`end to end: an MPI program on --runtime ${runtime}`, {
    ...OPTS,
    skip: !HAS_MODULE && "lib/rank_main.ts or mod.ts does not exist yet",
  }, async () => {
    const { code, stdout, stderr } = await runCli(
      [
        "-n",
        "4",
        "--oversubscribe",
        "--runtime",
        runtime,
        "--tag-output",
        path.join(FIXTURES, "mpi_hello.ts"),
      ],
    );
    assert.equal(code, 0, stderr);
    for (const rank of [0, 1, 2, 3]) {
      assert.match(stdout, new RegExp(`^\\[${rank}\\] hello from ${rank} of 4$`, "m"));
      assert.match(stdout, new RegExp(`^\\[${rank}\\] ${rank} got ${(rank + 3) % 4}$`, "m"));
    }
  });
}
