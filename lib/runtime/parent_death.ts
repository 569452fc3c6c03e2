/**
 * A rank dies with the process that started it (the launcher, or the launcher's agent on another host), within
 * a moment and even in the middle of a long synchronous computation, so that a killed launcher leaves no rank
 * behind: Linux's `prctl(PR_SET_PDEATHSIG, SIGKILL)` through the C library (see `libc.ts`) has the kernel
 * send SIGKILL when the parent exits. Where the C library cannot be bound, a watchdog thread (a `Worker`,
 * which runs while the main thread computes) polls the parent's pid and kills this process once it changes.
 *
 * @module
 */

import { exitProcess } from "./host.ts";
import { loadLibc, PR_SET_PDEATHSIG, SIGKILL } from "./libc.ts";

/** How often the watchdog looks at the parent's pid (the bound on outliving it, where the kernel cannot tell). */
export const WATCHDOG_INTERVAL_MS = 100;

/** How this process follows its parent: the kernel's death signal, or a polling watchdog thread. */
export type ParentWatch = "kernel" | "watchdog";

/**
 * Makes this process die (SIGKILL) when its parent, the process `parent`, exits. If the parent is already
 * gone (this process has been re-parented), exits at once with code 1. Returns how the parent is followed.
 *
 * @example
 * ```ts ignore
 * import { dieWithParent } from "./parent_death.ts";
 * dieWithParent(Number(process.env.MPIRUN_DENO_PARENT_PID)); // "kernel" on Linux with glibc
 * ```
 */
export function dieWithParent(parent: number): ParentWatch {
  const libc = loadLibc();
  if (libc !== undefined && libc.prctl(PR_SET_PDEATHSIG, SIGKILL) === 0) {
    // The parent may have exited before the call: the kernel then never sends the signal.
    if (libc.getppid() !== parent) exitProcess(1);
    return "kernel";
  }
  startWatchdog(parent).catch(() => {}); // no threads either: the launcher's connection is all that is left
  return "watchdog";
}

/** The watchdog's code, run in a thread of its own: `PARENT` and `INTERVAL` are replaced by numbers. */
const WATCHDOG_SOURCE = `const parent = PARENT;
setInterval(() => { if (process.ppid !== parent) process.kill(process.pid, "SIGKILL"); }, INTERVAL);`;

/**
 * Starts the watchdog thread of {@linkcode dieWithParent}: it kills this process with SIGKILL once its parent
 * is no longer `parent`. A `node:worker_threads` worker from source text (no file to find, in a compiled
 * binary too), unreferenced: it never keeps the process alive.
 *
 * @example
 * ```ts ignore
 * import process from "node:process";
 * import { startWatchdog } from "./parent_death.ts";
 * await startWatchdog(process.ppid);
 * ```
 */
export async function startWatchdog(parent: number): Promise<void> {
  // Loaded only here: on Deno, Node's modules cost a rank's start-up time.
  const { Worker } = await import("node:worker_threads");
  const source = WATCHDOG_SOURCE.replace("PARENT", String(parent)).replace(
    "INTERVAL",
    String(WATCHDOG_INTERVAL_MS),
  );
  new Worker(source, { eval: true }).unref();
}
