/**
 * Faults and launcher features with real ranks: the scripts of tests/faults run the real module under the
 * real launcher (see run_ranks.ts for which one), and every test checks the launcher's exit code, its
 * one-line message (rank, host, pid, reason), how fast it ended the job, and that no rank process is left
 * alive.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { VERSION } from "../lib/constants.ts";
import { alive } from "./launch/_helpers.ts";
import { flavour, launcherCommand, REPO, runDirect } from "./_helpers/run_ranks.ts";
import { sharedMemoryNames } from "./_helpers/shared_regions.ts";

/** The bound on ending a job after its first failure. */
const END_BOUND_MS = 2000;

/** How long ranks may take to die once their launcher was killed (they die with it: see parent_death.ts). */
const ORPHAN_BOUND_MS = 2000;

/** A test fails (and cleans up) if a job runs longer than this. */
const JOB_LIMIT_MS = 30_000;

const HOST = os.hostname();

/** What a job left once its launcher exited. */
interface Ended {
  /** The launcher's exit code, null if it was killed. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** When the launcher exited (ms since the epoch). */
  endedAt: number;
  /** stdout lines of each rank, without the prefixes. */
  ranks: string[][];
}

/** A job under way. */
interface Job {
  finished: Promise<Ended>;
  /** Resolves once stdout has `count` lines matching `pattern` (with any tag). */
  waitFor(pattern: RegExp, count: number): Promise<void>;
  /** Signals the launcher process (not through child.kill: see tests/launch/_helpers.ts). */
  signal(signal: NodeJS.Signals): void;
  /** The rank pids printed so far, by rank. */
  pids(): number[];
  launcherPid: number;
}

interface JobOptions {
  launcherArgs?: string[];
  scriptArgs?: string[];
  env?: Record<string, string>;
  input?: string;
}

/** `[2] text` or `2026-01-01T00:00:00.000Z [2] text`. */
const TAGGED = /^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z )?\[(\d+)\] (.*)$/;

function rankLines(stdout: string, size: number): string[][] {
  const ranks: string[][] = Array.from({ length: size }, () => []);
  for (const line of stdout.split("\n")) {
    const match = TAGGED.exec(line);
    if (match && Number(match[1]) < size) ranks[Number(match[1])].push(match[2]);
  }
  return ranks;
}

/** Starts `tests/faults/<fixture>.ts` on `size` ranks with `--tag-output`. */
function startJob(size: number, fixture: string, options: JobOptions = {}): Job {
  const { command, args } = launcherCommand([
    "-n",
    String(size),
    "--oversubscribe",
    "--tag-output",
    ...(options.launcherArgs ?? []),
    path.join(REPO, "tests", "faults", `${fixture}.ts`),
    ...(options.scriptArgs ?? []),
  ]);
  const child = spawn(command, args, {
    cwd: REPO,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let exited = false;
  let wake = () => {};
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk;
    wake();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  child.stdin.on("error", () => {});
  child.stdin.end(options.input ?? "");
  const pids = () =>
    rankLines(stdout, size).map((lines) => Number(lines.find((line) => line.startsWith("pid:"))?.slice(4)));
  let endedAt = 0;
  child.on("exit", () => endedAt = Date.now());
  const finished = new Promise<Ended>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Leave nothing behind, then fail the test.
      for (const pid of [child.pid!, ...pids()]) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      reject(new Error(`${fixture} on ${size} ranks ran past ${JOB_LIMIT_MS} ms:\n${stdout}\n${stderr}`));
    }, JOB_LIMIT_MS);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      exited = true;
      wake();
      resolve({ code, signal, stdout, stderr, endedAt, ranks: rankLines(stdout, size) });
    });
  });
  return {
    finished,
    async waitFor(pattern, count) {
      const matches = () => rankLines(stdout, size).flat().filter((line) => pattern.test(line)).length;
      while (matches() < count) {
        if (exited) {
          throw new Error(`the job ended before ${count} lines matched ${pattern}:\n${stdout}\n${stderr}`);
        }
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
    signal: (signal) => process.kill(child.pid!, signal),
    pids,
    launcherPid: child.pid!,
  };
}

/** Runs a job to its end. */
function runJob(size: number, fixture: string, options: JobOptions = {}): Promise<Ended> {
  return startJob(size, fixture, options).finished;
}

/** The pid each rank printed (`pid:N`), NaN for a rank that printed none. */
function pidsSoFar(job: Ended, size: number): number[] {
  return rankLines(job.stdout, size).map((lines) =>
    Number(lines.find((line) => line.startsWith("pid:"))?.slice(4))
  );
}

/** The pid every rank printed (`pid:N`); fails unless each rank printed one. */
function printedPids(job: Ended, size: number): number[] {
  const pids = pidsSoFar(job, size);
  pids.forEach((pid, rank) =>
    assert.ok(pid > 0, `rank ${rank} printed no pid:\n${job.stdout}\n${job.stderr}`)
  );
  return pids;
}

/** Waits up to `withinMs` for every process of `pids` to be gone; fails naming the survivors. */
async function assertAllGone(pids: readonly number[], withinMs = 0): Promise<void> {
  const deadline = Date.now() + withinMs;
  let survivors = pids.filter(alive);
  while (survivors.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    survivors = survivors.filter(alive);
  }
  for (const pid of survivors) process.kill(pid, "SIGKILL");
  assert.deepEqual(survivors, [], `rank processes outlived the launcher by more than ${withinMs} ms`);
}

/** The launcher's own lines (untagged, `mpirun-deno: ...`) on stderr. */
function launcherLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => line.startsWith("mpirun-deno: "));
}

