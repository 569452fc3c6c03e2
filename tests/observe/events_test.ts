/**
 * `--events FILE` and the live state on SIGUSR1 and SIGUSR2, through the real launcher: the events of a job that
 * succeeds, fails and times out, and what each rank is doing while it runs.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { flavour, launcherCommand, REPO, runRanks, startLauncher } from "../_helpers/run_ranks.ts";

/** The JSON lines of `text` (other lines skipped). */
function events(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-events-"));
}

/** Resolves once `condition` holds, polling; fails after `ms`, saying `what` it waited for. */
async function until(condition: () => boolean, what: () => string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test(`ranks in a hot loop of messages still answer SIGUSR2 (${flavour})`, async () => {
  // Every wait of this job ends in its first spin, before the event loop turns (see transport/progress.ts):
  // the ranks must still give the loop turns, or they never read the launcher's request.
  const dir = tempDir();
  const go = path.join(dir, "go");
  const job = startLauncher([
    "-n",
    "2",
    "--tag-output",
    path.join(REPO, "tests/observe/fixtures/hot_loop.ts"),
    go,
  ]);
  const reports: string[] = [];
  try {
    await until(
      () => (job.stdout.match(/\] ready$/gm) ?? []).length === 2,
      () => `2 ready lines: ${job.stdout}`,
    );
    for (let round = 1; round <= 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      process.kill(job.child.pid!, "SIGUSR2");
      await until(
        () =>
          (job.stderr.split("SIGUSR2:").length - 1 === round) &&
          /rank 1: .*\n/.test(job.stderr.split("SIGUSR2:")[round]),
        () => `live report ${round} on SIGUSR2: ${job.stderr}`,
      );
      reports.push(job.stderr.split("SIGUSR2:")[round]);
    }
  } finally {
    fs.writeFileSync(go, "");
  }
  const code = await job.exited;
  assert.equal(code, 0, job.stderr);
  for (const report of reports) {
    for (const rank of [0, 1]) {
      const line = report.match(new RegExp(`^ {2}rank ${rank}: (.*)$`, "m"));
      assert.ok(line, `no line for rank ${rank} in ${report}`);
      assert.doesNotMatch(
        line[1],
        /did not answer/,
        `rank ${rank} in a hot loop did not answer: ${job.stderr}`,
      );
    }
  }
  const trips = Number(job.stdout.match(/round trips: (\d+)/)?.[1]);
  assert.ok(trips > 10_000, `the loop was not hot: ${trips} round trips in about a second (${job.stdout})`);
});

test(`SIGUSR1 and SIGUSR2 print what each rank is doing; --events FILE follows the job (${flavour})`, async () => {
  const dir = tempDir();
  const eventsFile = path.join(dir, "job.jsonl");
  const go = path.join(dir, "go");
  const job = startLauncher([
    "-n",
    "3",
    "--oversubscribe",
    "--tag-output",
    "--timeout",
    "55",
    "--events",
    eventsFile,
    path.join(REPO, "tests/observe/fixtures/live.ts"),
    go,
  ]);
  try {
    await until(
      () => (job.stdout.match(/\] ready$/gm) ?? []).length === 3,
      () => `3 ready lines: ${job.stdout}`,
    );
    // Rank 0's recv is posted right after its "ready": give it a moment to be pending.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const signal of ["SIGUSR2", "SIGUSR1"] as const) {
      process.kill(job.child.pid!, signal);
      await until(
        () => /rank 2: .*\n/.test(job.stderr.split(`${signal}:`)[1] ?? ""),
        () => `a live report on ${signal}: ${job.stderr}`,
      );
      // Deno 2.9.2 and later open their inspector on SIGUSR1 whatever the script does (see docs/observe.md).
      if (signal === "SIGUSR2" || flavour !== "deno") {
        assert.doesNotMatch(job.stderr, /Debugger listening/, `${signal} opened an inspector`);
      }
    }
  } finally {
    fs.writeFileSync(go, "");
  }
  const code = await job.exited;
  assert.equal(code, 0, job.stderr);
  for (const signal of ["SIGUSR1", "SIGUSR2"]) {
    const start = job.stderr.indexOf(`mpirun-deno: ${signal}: what each rank is doing`);
    assert.ok(start >= 0, job.stderr);
    const report = job.stderr.slice(start).split("\n").slice(1, 4).join("\n");
    assert.match(report, /^ {2}rank 0: recv\(source=1, tag=7\) on COMM_WORLD for \d+\.\d s$/m, job.stderr);
    assert.match(report, /^ {2}rank 1: computing$/m, job.stderr);
    assert.match(
      report,
      /^ {2}rank 2: barrier \(collective #\d+\) on COMM_WORLD for \d+\.\d s$/m,
      job.stderr,
    );
  }
  assert.match(job.stdout, /^\[0\] got go$/m, "the job went on after the report");

  const lines = events(fs.readFileSync(eventsFile, "utf8"));
  assert.deepEqual(lines[0].event, "job_start");
  assert.equal(lines[0].size, 3);
  assert.equal(lines.at(-1)!.event, "job_end");
  assert.equal(lines.at(-1)!.code, 0);
  assert.equal(lines.at(-1)!.failure, null);
  for (const line of lines) assert.match(String(line.time), /^\d{4}-\d\d-\d\dT/);
  for (let rank = 0; rank < 3; rank++) {
    const start = lines.find((line) => line.event === "rank_start" && line.rank === rank);
    assert.ok(
      start && typeof start.pid === "number" && typeof start.host === "string",
      JSON.stringify(lines),
    );
    const exit = lines.find((line) => line.event === "rank_exit" && line.rank === rank);
    assert.deepEqual(exit && [exit.code, exit.signal], [0, null], JSON.stringify(lines));
    assert.ok(lines.indexOf(start) < lines.indexOf(exit!), "a rank starts before it exits");
  }
});

