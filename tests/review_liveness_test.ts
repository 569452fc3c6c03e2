/**
 * Liveness with real ranks under the real launcher (issue 20, items 3, 4, 6 and 11): a rank that computes
 * for long is not dead; a killed rank is blamed, not the rank that lost it; ranks die with their launcher
 * even while computing; a pending ANY_SOURCE receive fails when a rank that could send it dies.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { alive } from "./launch/_helpers.ts";
import { flavour, launcherCommand, linesByRank, REPO, runDirect, runRanks } from "./_helpers/run_ranks.ts";
import { openRegions, sharedMemoryNames } from "./_helpers/shared_regions.ts";

/** How soon ranks must die once their launcher is killed (Open MPI's measured: 2.9 s). */
const ORPHAN_BOUND_MS = 2000;

/** A test fails (and cleans up) if a job runs longer than this. */
const JOB_LIMIT_MS = 40_000;

/** A job started with `--tag-output`, whose stdout can be waited on. */
interface Job {
  launcherPid: number;
  /** Resolves once some rank printed a line matching `pattern`. */
  waitFor(pattern: RegExp): Promise<void>;
  /** The pid each rank printed (`pid:N`), by rank. */
  pids(): number[];
  finished: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

function startJob(size: number, fixture: string, env: Record<string, string> = {}): Job {
  const { command, args } = launcherCommand([
    "-n",
    String(size),
    "--oversubscribe",
    "--tag-output",
    path.join(REPO, "tests", "faults", `${fixture}.ts`),
  ]);
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  let wake = () => {};
  child.stdout.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk;
    wake();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  child.stdin.end();
  const pids = () =>
    linesByRank(stdout, size).map((lines) => Number(lines.find((line) => line.startsWith("pid:"))?.slice(4)));
  let ended = false;
  const finished = new Promise<
    { code: number | null; signal: string | null; stdout: string; stderr: string }
  >(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        for (const pid of [child.pid!, ...pids()]) killQuietly(pid);
        reject(new Error(`${fixture} ran past ${JOB_LIMIT_MS} ms:\n${stdout}\n${stderr}`));
      }, JOB_LIMIT_MS);
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        ended = true;
        wake();
        resolve({ code, signal, stdout, stderr });
      });
    },
  );
  return {
    launcherPid: child.pid!,
    async waitFor(pattern) {
      while (!linesByRank(stdout, size).flat().some((line) => pattern.test(line))) {
        if (ended) throw new Error(`the job ended before a line matched ${pattern}:\n${stdout}\n${stderr}`);
        await new Promise<void>((resolve) => wake = resolve);
      }
    },
    pids,
    finished,
  };
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Waits up to `withinMs` for every process of `pids` to be gone; fails naming the survivors (then kills them). */
async function assertAllGone(pids: readonly number[], withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  let survivors = pids.filter(alive);
  while (survivors.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    survivors = survivors.filter(alive);
  }
  survivors.forEach(killQuietly);
  assert.deepEqual(survivors, [], `rank processes outlived their launcher by more than ${withinMs} ms`);
}

test(`a rank computing for 12 s without yielding is not taken for dead (${flavour})`, async () => {
  const job = await runRanks(4, "tests/faults/review_busy_peer.ts", { timeoutMs: JOB_LIMIT_MS });
  assert.equal(job.code, 0, job.stderr);
  assert.deepEqual(job.ranks.map((lines) => lines.filter((line) => line.startsWith("sum:"))), [
    ["sum:10"],
    ["sum:10"],
    ["sum:10"],
    ["sum:10"],
  ], job.stdout);
});

test(`a receiver killed in the middle of a rendezvous stream is blamed, 10 times out of 10 (${flavour})`, async () => {
  for (let run = 0; run < 10; run++) {
    // Over TCP (no copy between the processes' memories) the payload itself is on the wire when it dies.
    const job = startJob(2, "review_kill_receiver", { MPIRUN_DENO_TRANSPORT: "tcp" });
    await job.waitFor(/^received:3$/);
    await new Promise((resolve) => setTimeout(resolve, 15 * run)); // at different points of the stream
    const receiver = job.pids()[1];
    process.kill(receiver, "SIGKILL");
    const ended = await job.finished;
    const verdict = ended.stderr.split("\n").filter((line) => line.startsWith("mpirun-deno: "));
    assert.equal(ended.code, 137, `run ${run}: ${ended.stderr}`);
    assert.equal(verdict.length, 1, ended.stderr);
    assert.match(
      verdict[0],
      new RegExp(`^mpirun-deno: rank 1 \\(host .*, pid ${receiver}\\) was killed by signal SIGKILL$`),
    );
    await assertAllGone(job.pids(), 0);
  }
});