/** Checks the one line that names the failed rank: `rank R (host H, pid P) <reason>`. */
function assertFailureLine(job: Ended, rank: number, pid: number, reason: string): void {
  assert.deepEqual(
    launcherLines(job.stderr),
    [`mpirun-deno: rank ${rank} (host ${HOST}, pid ${pid}) ${reason}`],
    job.stderr,
  );
}

/** Checks that the launcher exited within the bound after `rank` printed `failing at:T`. */
function assertEndedSoon(job: Ended, rank: number): void {
  const line = job.ranks[rank].find((text) => text.startsWith("failing at:"));
  assert.ok(line, `rank ${rank} did not say when it failed:\n${job.stdout}`);
  const elapsed = job.endedAt - Number(line.slice("failing at:".length));
  assert.ok(elapsed < END_BOUND_MS, `the launcher took ${elapsed} ms to end the job`);
}

const FAILURES = [
  { fixture: "fail_exit", code: 3, reason: "exited with code 3", what: "a rank calling process.exit(3)" },
  {
    fixture: "fail_signal",
    code: 137,
    reason: "was killed by signal SIGKILL",
    what: "a rank killed by SIGKILL",
  },
  {
    fixture: "fail_uncaught",
    code: 1,
    reason: "aborted with code 1: uncaught exception: TypeError: rank 1 throws from a timer",
    what: "an uncaught exception thrown from a timer",
  },
  {
    fixture: "fail_rejection",
    code: 1,
    reason: "aborted with code 1: unhandled promise rejection: RangeError: rank 1 rejects on purpose",
    what: "an unhandled promise rejection",
  },
  {
    fixture: "fail_abort",
    code: 5,
    reason: "aborted with code 5: Abort(5) called on COMM_WORLD",
    what: "Abort(5)",
  },
];

for (const { fixture, code, reason, what } of FAILURES) {
  test(`${what} ends the job with code ${code}, naming rank 1, within 2 s (${flavour})`, async () => {
    const job = await runJob(3, fixture);
    const pids = printedPids(job, 3);
    assert.equal(job.code, code, job.stderr);
    assertFailureLine(job, 1, pids[1], reason);
    assertEndedSoon(job, 1);
    await assertAllGone(pids);
  });
}

test(`a rank killed while it sets up a region ends the job, naming it, and leaves nothing under /dev/shm (${flavour})`, async () => {
  const namedBefore = new Set(sharedMemoryNames());
  const job = await runJob(2, "killed_in_setup");
  const pids = printedPids(job, 2);
  assert.equal(job.code, 137, job.stderr);
  assertFailureLine(job, 0, pids[0], "was killed by signal SIGKILL");
  const region = job.ranks[1].find((line) => line.startsWith("region:"))?.slice("region:".length);
  assert.match(
    region ?? "",
    /^mpirun-deno-c\d+-[0-9a-f]{8}$/,
    `rank 1 saw no region of rank 0:\n${job.stdout}`,
  );
  const left = sharedMemoryNames().filter((name) => !namedBefore.has(name));
  assert.deepEqual(left, [], "the job left names under /dev/shm");
  await assertAllGone(pids);
});

