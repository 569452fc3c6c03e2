/**
 * The whole launcher as a process, with fake ranks (`fixtures/fake_rank.ts`) that join the rendezvous as real
 * ranks do: exit codes, failure messages, killing, signals, timeouts, stdin, environment and output.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { alive, FAKE_RANK, printedPids, runDriver, startDriver, tempDir } from "./_helpers.ts";

const OPTS = { timeout: 30_000 };

/** Waits a little for processes killed with the launcher to be gone, then asserts none is left. */
async function assertGone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 1000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(pids.filter(alive), [], "no rank process outlives the launcher");
}

/** The pid each rank printed, from tagged output. */
function pidOf(stdout: string, rank: number): number {
  const match = new RegExp(`^\\[${rank}\\] pid:(\\d+)$`, "m").exec(stdout);
  assert.ok(match, `rank ${rank} printed no pid in ${stdout}`);
  return Number(match[1]);
}

function launcherLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("mpirun-deno: "));
}

test("every rank gets the world and the job exits 0 when every rank exits 0", OPTS, async () => {
  const { code, stdout, stderr } = await runDriver(["-n", "3", "--tag-output"], ["*=world", "*=pid"]);
  assert.equal(code, 0, stderr);
  assert.equal(stderr, "");
  for (const rank of [0, 1, 2]) assert.ok(stdout.includes(`[${rank}] world:[10000,10001,10002]\n`), stdout);
  await assertGone(printedPids(stdout));
});

test(
  "a non-zero exit ends the job with that code, one line naming the rank, the others killed",
  OPTS,
  async () => {
    const started = Date.now();
    const { code, stdout, stderr } = await runDriver(
      ["-n", "4", "--tag-output"],
      ["*=pid", "*=child", "2=sleep:300", "2=exit:3", "*=hang"],
    );
    assert.equal(code, 3, stderr);
    assert.deepEqual(launcherLines(stderr), [
      `mpirun-deno: rank 2 (host fakehost, pid ${pidOf(stdout, 2)}) exited with code 3`,
    ]);
    assert.ok(Date.now() - started < 5000, "the others were killed at once");
    await assertGone([...printedPids(stdout), ...printedPids(stdout, "child")]);
  },
);

test("a rank killed by a signal ends the job with 128 + the signal number", OPTS, async () => {
  const { code, stdout, stderr } = await runDriver(
    ["-n", "3", "--tag-output"],
    ["*=pid", "1=sleep:200", "1=kill:SIGKILL", "*=hang"],
  );
  assert.equal(code, 137);
  assert.deepEqual(launcherLines(stderr), [
    `mpirun-deno: rank 1 (host fakehost, pid ${pidOf(stdout, 1)}) was killed by signal SIGKILL`,
  ]);
  await assertGone(printedPids(stdout));
});

test("an abort ends the job with its code and the first line of its reason", OPTS, async () => {
  const { code, stdout, stderr } = await runDriver(
    ["-n", "3", "--tag-output"],
    ["*=pid", "0=sleep:200", "0=abort:5:Abort(5) called\n    at main (app.ts:3)", "*=hang"],
  );
  assert.equal(code, 5);
  assert.deepEqual(launcherLines(stderr), [
    `mpirun-deno: rank 0 (host fakehost, pid ${pidOf(stdout, 0)}) aborted with code 5: Abort(5) called`,
  ]);
  await assertGone(printedPids(stdout));
});

test("only the first failure counts", OPTS, async () => {
  const { code, stderr } = await runDriver(["-n", "3"], ["1=exit:4", "2=sleep:300", "2=exit:9", "*=hang"]);
  assert.equal(code, 4);
  assert.equal(launcherLines(stderr).length, 1);
  assert.match(stderr, /rank 1 .* exited with code 4/);
});

