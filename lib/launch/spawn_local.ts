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
 * Copies the launcher's standard input to the input of every one of `children`, reading on only as fast as
 * the slowest takes it; each gets end-of-file when the launcher's input ends (or when it has exited).
 */
function copyInput(children: ChildProcess[]): void {
  const input = process.stdin;
  const open = new Set(children.map((child) => child.stdin!));
  let waiting = 0;
  const onData = (chunk: Uint8Array) => {
    for (const stdin of open) {
      if (stdin.write(chunk)) continue;
      waiting++;
      input.pause();
      stdin.once("drain", () => {
        if (--waiting === 0) input.resume();
      });
    }
  };
  const stop = () => {
    input.off("data", onData);
    input.off("end", onEnd);
    input.pause();
  };
  const onEnd = () => {
    for (const stdin of open) stdin.end();
    stop();
  };
  for (const child of children) {
    child.stdin!.on("error", () => {});
    child.on("exit", () => {
      open.delete(child.stdin!);
      if (open.size === 0) stop();
    });
  }
  input.on("data", onData);
  input.on("end", onEnd);
}

/**
 * Starts ranks as local child processes. The standard input of the rank that reads it (rank 0 by default)
 * is the launcher's own; the others get end-of-file.
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
    // One reader inherits the launcher's input; several (--stdin all) get a copy each through a pipe.
    const readers = ranks.filter((launch) => launch.stdin === "launcher").length;
    for (const launch of ranks) {
      const rank = launch.placement.rank;
      let child: ChildProcess;
      try {
        child = spawn(launch.command, [...launch.args], {
          cwd: launch.cwd,
          // The rank dies with this process (see runtime/parent_death.ts), even if it is killed with SIGKILL.
          env: { ...launch.env, [EnvName.PARENT_PID]: String(process.pid) },
          detached: true,
          stdio: [launch.stdin === "none" ? "ignore" : readers === 1 ? "inherit" : "pipe", "pipe", "pipe"],
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
      child.on("exit", (code, signal) => {
        events.onExit(rank, { code, signal });
      });
    }
    if (readers > 1) copyInput([...children.values()].filter((child) => child.stdin !== null));
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