test(`a rank that finishes while the others wait for its message ends the job, named as the failure (${flavour})`, async () => {
  const job = await runJob(3, "early_exit");
  const pids = printedPids(job, 3);
  assert.equal(job.code, 1, job.stderr);
  const lines = launcherLines(job.stderr);
  assert.equal(lines.length, 1, job.stderr);
  // The rank that left is the failure, not the rank that waited on it. (A Deno rank runs the script as its
  // main module, where a rejected top-level await is an unhandled rejection, as under plain `deno run`.)
  const match =
    /^mpirun-deno: rank 1 \(host (.*), pid (\d+)\) exited with code 0 while rank ([02]) still needed it \(rank \3: (?:uncaught exception|unhandled promise rejection): MPIError \[ERR_PEER_LOST\]: rank \3: rank 1 is gone \(.*\)\)$/
      .exec(lines[0]);
  assert.ok(match, lines[0]);
  assert.equal(match[1], HOST);
  assert.equal(Number(match[2]), pids[1]);
  assertEndedSoon(job, 1);
  await assertAllGone(pids);
});

test(`--timeout ends a deadlocked job with 124 and says what each rank waits for (${flavour})`, async () => {
  // A loaded machine can still be starting a rank when a short timeout strikes; the report then says so ("not
  // connected", "not blocked in an MPI call", or "did not answer" from a rank still loading its script) instead
  // of naming the deadlock (CI once saw it at 3 s beside four CPU hogs). Such a run is tried again with twice
  // the time; every run must end with 124 and the timeout line, and the last must show the deadlock.
  const blocked = [
    /^rank 0: recv\(source=1, tag=6\) on COMM_WORLD for \d+\.\d s$/,
    /^rank 1: recv\(source=0, tag=5\) on COMM_WORLD for \d+\.\d s$/,
    // The label of a collective is its own module's business: only its name and communicator are checked.
    /^rank 2: barrier\b.* on COMM_WORLD for \d+\.\d s$/,
  ];
  for (const seconds of [3, 6, 12]) {
    const job = await runJob(3, "hang", { launcherArgs: ["--timeout", String(seconds)] });
    assert.equal(job.code, 124, job.stderr);
    assert.deepEqual(
      launcherLines(job.stderr),
      [`mpirun-deno: job timed out after ${seconds} s`],
      job.stderr,
    );
    const report = job.stderr.split("\n").filter((line) => line.startsWith("rank "));
    const starting = report.some((line) =>
      / (not connected to the launcher|not blocked in an MPI call|did not answer \(busy outside MPI calls\?\))$/
        .test(line)
    );
    if (starting && seconds < 12) {
      // The ranks of a run tried again are gone all the same: those that printed their pid, checked.
      await assertAllGone(pidsSoFar(job, 3).filter((pid) => pid > 0));
      continue;
    }
    const pids = printedPids(job, 3);
    assert.equal(report.length, 3, job.stderr);
    report.forEach((line, rank) => assert.match(line, blocked[rank]));
    await assertAllGone(pids);
    return;
  }
});

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

for (const [signal, number] of Object.entries(SIGNAL_NUMBERS)) {
  test(`${signal} to the launcher reaches every rank; the job is interrupted, 128 + ${number} (${flavour})`, async () => {
    const running = startJob(3, "signals");
    await running.waitFor(/^ready$/, 3);
    running.signal(signal as NodeJS.Signals);
    const job = await running.finished;
    const pids = printedPids(job, 3);
    for (let rank = 0; rank < 3; rank++) {
      assert.ok(
        job.ranks[rank].includes(`got ${signal}`),
        `rank ${rank} did not get ${signal}:\n${job.stdout}`,
      );
    }
    assert.equal(job.code, 128 + number, job.stderr);
    assert.deepEqual(launcherLines(job.stderr), [`mpirun-deno: job interrupted by ${signal}`]);
    await assertAllGone(pids);
  });
}

test(`ranks that do not handle SIGTERM die by it, and the job exits 143 (${flavour})`, async () => {
  const running = startJob(2, "hang");
  await running.waitFor(/^ready$/, 2);
  running.signal("SIGTERM");
  const job = await running.finished;
  const pids = printedPids(job, 2);
  assert.equal(job.code, 143, job.stderr);
  assert.deepEqual(launcherLines(job.stderr), ["mpirun-deno: job interrupted by SIGTERM"]);
  await assertAllGone(pids);
});