test("a rank that exits 0 without joining while the others wait for it fails the job", OPTS, async () => {
  const { code, stderr } = await runDriver(["-n", "3"], ["2=nohello", "*=hang"]);
  assert.equal(code, 1);
  assert.match(
    stderr,
    /^mpirun-deno: rank 2 \(host [^,]+, pid \d+\) exited with code 0 before joining the job/m,
  );
});

test("--timeout reports what each rank is blocked in, kills everything and exits 124", OPTS, async () => {
  const started = Date.now();
  const { code, stdout, stderr } = await runDriver(
    ["-n", "3", "--timeout", "1", "--tag-output"],
    ["*=pid", "2=spin", "*=hang"],
  );
  assert.equal(code, 124);
  assert.equal(
    stderr,
    [
      "mpirun-deno: job timed out after 1 s",
      "rank 0: recv(source=0, tag=5) on COMM_WORLD for 1.0 s",
      "rank 1: recv(source=0, tag=5) on COMM_WORLD for 1.0 s",
      "rank 2: did not answer (busy outside MPI calls?)",
      "",
    ].join("\n"),
  );
  assert.ok(Date.now() - started < 6000);
  await assertGone(printedPids(stdout));
});

test(
  "SIGINT to the launcher reaches every rank; the job is reported interrupted, not a rank",
  OPTS,
  async () => {
    const driver = startDriver(["-n", "2", "--tag-output"], ["*=pid", "*=child", "*=hang"]);
    await driver.waitFor(/child:\d+/, 2);
    driver.signal("SIGINT");
    const { code, stdout, stderr } = await driver.finished;
    assert.equal(code, 130);
    assert.deepEqual(launcherLines(stderr), ["mpirun-deno: job interrupted by SIGINT"]);
    await assertGone([...printedPids(stdout), ...printedPids(stdout, "child")]);
  },
);

test("SIGTERM is forwarded to ranks that handle it; the job exits 143 all the same", OPTS, async () => {
  const driver = startDriver(["-n", "2", "--tag-output"], ["*=trap:SIGTERM", "*=pid", "*=sleep:1500"]);
  await driver.waitFor(/pid:\d+/, 2);
  driver.signal("SIGTERM");
  const { code, stdout, stderr } = await driver.finished;
  assert.equal(code, 143, stderr);
  assert.deepEqual(launcherLines(stderr), ["mpirun-deno: job interrupted by SIGTERM"]);
  assert.match(stdout, /\[0\] got SIGTERM/);
  assert.match(stdout, /\[1\] got SIGTERM/);
});

test("a second SIGINT kills every rank at once", OPTS, async () => {
  const driver = startDriver(["-n", "2", "--tag-output"], ["*=trap:SIGINT", "*=pid", "*=hang"]);
  await driver.waitFor(/pid:\d+/, 2);
  driver.signal("SIGINT");
  await driver.waitFor(/got SIGINT/, 2);
  driver.signal("SIGINT");
  const { code, stdout, stderr } = await driver.finished;
  assert.equal(code, 130);
  assert.deepEqual(launcherLines(stderr), [
    "mpirun-deno: job interrupted by SIGINT; killed every rank after a second SIGINT",
  ]);
  await assertGone(printedPids(stdout));
});

test("standard input goes to rank 0; the others read end-of-file", OPTS, async () => {
  const { code, stdout } = await runDriver(["-n", "3", "--tag-output"], ["*=stdin"], "line one\nline two\n");
  assert.equal(code, 0);
  assert.match(stdout, /^\[0\] stdin:"line one\\nline two\\n"$/m);
  assert.match(stdout, /^\[1\] stdin:""$/m);
  assert.match(stdout, /^\[2\] stdin:""$/m);
});

