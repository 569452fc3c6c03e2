import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { LocalSpawner } from "../../lib/launch/spawn_local.ts";
import type { RankLaunch, RunningJob } from "../../lib/launch/spawner.ts";
import { alive, recordingEvents } from "./_helpers.ts";

/** Starts `sh -c` scripts as ranks and collects what the spawner reports. */
function startShells(scripts: string[]) {
  const recorded = recordingEvents(scripts.length);
  const launches: RankLaunch[] = scripts.map((script, rank) => ({
    placement: { rank, host: "localhost", localRank: rank, localSize: scripts.length },
    command: script === "<missing>" ? "/nonexistent/runtime" : "sh",
    args: ["-c", script],
    env: { ...process.env, RANK: String(rank) } as Record<string, string>,
    cwd: process.cwd(),
    stdin: "none",
  }));
  const job: RunningJob = new LocalSpawner().start(launches, recorded.events);
  return { job, ...recorded };
}

test("each rank's output, end of streams and exit status are reported", async () => {
  const run = startShells(["echo out $RANK; echo err >&2; exit 3", "kill -KILL $$", "cat; echo eof"]);
  await run.until(() => run.exits.size === 3 && run.ended.length === 6);
  assert.deepEqual(run.exits.get(0), { code: 3, signal: null });
  assert.deepEqual(run.exits.get(1), { code: null, signal: "SIGKILL" });
  assert.deepEqual(run.exits.get(2), { code: 0, signal: null });
  assert.deepEqual(run.output[0], { stdout: "out 0\n", stderr: "err\n" });
  assert.equal(run.output[2].stdout, "eof\n", "a rank without the launcher's stdin reads end-of-file");
  assert.equal(typeof run.job.pid(0), "number");
});

test("signal() reaches every rank and everything it started", async () => {
  const run = startShells(["sleep 30 & echo child:$!; wait", "sleep 30 & echo child:$!; wait"]);
  await run.until(() => run.output.every((output) => output.stdout.includes("child:")));
  const children = run.output.map((output) => Number(/child:(\d+)/.exec(output.stdout)![1]));
  run.job.signal("SIGTERM");
  await run.until(() => run.exits.size === 2);
  assert.deepEqual([...run.exits.values()].map((status) => status.signal), ["SIGTERM", "SIGTERM"]);
  await run.until(() => !children.some(alive));
});

test("killAll() kills at once what a rank left behind after it exited", async () => {
  const run = startShells(["sleep 30 >/dev/null 2>&1 & echo child:$!"]);
  await run.until(() => run.exits.size === 1);
  const child = Number(/child:(\d+)/.exec(run.output[0].stdout)![1]);
  assert.ok(alive(child));
  run.job.killAll();
  await run.until(() => !alive(child));
  run.job.killAll();
});

test("a rank that cannot be started is reported, and its streams end", async () => {
  const run = startShells(["<missing>"]);
  await run.until(() => run.errors.size === 1 && run.ended.length === 2);
  assert.match(run.errors.get(0)!.message, /ENOENT/);
  assert.equal(run.exits.size, 0);
});
