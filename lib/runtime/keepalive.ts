/**
 * Keeps the process alive exactly while MPI operations are pending. Sockets are unreferenced so that a rank
 * exits when its script is done; a referenced timer holds the event loop open while anything waits, so a rank
 * blocked in `recv` does not end early.
 *
 * @module
 */

import { refTimer, unrefTimer } from "./host.ts";

/**
 * A counter of pending operations bound to one referenced timer.
 *
 * @example
 * ```ts
 * import { KeepAlive } from "./keepalive.ts";
 * const keepAlive = new KeepAlive();
 * keepAlive.adjust(1); // the process stays alive
 * keepAlive.adjust(-1); // it may exit again
 * keepAlive.dispose();
 * ```
 */
export class KeepAlive {
  #pending = 0;
  #timer = setInterval(() => {}, 2 ** 30);

  constructor() {
    unrefTimer(this.#timer);
  }

  /** Operations pending now. */
  get pending(): number {
    return this.#pending;
  }

  /** Adds `delta` (+1 or -1) to the pending count; holds the process while it is above 0. */
  adjust(delta: number): void {
    const before = this.#pending;
    this.#pending = before + delta;
    if (before === 0 && this.#pending > 0) refTimer(this.#timer);
    else if (before > 0 && this.#pending === 0) unrefTimer(this.#timer);
  }

  /** Releases the timer for good. */
  dispose(): void {
    clearInterval(this.#timer);
  }
}