test(
  "ranks see their place in the job, -x exports and --wdir; the token is never in argv",
  OPTS,
  async () => {
    const wdir = tempDir();
    const { code, stdout, stderr } = await runDriver(
      ["-n", "2", "--tag-output", "-x", "GREETING=hi there", "--wdir", wdir],
      [
        "*=env:MPIRUN_DENO_RANK",
        "*=env:MPIRUN_DENO_SIZE",
        "*=env:MPIRUN_DENO_LOCAL_RANK",
        "*=env:MPIRUN_DENO_LOCAL_SIZE",
        "*=env:MPIRUN_DENO_SCRIPT",
        "*=env:MPIRUN_DENO_BIND_ADDRESS",
        "*=env:GREETING",
        "1=env:MPIRUN_DENO_TOKEN",
        "1=argv",
        "1=cwd",
      ],
    );
    assert.equal(code, 0, stderr);
    for (const rank of [0, 1]) {
      for (
        const line of [
          `MPIRUN_DENO_RANK=${rank}`,
          "MPIRUN_DENO_SIZE=2",
          `MPIRUN_DENO_LOCAL_RANK=${rank}`,
          "MPIRUN_DENO_LOCAL_SIZE=2",
          `MPIRUN_DENO_SCRIPT=${FAKE_RANK}`,
          "MPIRUN_DENO_BIND_ADDRESS=127.0.0.1",
          "GREETING=hi there",
        ]
      ) assert.ok(stdout.includes(`[${rank}] ${line}\n`), `rank ${rank} lacks ${line}:\n${stdout}`);
    }
    const token = /MPIRUN_DENO_TOKEN=([0-9a-f]+)/.exec(stdout)![1];
    assert.equal(token.length, 64);
    assert.ok(!/^\[1\] argv:.*$/m.exec(stdout)![0].includes(token), "the token is not on the command line");
    assert.ok(
      stdout.includes(`[1] cwd:${fs.realpathSync(wdir)}\n`) || stdout.includes(`[1] cwd:${wdir}\n`),
      stdout,
    );
    fs.rmSync(wdir, { recursive: true });
  },
);

test("1 MB printed by a rank that exits at once arrives whole, and lines never mix", OPTS, async () => {
  const { code, stdout } = await runDriver(["-n", "3"], ["0=bytes:1048576", "*=lines:2000"]);
  assert.equal(code, 0);
  const lines = stdout.split("\n");
  assert.equal(lines.filter((line) => line === "y".repeat(1048576)).length, 1);
  for (const rank of [1, 2]) {
    const own = lines.filter((line) => line.startsWith(`rank ${rank} line `));
    assert.equal(own.length, 2000);
    for (const line of own) assert.match(line, /^rank \d line \d+ x{50}$/);
  }
  assert.equal(lines.filter((line) => line !== "").length, 4001);
});

test(
  "--output-filename writes DIR/rank.N/stdout and stderr; :nocopy keeps them off the terminal",
  OPTS,
  async () => {
    const dir = tempDir();
    const { code, stdout } = await runDriver(
      ["-n", "2", "--output-filename", `${dir}:nocopy`],
      ["*=env:MPIRUN_DENO_RANK", "1=lines:2"],
    );
    assert.equal(code, 0);
    assert.equal(stdout, "");
    assert.equal(fs.readFileSync(path.join(dir, "rank.0", "stdout"), "utf8"), "MPIRUN_DENO_RANK=0\n");
    assert.match(
      fs.readFileSync(path.join(dir, "rank.1", "stdout"), "utf8"),
      /^MPIRUN_DENO_RANK=1\nrank 1 line 0 x+\n/,
    );
    assert.equal(fs.readFileSync(path.join(dir, "rank.1", "stderr"), "utf8"), "");
    fs.rmSync(dir, { recursive: true });
  },
);

test("--timestamp-output puts the ISO time before the rank tag", OPTS, async () => {
  const { code, stdout } = await runDriver(["-n", "1", "--timestamp-output", "--tag-output"], [
    "*=env:MPIRUN_DENO_RANK",
  ]);
  assert.equal(code, 0);
  assert.match(stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[0\] MPIRUN_DENO_RANK=0\n$/);
});
