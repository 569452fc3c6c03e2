/**
 * How a rank waits for messages. The event loop sleeps in the kernel until a socket is readable, which costs
 * tens of microseconds per wake-up; keeping the loop turning (`setImmediate`) for a short budget after a wait
 * starts polls the sockets instead, as Open MPI does, and cuts small-message latency several times. Past the
 * budget the rank sleeps, so a long wait never burns a core; with more ranks than cores on a host the budget
 * should be 0 (polling would steal the core the sender needs).
 *
 * @module
 */

import { performance } from "node:perf_hooks";
import { setImmediate } from "node:timers";
import { cpuCount, runtimeName } from "./detect.ts";
import { KeepAlive } from "./keepalive.ts";

/**
 * Microseconds a wait polls on this runtime when each rank of the host has a core of its own.
 *
 * Measured with native sockets on a 2-core host (2 ranks, one-way ping-pong over a Unix socket): on Bun,
 * polling cuts an 8-byte message from about 17 µs to 8 µs (a bare Bun ping-pong: 29 µs sleeping, 4.5 µs
 * spinning), and 1 ms of polling keeps most of that gain for the waits of a ping-pong or a collective while
 * a rank that waits longer goes to sleep after burning at most 1 ms. On Deno, `setImmediate` polling made the
 * same ping-pong 2x slower (25 µs to 50 µs), so Deno sleeps at once.
 */
export const POLL_MICROS: Readonly<Record<string, number>> = { bun: 1000, deno: 0, node: 0 };

/**
 * The polling budget of a rank that shares its host with `localSize` ranks (itself included): the runtime's
 * {@linkcode POLL_MICROS}, or 0 when the ranks outnumber the cores (a polling rank would take the core the
 * rank it waits for needs).
 */
export function defaultPollMicros(localSize: number): number {
  return localSize > cpuCount() ? 0 : POLL_MICROS[runtimeName] ?? 0;
}

/**
 * Pending-operation counter that keeps the process alive while operations wait and polls for up to
 * `pollMicros` after each wait begins.
 *
 * @example
 * ```ts
 * import { Progress } from "./progress.ts";
 * const progress = new Progress(50);
 * progress.adjust(1); // a receive starts waiting: poll for up to 50 µs, then sleep
 * progress.adjust(-1);
 * progress.dispose();
 * ```
 */
export class Progress {
  #keepAlive = new KeepAlive();
  #pollMs: number;
  #deadline = 0;
  #polling = false;
  #tick = () => this.#poll();

  constructor(pollMicros = 0) {
    this.#pollMs = pollMicros / 1000;
  }

  /** Microseconds a wait polls before it sleeps. */
  get pollMicros(): number {
    return this.#pollMs * 1000;
  }

  /** Changes the polling budget (once the rank knows how many ranks share its host). */
  set pollMicros(micros: number) {
    this.#pollMs = micros / 1000;
  }

  /** Operations pending now. */
  get pending(): number {
    return this.#keepAlive.pending;
  }

  /** Adds `delta` (+1 when an operation starts waiting, -1 when it ends). */
  adjust(delta: number): void {
    this.#keepAlive.adjust(delta);
    if (delta > 0 && this.#pollMs > 0) {
      this.#deadline = performance.now() + this.#pollMs;
      if (!this.#polling) {
        this.#polling = true;
        setImmediate(this.#tick);
      }
    }
  }

  /** Releases the keep-alive timer for good. */
  dispose(): void {
    this.#keepAlive.dispose();
  }

  #poll(): void {
    if (this.#keepAlive.pending > 0 && performance.now() < this.#deadline) {
      setImmediate(this.#tick);
      return;
    }
    this.#polling = false;
  }
}