test(`ranks die within 2 s of their launcher's SIGKILL, even in a 20 s computation (${flavour})`, async () => {
  const job = startJob(3, "review_busy_orphan");
  await job.waitFor(/^computing$/);
  const pids = job.pids();
  assert.ok(pids.every((pid) => pid > 0), `every rank prints its pid first: ${pids}`);
  process.kill(job.launcherPid, "SIGKILL");
  await job.finished;
  await assertAllGone(pids, ORPHAN_BOUND_MS);
});

test(`a job whose launcher was killed with SIGKILL during a region's set-up leaves nothing under /dev/shm (${flavour})`, async () => {
  const namedBefore = new Set(sharedMemoryNames());
  const job = startJob(3, "review_busy_orphan");
  await job.waitFor(/^computing$/);
  const pids = job.pids();
  // Rank 0 waits in the barrier's region set-up for the computing rank: it holds the region open meanwhile.
  for (const deadline = Date.now() + 10_000; openRegions(pids[0]).length === 0;) {
    assert.ok(Date.now() < deadline, `rank 0 (pid ${pids[0]}) opened no region in 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  process.kill(job.launcherPid, "SIGKILL");
  await job.finished;
  await assertAllGone(pids, ORPHAN_BOUND_MS);
  const left = sharedMemoryNames().filter((name) => !namedBefore.has(name));
  assert.deepEqual(left, [], "the killed job left names under /dev/shm");
});

test(`without a launcher, a pending recv(ANY_SOURCE) fails with ERR_PEER_LOST when a rank dies (${flavour})`, async () => {
  const results = await runDirect(3, "tests/faults/review_any_source_lost.ts", 20_000);
  assert.equal(results[2].signal, "SIGKILL", results[2].stderr);
  assert.equal(results[0].code, 3, results[0].stderr);
  assert.match(results[0].stderr, /^rank 0 got ERR_PEER_LOST: rank 0: rank 2 is gone \(/m);
  const pids = results.map((result) => Number(/pid:(\d+)/.exec(result.stdout)?.[1]));
  await assertAllGone(pids, 0);
});

test(`a rank that ends normally does not fail a pending recv(ANY_SOURCE) (${flavour})`, async () => {
  const job = await runRanks(3, "tests/faults/review_any_source_finished.ts", { timeoutMs: JOB_LIMIT_MS });
  assert.equal(job.code, 0, job.stderr);
  assert.deepEqual(job.ranks[0], ["got:from rank 1"], job.stdout);
});

test(`a rank of another host that ends normally does not fail a wait in shared memory (${flavour})`, async () => {
  // Before the fix, 3 runs in 4 failed with ERR_PEER_LOST naming the rank that had ended.
  for (let run = 0; run < 3; run++) {
    const job = await runRanks(4, "tests/faults/review_remote_finished.ts", {
      timeoutMs: JOB_LIMIT_MS,
      env: { MPIRUN_DENO_HOSTNAME: "a,a,b,b" },
    });
    assert.equal(job.code, 0, job.stderr);
    assert.deepEqual(job.ranks, Array.from({ length: 4 }, () => ["got:from rank 0"]), job.stdout);
  }
});

test(`a rank that skips a barrier across hosts ends the job, named (${flavour})`, async () => {
  const job = await runRanks(4, "tests/faults/review_remote_finished.ts", {
    timeoutMs: JOB_LIMIT_MS,
    env: { MPIRUN_DENO_HOSTNAME: "a,a,b,b" },
    scriptArgs: ["skip"],
  });
  assert.notEqual(job.code, 0, job.stdout);
  assert.match(job.stderr, /rank 1 \(host a, pid \d+\) exited with code 0 while rank \d still needed it/);
});

/** Starts `count` processes that each keep one CPU busy; returns a function that kills them. */
function startCpuHogs(count: number): () => void {
  const hogs = Array.from(
    { length: count },
    () => spawn("sh", ["-c", "while :; do :; done"], { stdio: "ignore" }),
  );
  return () => {
    for (const hog of hogs) hog.kill("SIGKILL");
  };
}

test(`a large transfer then a collective succeeds beside 4 CPU hogs (${flavour})`, async () => {
  const stopHogs = startCpuHogs(4);
  let job;
  try {
    // A loaded machine must slow the job, never fail it: the limit only ends a hang.
    job = await runRanks(4, "tests/faults/review_loaded.ts", { timeoutMs: 110_000 });
  } finally {
    stopHogs();
  }
  assert.equal(job.code, 0, job.stderr);
  const checksums = job.ranks.map((lines) => lines.filter((line) => line.startsWith("checksum:")));
  assert.equal(checksums[0].length, 1, job.stdout);
  assert.deepEqual(checksums[1], checksums[0], "rank 1 received what rank 0 sent");
  for (let rank = 0; rank < 4; rank++) {
    assert.deepEqual(
      job.ranks[rank].filter((line) => line.startsWith("sum:")),
      ["sum:10 ranks:0,1,2,3"],
      `rank ${rank}: ${job.stdout}`,
    );
  }
});
