import assert from "node:assert/strict";
import { test } from "node:test";
import type { RankSignal, RunningJob } from "../../lib/launch/spawner.ts";
import { abortExitCode, describeStatus, exitCodeOf, Supervisor } from "../../lib/launch/supervise.ts";

/** A job that records what it was asked to do. */
function fakeJob(): RunningJob & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    pid: (rank) => 1000 + rank,
    signal: (signal: RankSignal) => void calls.push(signal),
    killAll: () => void calls.push("killAll"),
  };
}

function supervisor(size: number, graceMs = 1000) {
  const job = fakeJob();
  const s = new Supervisor({
    size,
    describe: (rank) => `rank ${rank} (host h, pid ${1000 + rank})`,
    graceMs,
  });
  s.attach(job);
  return { s, job };
}

test("exit codes: the rank's own code, or 128 + the signal number", () => {
  assert.equal(exitCodeOf({ code: 3, signal: null }), 3);
  assert.equal(exitCodeOf({ code: null, signal: "SIGKILL" }), 137);
  assert.equal(exitCodeOf({ code: null, signal: "SIGTERM" }), 143);
  assert.equal(describeStatus({ code: 3, signal: null }), "exited with code 3");
  assert.equal(describeStatus({ code: null, signal: "SIGKILL" }), "was killed by signal SIGKILL");
  assert.equal(abortExitCode(5), 5);
  assert.equal(abortExitCode(256), 1, "a code that would wrap to 0 still fails");
  assert.equal(abortExitCode(0), 0);
  assert.equal(abortExitCode(1.5), 1);
});

test("every rank exiting 0 is success, and nobody is signalled", async () => {
  const { s, job } = supervisor(2);
  s.joined(0);
  s.joined(1);
  s.worldReady();
  s.exited(1, { code: 0, signal: null });
  s.exited(0, { code: 0, signal: null });
  await s.finished;
  assert.equal(s.exitCode, 0);
  assert.equal(s.failure, undefined);
  assert.deepEqual(job.calls, []);
});

test("the first failure wins: SIGTERM to the others, SIGKILL after the grace time", async () => {
  const { s, job } = supervisor(3, 50);
  s.exited(2, { code: 3, signal: null });
  assert.deepEqual(job.calls, ["SIGTERM"]);
  s.aborted(0, 9, "later");
  s.exited(1, { code: null, signal: "SIGTERM" });
  await new Promise((resolve) => setTimeout(resolve, 80));
  assert.deepEqual(job.calls, ["SIGTERM", "killAll"]);
  s.exited(0, { code: null, signal: "SIGKILL" });
  await s.finished;
  assert.equal(s.exitCode, 3);
  assert.equal(s.failure?.message, "rank 2 (host h, pid 1002) exited with code 3");
});

test("an abort names the rank, its code and the first line of the reason", () => {
  const { s } = supervisor(2);
  s.aborted(1, 5, "Abort(5) called\n  at x.ts:1");
  assert.equal(s.exitCode, 5);
  assert.equal(s.failure?.message, "rank 1 (host h, pid 1001) aborted with code 5: Abort(5) called");
});

test("a rank that cannot start fails the job with 127", () => {
  const { s } = supervisor(2);
  s.spawnFailed(0, new Error("spawn deno ENOENT"));
  assert.equal(s.exitCode, 127);
  assert.equal(s.failure?.message, "rank 0 (host h, pid 1000) could not be started: spawn deno ENOENT");
});

test("the first launcher signal interrupts the job and is forwarded, the second kills every rank", () => {
  const { s, job } = supervisor(2);
  s.interrupted("SIGINT");
  assert.deepEqual(job.calls, ["SIGINT"]);
  assert.equal(s.exitCode, 130);
  assert.equal(s.failure?.message, "job interrupted by SIGINT");
  s.exited(0, { code: null, signal: "SIGINT" });
  assert.equal(s.failure?.message, "job interrupted by SIGINT", "the ranks it ended are not to blame");
  s.interrupted("SIGINT");
  assert.equal(s.exitCode, 130);
  assert.equal(s.failure?.message, "job interrupted by SIGINT; killed every rank after a second SIGINT");
  assert.ok(job.calls.includes("killAll"));
});

test("a signal before the ranks are started reaches them once they are", () => {
  const s = new Supervisor({ size: 1, describe: (rank) => `rank ${rank}`, graceMs: 10_000 });
  s.interrupted("SIGTERM");
  assert.equal(s.exitCode, 143);
  const calls: string[] = [];
  s.attach({
    pid: () => undefined,
    signal: (signal) => calls.push(signal),
    killAll: () => calls.push("killAll"),
  });
  assert.deepEqual(calls, ["SIGTERM"]);
  s.exited(0, { code: null, signal: "SIGTERM" });
});

test("a timeout claims the failure at once and ends the job after the reports", () => {
  const { s, job } = supervisor(2);
  assert.equal(s.beginTimeout(30), true);
  s.exited(1, { code: 4, signal: null });
  assert.equal(s.exitCode, 124, "a failure during the report round does not replace the timeout");
  assert.deepEqual(job.calls, []);
  s.endTimeout(["rank 0: recv(source=1, tag=0) on COMM_WORLD for 30.0 s"]);
  assert.deepEqual(job.calls, ["SIGTERM"]);
  assert.deepEqual(s.failure, {
    code: 124,
    message: "job timed out after 30 s",
    details: ["rank 0: recv(source=1, tag=0) on COMM_WORLD for 30.0 s"],
  });
  assert.equal(supervisor(1).s.beginTimeout(1), true);
});

test("a rank leaving with 0 before joining fails the job only if another rank joined", () => {
  const plain = supervisor(2);
  plain.s.exited(0, { code: 0, signal: null });
  plain.s.exited(1, { code: 0, signal: null });
  assert.equal(plain.s.exitCode, 0, "programs that never join (no MPI) are fine");

  const stuck = supervisor(3);
  stuck.s.joined(0);
  stuck.s.exited(2, { code: 0, signal: null });
  assert.equal(stuck.s.exitCode, 1);
  assert.match(
    stuck.s.failure!.message,
    /^rank 2 \(host h, pid 1002\) exited with code 0 before joining the job/,
  );
});