test(`--events /dev/stderr names the failed rank and the job's exit code (${flavour})`, async () => {
  const job = await runRanks(3, "tests/observe/fixtures/exit_code.ts", {
    launcherArgs: ["--events", "/dev/stderr"],
  });
  assert.equal(job.code, 3, job.stderr);
  const lines = events(job.stderr);
  const exit = lines.find((line) => line.event === "rank_exit" && line.rank === 1);
  assert.equal(exit?.code, 3, job.stderr);
  const end = lines.at(-1)!;
  assert.equal(end.event, "job_end");
  assert.equal(end.code, 3);
  assert.match(String(end.failure), /^rank 1 \(host .*, pid \d+\) exited with code 3$/);
});

test(`--events writes a timeout with what every rank waited for (${flavour})`, async () => {
  const file = path.join(tempDir(), "timeout.jsonl");
  const job = await runRanks(2, "tests/faults/hang.ts", {
    launcherArgs: ["--timeout", "3", "--events", file],
  });
  assert.equal(job.code, 124, job.stderr);
  const lines = events(fs.readFileSync(file, "utf8"));
  const timeout = lines.find((line) => line.event === "timeout");
  assert.equal(timeout?.seconds, 3, JSON.stringify(lines));
  // What each rank waits for (under heavy load a rank may still be in the fixture's first exchange).
  for (const rank of [0, 1]) {
    assert.ok(
      (timeout!.blocked as string[]).some((line) => line.startsWith(`rank ${rank}: recv(source=`)),
      JSON.stringify(timeout),
    );
  }
  assert.equal(lines.at(-1)!.event, "job_end");
  assert.equal(lines.at(-1)!.code, 124);
});

test(`--events names what is wrong with its file (${flavour})`, async () => {
  const job = await runRanks(1, "examples/hello.ts", {
    launcherArgs: ["--events", "/nonexistent/dir/x.jsonl"],
  });
  assert.equal(job.code, 2);
  assert.match(job.stderr, /--events: the directory of "\/nonexistent\/dir\/x.jsonl" does not exist/);
});

test(`at a terminal, the first Ctrl-C prints what each rank is doing before the ranks get it (${flavour})`, async () => {
  const dir = tempDir();
  const eventsFile = path.join(dir, "job.jsonl");
  const { command, args } = launcherCommand([
    "-n",
    "2",
    "--oversubscribe",
    "--tag-output",
    "--timeout",
    "55",
    "--events",
    eventsFile,
    path.join(REPO, "tests/observe/fixtures/live.ts"),
    path.join(dir, "never"),
  ]);
  // `script` runs the launcher on a pseudo-terminal: its stderr is a terminal, as where Ctrl-C is pressed.
  const quoted = [command, ...args].map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qfec", quoted, "/dev/null"], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk) => output += chunk);
  child.stderr.setEncoding("utf8").on("data", (chunk) => output += chunk);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  await until(() => (output.match(/\] ready/g) ?? []).length === 2, () => `2 ready lines: ${output}`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const start = events(fs.readFileSync(eventsFile, "utf8")).find((line) => line.event === "job_start");
  process.kill(start!.pid as number, "SIGINT");
  const code = await exited;
  assert.equal(code, 130, output);
  const report = output.slice(output.indexOf("mpirun-deno: Ctrl-C: what each rank is doing"));
  assert.match(report, /^ {2}rank 0: recv\(source=1, tag=7\) on COMM_WORLD for \d+\.\d s\r?$/m, output);
  assert.match(report, /^ {2}rank 1: computing\r?$/m, output);
  // Then the ranks got the SIGINT, and the launcher names the job's end.
  assert.match(report, /^mpirun-deno: job interrupted by SIGINT\r?$/m, output);
});
