/**
 * SIGINT and SIGTERM stop a job at every moment of its life: sent 0, 50, 200 and 1000 ms after the launcher
 * starts (during its own start-up, while the ranks start, while they run), every job ends, no rank outlives
 * it, and the launcher reports the job interrupted (not a rank's failure) with 128 + the signal's number.
 *
 * `LAUNCHER_SIGNAL_REPEAT` (default 20) sets how many jobs each moment gets.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import { flavour, launcherCommand, REPO } from "../_helpers/run_ranks.ts";

const SLEEPER = path.join(REPO, "tests", "launcher", "_sleep.ts");
const DELAYS_MS = [0, 50, 200, 1000];
const REPEAT = Number(process.env.LAUNCHER_SIGNAL_REPEAT ?? 20);
/** Jobs running at once. */
const BATCH = 4;
/** A job still running this long after its signal was lost. */
const STOP_LIMIT_MS = 20_000;
const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
type Interrupt = keyof typeof SIGNALS;

/** Pids of this user's processes whose environment holds `token`. */
function processesWith(token: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, "latin1").includes(token)) found.push(Number(entry));
    } catch {
      // Gone, or not ours.
    }
  }
  return found;
}

/** What went wrong with one job, or `undefined` when it stopped as it should. */
async function interruptOnce(delayMs: number, signal: Interrupt): Promise<string | undefined> {
  const token = randomUUID();
  const { command, args } = launcherCommand(["-n", "1", "-x", `LAUNCHER_SIGNAL_TOKEN=${token}`, SLEEPER]);
  const child = spawn(command, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stdout.resume();
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  const ended = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal }))
  );
  const send = () => process.kill(child.pid!, signal);
  if (delayMs === 0) send();
  else setTimeout(send, delayMs);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    ended,
    new Promise<undefined>((resolve) =>
      timer = setTimeout(() => resolve(undefined), delayMs + STOP_LIMIT_MS)
    ),
  ]);
  clearTimeout(timer);
  const what = `${signal} at ${delayMs} ms`;
  if (outcome === undefined) {
    process.kill(child.pid!, "SIGKILL");
    for (const pid of processesWith(token)) process.kill(pid, "SIGKILL");
    return `${what}: the job still ran ${STOP_LIMIT_MS} ms later (lost); stderr: ${stderr}`;
  }
  // Ranks die with their launcher (parent-death watch): give them a moment.
  for (let waited = 0; processesWith(token).length > 0; waited += 100) {
    if (waited > 5000) {
      for (const pid of processesWith(token)) process.kill(pid, "SIGKILL");
      return `${what}: ranks outlived the launcher`;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Before its handlers exist the launcher dies by the signal itself, as any program does.
  if (outcome.signal === signal) return undefined;
  if (outcome.code !== SIGNALS[signal]) {
    return `${what}: exit ${outcome.code} (${outcome.signal}); stderr: ${stderr}`;
  }
  const lines = stderr.split("\n").filter((line) => line.startsWith("mpirun-deno: "));
  if (lines.join("\n") !== `mpirun-deno: job interrupted by ${signal}`) return `${what}: reported ${stderr}`;
  return undefined;
}

test(`SIGINT/SIGTERM at 0, 50, 200, 1000 ms stop the job, ${REPEAT} times each (${flavour})`, {
  timeout: 600_000,
}, async () => {
  const jobs: [number, Interrupt][] = [];
  for (const delay of DELAYS_MS) {
    for (let i = 0; i < REPEAT; i++) jobs.push([delay, i % 2 === 0 ? "SIGINT" : "SIGTERM"]);
  }
  const problems: string[] = [];
  for (let start = 0; start < jobs.length; start += BATCH) {
    const results = await Promise.all(
      jobs.slice(start, start + BATCH).map(([delay, signal]) => interruptOnce(delay, signal)),
    );
    for (const result of results) if (result !== undefined) problems.push(result);
  }
  assert.deepEqual(problems, [], `${problems.length} of ${jobs.length} jobs did not stop as they should`);
});