test(`a second SIGINT kills every rank at once, even ranks that ignore SIGINT (${flavour})`, async () => {
  const running = startJob(3, "signals", { scriptArgs: ["--ignore-first-sigint"] });
  await running.waitFor(/^ready$/, 3);
  running.signal("SIGINT");
  await running.waitFor(/^ignored SIGINT$/, 3);
  const second = Date.now();
  running.signal("SIGINT");
  const job = await running.finished;
  assert.equal(job.code, 130, job.stderr);
  // Ranks that outlive the grace time after the first SIGINT are killed anyway: under load that may come first.
  assert.match(
    launcherLines(job.stderr).join("\n"),
    /^mpirun-deno: job interrupted by SIGINT(; killed every rank after a second SIGINT)?$/,
  );
  assert.ok(job.endedAt - second < END_BOUND_MS, `the launcher took ${job.endedAt - second} ms`);
  await assertAllGone(printedPids(job, 3));
});

test(`ranks exit on their own when their launcher is killed with SIGKILL (${flavour})`, async () => {
  const running = startJob(3, "hang");
  await running.waitFor(/^ready$/, 3);
  const pids = running.pids();
  running.signal("SIGKILL");
  const job = await running.finished;
  assert.equal(job.signal, "SIGKILL");
  await assertAllGone(pids, ORPHAN_BOUND_MS);
});

/** The pids of the children of process `pid` (Linux: /proc/PID/task/TID/children). */
function childrenOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").split(" ").filter((text) => text !== "")
        .map(Number)
    );
  } catch {
    return [];
  }
}

test(`ranks still starting up exit when their launcher is killed with SIGKILL (${flavour})`, async () => {
  const running = startJob(3, "hang");
  let ranks: number[] = [];
  for (const deadline = Date.now() + 10_000; ranks.length < 3 && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    ranks = childrenOf(running.launcherPid);
  }
  assert.equal(ranks.length, 3, "the launcher did not start 3 ranks");
  running.signal("SIGKILL");
  await running.finished;
  await assertAllGone(ranks, ORPHAN_BOUND_MS);
});

test(`standard input goes to rank 0 only; the others read end-of-file (${flavour})`, async () => {
  const job = await runJob(3, "stdin", { input: "first line\nsecond line\n" });
  assert.equal(job.code, 0, job.stderr);
  assert.ok(job.ranks[0].includes(`stdin:${JSON.stringify("first line\nsecond line\n")}`), job.stdout);
  assert.ok(job.ranks[1].includes('stdin:""'), job.stdout);
  assert.ok(job.ranks[2].includes('stdin:""'), job.stdout);
  await assertAllGone(printedPids(job, 3));
});

test(`-x exports variables (with a value, the launcher's own, or empty) and --wdir sets the directory (${flavour})`, async () => {
  const wdir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-faults-")));
  try {
    const job = await runJob(2, "environment", {
      launcherArgs: ["-x", "FAULTS_SET=a=b", "-x", "FAULTS_INHERITED", "-x", "FAULTS_EMPTY=", "--wdir", wdir],
      env: { FAULTS_INHERITED: "from the launcher" },
    });
    assert.equal(job.code, 0, job.stderr);
    for (let rank = 0; rank < 2; rank++) {
      assert.deepEqual(job.ranks[rank].slice(2), [
        `cwd:${wdir}`,
        'FAULTS_SET:"a=b"',
        'FAULTS_INHERITED:"from the launcher"',
        'FAULTS_EMPTY:""',
      ]);
    }
    await assertAllGone(printedPids(job, 2));
  } finally {
    fs.rmSync(wdir, { recursive: true, force: true });
  }
});

