/**
 * MPMD through the real launcher: the colon syntax and `--app FILE` start one world of several programs,
 * each rank knowing its program (`MPI.APPNUM`, `MPIRUN_DENO_APPNUM`) and getting its own arguments, `-x`
 * and `--wdir`; an option of the whole job inside a program, or a program without `-n`, is an error before
 * anything starts.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { APP, appLines, launch, REPO, tempDir } from "./_launch.ts";

const OPTS = { timeout: 90_000 };

test(
  "-n 1 a : -n 2 b runs one world of two programs, each with its own arguments, -x and --wdir",
  OPTS,
  async () => {
    const wdir = tempDir();
    const { code, stdout, stderr } = await launch([
      "--oversubscribe",
      "-x",
      "LAUNCHER_TEST_X=job",
      "-n",
      "1",
      APP,
      "master",
      "a1",
      ":",
      "-n",
      "2",
      "-x",
      "LAUNCHER_TEST_X=own",
      "--wdir",
      wdir,
      APP,
      "worker",
      "b1",
      "b2",
    ]);
    assert.equal(code, 0, stderr);
    const lines = appLines(stdout);
    assert.equal(lines.size, 3, stdout);
    const world = "world master,worker,worker";
    assert.equal(
      lines.get(0),
      `app master rank 0/3 appnum 0 env 0 ${world} args ["a1"] x job cwd ${REPO.replace(/\/$/, "")}`,
    );
    for (const rank of [1, 2]) {
      assert.equal(
        lines.get(rank),
        `app worker rank ${rank}/3 appnum 1 env 1 ${world} args ["b1","b2"] x own cwd ${
          fs.realpathSync(wdir)
        }`,
      );
    }
  },
);

test("--app FILE runs one program per line (quotes, comments, MPICH's -genv/-env)", OPTS, async () => {
  const file = path.join(tempDir(), "programs.txt");
  fs.writeFileSync(
    file,
    `# master, then workers\n-n 1 ${APP} master "two words"\n\n-n 1 -env LAUNCHER_TEST_X own ${APP} worker # one\n`,
  );
  const { code, stdout, stderr } = await launch([
    "--oversubscribe",
    "-genv",
    "LAUNCHER_TEST_X",
    "job",
    "--app",
    file,
  ]);
  assert.equal(code, 0, stderr);
  const lines = appLines(stdout);
  assert.match(
    lines.get(0) ?? "",
    /^app master rank 0\/2 appnum 0 env 0 world master,worker args \["two words"\] x job /,
  );
  assert.match(
    lines.get(1) ?? "",
    /^app worker rank 1\/2 appnum 1 env 1 world master,worker args \[\] x own /,
  );
});

const mistakes: [string, string[], RegExp][] = [
  [
    "a job-wide option inside a program",
    ["-n", "1", APP, ":", "-n", "1", "--tag-output", APP],
    /^mpirun-deno: program 2 \(after the 1st ":"\): --tag-output applies to the whole job; give it before the first program/,
  ],
  [
    "a program without -n",
    ["-n", "1", APP, ":", APP],
    /^mpirun-deno: program 2 \(after the 1st ":"\) \(.*_app\.ts\): names no -n/,
  ],
  [
    "a colon with no program after it",
    ["-n", "1", APP, ":"],
    /^mpirun-deno: program 2 \(after the 1st ":"\): names no script$/,
  ],
  [
    "a colon before any program",
    ["-n", "1", ":", "-n", "1", APP],
    /^mpirun-deno: program 1 \(before the 1st ":"\): names no script$/,
  ],
  [
    "--app with a script beside it",
    ["--app", APP, APP],
    /^mpirun-deno: --app: .* lists the programs with their -n; give no script/,
  ],
];

for (const [what, args, message] of mistakes) {
  test(`MPMD mistake: ${what} is a usage error, nothing starts`, OPTS, async () => {
    const { code, stdout, stderr } = await launch(args);
    assert.equal(code, 2, stderr);
    assert.equal(stdout, "");
    assert.match(stderr.split("\n")[0], message);
  });
}

test("--app: a line with a job-wide option names the file and line", OPTS, async () => {
  const file = path.join(tempDir(), "programs.txt");
  fs.writeFileSync(file, `-n 1 ${APP} a\n-n 1 --map-by node ${APP} b\n`);
  const { code, stderr } = await launch(["--app", file]);
  assert.equal(code, 2, stderr);
  assert.match(stderr, /programs\.txt:2: --map-by applies to the whole job/);
});
