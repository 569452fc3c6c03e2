/**
 * The local backend: every rank is a child process of the launcher on this machine. Each rank leads its own
 * process group, so a signal to the group reaches the rank and everything it started, and the launcher's
 * terminal does not signal the ranks behind the launcher's back (the launcher forwards signals itself).
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { EnvName } from "../env.ts";
import type { RankLaunch, RankSignal, RunningJob, Spawner, SpawnEvents } from "./spawner.ts";

/** Sends `signal` to the process group led by `child`, or to `child` alone if it leads none. */
function signalGroup(child: ChildProcess, signal: RankSignal): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Starts ranks as local child processes. Rank 0's standard input is the launcher's own; the others get
 * end-of-file.
 *
 * @example
 * ```ts ignore
 * import { LocalSpawner } from "./spawn_local.ts";
 * const job = new LocalSpawner().start(ranks, events);
 * job.signal("SIGTERM");
 * ```
 */
export class LocalSpawner implements Spawner {
  readonly name = "local";

  start(ranks: readonly RankLaunch[], events: SpawnEvents): RunningJob {
    const children = new Map<number, ChildProcess>();
    for (const launch of ranks) {
      const rank = launch.placement.rank;
      let child: ChildProcess;
      try {
        child = spawn(launch.command, [...launch.args], {
          cwd: launch.cwd,
          // The rank dies with this process (see runtime/parent_death.ts), even if it is killed with SIGKILL.
          env: { ...launch.env, [EnvName.PARENT_PID]: String(process.pid) },
          detached: true,
          stdio: [launch.stdin === "launcher" ? "inherit" : "ignore", "pipe", "pipe"],
        });
      } catch (error) {
        events.onSpawnError(rank, error instanceof Error ? error : new Error(String(error)));
        events.onOutputEnd(rank, "stdout");
        events.onOutputEnd(rank, "stderr");
        continue;
      }
      children.set(rank, child);
      for (const stream of ["stdout", "stderr"] as const) {
        const readable = child[stream]!;
        let ended = false;
        const end = () => {
          if (ended) return;
          ended = true;
          events.onOutputEnd(rank, stream);
        };
        readable.on("data", (chunk: Uint8Array) => events.onOutput(rank, stream, chunk));
        readable.on("end", end);
        readable.on("close", end);
        readable.on("error", end);
      }
      child.on("error", (error) => {
        // Without a pid the process never started; otherwise this is a failed kill, which changes nothing.
        if (child.pid === undefined) events.onSpawnError(rank, error);
      });
      child.on("exit", (code, signal) => events.onExit(rank, { code, signal }));
    }
    return {
      pid: (rank) => children.get(rank)?.pid,
      signal: (signal) => {
        for (const child of children.values()) signalGroup(child, signal);
      },
      killAll: () => {
        for (const child of children.values()) signalGroup(child, "SIGKILL");
      },
      pauseOutput: () => {
        for (const child of children.values()) {
          child.stdout?.pause();
          child.stderr?.pause();
        }
      },
      resumeOutput: () => {
        for (const child of children.values()) {
          child.stdout?.resume();
          child.stderr?.resume();
        }
      },
    };
  }
}