test(`--output-filename writes DIR/rank.N/stdout and stderr and still prints everything (${flavour})`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-faults-"));
  try {
    const job = await runJob(2, "output", { launcherArgs: ["--output-filename", path.join(dir, "out")] });
    assert.equal(job.code, 0, job.stderr);
    for (let rank = 0; rank < 2; rank++) {
      const stdout = fs.readFileSync(path.join(dir, "out", `rank.${rank}`, "stdout"), "utf8");
      const stderr = fs.readFileSync(path.join(dir, "out", `rank.${rank}`, "stderr"), "utf8");
      assert.equal(
        stdout,
        `pid:${printedPids(job, 2)[rank]}\nready\nout from rank ${rank}\nlast line of rank ${rank}\n`,
      );
      assert.equal(stderr, `err from rank ${rank}\n`);
      assert.ok(job.ranks[rank].includes(`out from rank ${rank}`), job.stdout);
      assert.match(job.stderr, new RegExp(`^\\[${rank}\\] err from rank ${rank}$`, "m"));
    }
    await assertAllGone(printedPids(job, 2));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(`--timestamp-output puts the ISO time before the rank tag of every line (${flavour})`, async () => {
  const before = Date.now();
  const job = await runJob(2, "output", { launcherArgs: ["--timestamp-output"] });
  assert.equal(job.code, 0, job.stderr);
  const lines = [...job.stdout.split("\n"), ...job.stderr.split("\n")].filter((line) => line !== "");
  assert.equal(lines.length, 10, job.stdout + job.stderr);
  for (const line of lines) {
    const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[[01]\] \S/.exec(line);
    assert.ok(match, `no timestamp and tag on ${JSON.stringify(line)}`);
    const time = Date.parse(match[1]);
    assert.ok(time >= before - 1000 && time <= Date.now(), `time ${match[1]} is not when the job ran`);
  }
  await assertAllGone(printedPids(job, 2));
});

test(`1 MiB per rank written in chunks cut mid-line, then process.exit, arrives whole and unmixed (${flavour})`, async () => {
  const size = 3;
  const job = await runJob(size, "flood");
  assert.equal(job.code, 0, job.stderr);
  const seen = Array.from({ length: size }, () => 0);
  for (const line of job.stdout.split("\n")) {
    if (line === "") continue;
    const match = /^\[(\d)\] (?:pid:\d+|ready|(\d):(\d+):(x+))$/.exec(line);
    assert.ok(match, `a line was cut or mixed: ${JSON.stringify(line.slice(0, 200))}`);
    if (match[2] === undefined) continue;
    const rank = Number(match[1]);
    assert.equal(Number(match[2]), rank, `rank ${rank} printed another rank's line`);
    assert.equal(Number(match[3]), seen[rank], `rank ${rank}'s lines arrived out of order or with a gap`);
    assert.equal(line.length - 4, 127, `rank ${rank}'s line ${seen[rank]} has the wrong length`);
    seen[rank]++;
  }
  assert.deepEqual(seen, [8192, 8192, 8192], "every rank writes 8192 lines of 128 bytes (1 MiB)");
  await assertAllGone(printedPids(job, size));
});

test(`without a launcher (direct srun), Abort(5) on one rank ends every rank with code 5 (${flavour})`, async () => {
  const results = await runDirect(3, "tests/faults/fail_abort.ts");
  for (const [rank, result] of results.entries()) {
    assert.equal(result.code, 5, `rank ${rank}: ${result.signal ?? ""} ${result.stderr}`);
  }
  assert.match(results[1].stderr, /mpirun-deno: rank 1: Abort\(5\) called on COMM_WORLD/);
  await assertAllGone(results.map((result) => Number(/pid:(\d+)/.exec(result.stdout)?.[1])));
});

test(`without a launcher, ranks waiting in a barrier for a dead rank get ERR_PEER_LOST (${flavour})`, async () => {
  const results = await runDirect(3, "tests/faults/peer_lost_collective.ts");
  assert.equal(results[0].signal, "SIGKILL", results[0].stderr);
  for (const rank of [1, 2]) {
    assert.equal(results[rank].code, 3, results[rank].stderr);
    assert.match(
      results[rank].stderr,
      new RegExp(`rank ${rank} got ERR_PEER_LOST in barrier: rank ${rank}: `),
    );
  }
  const pids = results.map((result) => Number(/pid:(\d+)/.exec(result.stdout)?.[1]));
  await assertAllGone(pids);
});

test(`--version and --help answer without starting a job (${flavour})`, async () => {
  for (const [flag, expected] of [["--version", `mpirun-deno ${VERSION} (`], ["--help", "--timeout"]]) {
    const { command, args } = launcherCommand([flag]);
    const child = spawn(command, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => stdout += chunk);
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(code, 0, flag);
    assert.ok(stdout.includes(expected), `${flag} printed ${stdout}`);
    if (flag === "--help") {
      for (const option of ["--tag-output", "--timestamp-output", "--output-filename", "-x", "--wdir"]) {
        assert.ok(stdout.includes(option), `--help does not mention ${option}`);
      }
    }
  }
});
