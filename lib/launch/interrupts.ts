/**
 * The launcher's SIGINT, SIGTERM and SIGHUP, caught from its first moment: a signal that comes before the job
 * is set up (while the launcher still loads, plans, or opens its coordinator) is kept and handed to the job
 * once it listens, so that no moment of a launch lets one slip by. Only the launcher catches them: ranks and
 * the ssh agent keep their own handling.
 *
 * @module
 */

import process from "node:process";
import type { RankSignal } from "./spawner.ts";

/** The signals that interrupt a job. */
export const INTERRUPT_SIGNALS: readonly RankSignal[] = ["SIGINT", "SIGTERM", "SIGHUP"];

let caught = false;
/** Signals that came while nobody listened, in order. */
const pending: RankSignal[] = [];
let listener: ((signal: RankSignal) => void) | undefined;

/**
 * Starts catching the interrupt signals (once; later calls do nothing). Call it first thing: until then a
 * signal does what it does to any program (ends it, or nothing when the parent made the process ignore it).
 *
 * @example
 * ```ts ignore
 * import { catchInterrupts } from "./interrupts.ts";
 * catchInterrupts();
 * ```
 */
export function catchInterrupts(): void {
  if (caught) return;
  caught = true;
  for (const signal of INTERRUPT_SIGNALS) {
    try {
      process.on(signal, () => listener ? listener(signal) : pending.push(signal));
    } catch {
      // This platform cannot listen for this signal (SIGHUP on Windows).
    }
  }
}

/**
 * Hands every interrupt to `handle`: first those that came before, then each as it comes, until the returned
 * function is called. Starts catching them if nothing did yet.
 *
 * @example
 * ```ts
 * import { onInterrupt } from "./interrupts.ts";
 * const stop = onInterrupt((signal) => console.log(`got ${signal}`));
 * stop();
 * ```
 */
export function onInterrupt(handle: (signal: RankSignal) => void): () => void {
  catchInterrupts();
  listener = handle;
  for (const signal of pending.splice(0)) handle(signal);
  return () => {
    if (listener === handle) listener = undefined;
  };
}
