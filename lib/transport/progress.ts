/**
 * How a rank waits for messages. The event loop sleeps in the kernel until a socket is readable, which costs
 * tens of microseconds per wake-up; keeping the loop turning (`setImmediate`) for a short budget after a wait
 * starts polls the sockets instead, as Open MPI does, and cuts small-message latency several times. Past the
 * budget the rank sleeps, so a long wait never burns a core.
 *
 * With a {@linkcode Poller} attached (the Unix sockets that `ffi_reactor.ts` drives through the C library), the
 * wait pumps the poller itself: in a loop for up to the budget (with `sched_yield` between passes when the
 * host has more ranks than cores, so that the rank being waited for gets the core), then asleep in `poll(2)`
 * in short slices, turning the event loop between them (a timer turn at least every 50 ms, so that the runtime
 * also reads its own sockets), until nothing waits and nothing is left to write.
 *
 * A blocking call that waits (`recv`, `Recv`, `sendrecv`, `Sendrecv`) first spins in a microtask, as soon as
 * the code that called it yields (its `await`), for up to {@linkcode FIRST_SPIN_MS}, before any turn of the
 * event loop: an answer that comes that soon (a ping-pong's) is delivered without the immediate's round
 * through the loop, which cost about 0.3 µs of a 1 µs one-way message on Bun and more on Deno. Code that runs
 * on in the same turn (a `Send` after the `Recv` in a `Promise.all`) has run by then. Non-blocking calls do
 * not spin so: a rank that posts an `Irecv`, then awaits something else before it sends what its peer waits
 * for, would spin in vain while its peer did the same (measured: 5 µs per exchange became 26). So that timers
 * and the runtime's own sockets still get their turns while answers keep coming that soon, the first spin is
 * skipped when the loop has not turned this rank's polling for {@linkcode FIRST_SPIN_AFTER_TURN_MS}: that
 * wait goes round the loop.
 *
 * @module
 */

import { runtimeName } from "../runtime/detect.ts";
import { cpuCount } from "../runtime/host.ts";
import { KeepAlive } from "../runtime/keepalive.ts";

/**
 * Microseconds a wait polls on this runtime when each rank of the host has a core of its own, with the
 * runtime's own sockets.
 *
 * Measured on a 2-core host (2 ranks, one-way ping-pong over a Unix socket): on Bun, polling cuts an 8-byte
 * message from about 17 µs to 8 µs (a bare Bun ping-pong: 29 µs sleeping, 4.5 µs spinning), and 1 ms of
 * polling keeps most of that gain for the waits of a ping-pong or a collective while a rank that waits longer
 * goes to sleep after burning at most 1 ms. On Deno, `setImmediate` polling made the same ping-pong 2x slower
 * (25 µs to 50 µs), so Deno sleeps at once.
 */
export const POLL_MICROS: Readonly<Record<string, number>> = { bun: 1000, deno: 0, node: 0 };

/** Microseconds a wait pumps a {@linkcode Poller} before it sleeps (on a 2-core host: 2-3 µs one way). */
export const POLLER_POLL_MICROS = 1000;

/** Longest stretch of one synchronous polling loop before the event loop gets a turn. */
const SPIN_SLICE_MS = 0.05;
/** Longest first spin, in the microtask after a wait begins (see the module's notes). */
const FIRST_SPIN_MS = 0.02;
/** The first spin is skipped when the event loop last turned this rank's polling longer ago than this. */
const FIRST_SPIN_AFTER_TURN_MS = 1;
/**
 * Sleeps in the poller before the event loop gets a turn (timers, the runtime's own sockets): the first
 * lasts this long, and each one that ends with nothing delivered doubles, up to the longest. A socket that
 * becomes readable ends a sleep at once, so only timers wait longer; an idle rank wakes about 60 times a
 * second instead of 1000 (measured on 2 cores: a rank waiting 1 s in recv burnt 3-4 % of a core with 1 ms
 * slices).
 */
const SLEEP_FIRST_MS = 1;
const SLEEP_LONGEST_MS = 16;
/**
 * While it sleeps, a rank gives the event loop a timer turn (not an immediate) at least this often. Deno polls
 * the runtime's own sockets (the launcher's control channel) only when its loop parks or every 61 turns: with
 * one immediate per 16 ms sleep, a report request from the launcher waited about a second, and on a loaded
 * machine longer than the launcher waits for answers ("did not answer").
 */
const IO_TURN_MS = 50;

/**
 * The polling budget of a rank that shares its host with `localSize` ranks (itself included). With a poller:
 * {@linkcode POLLER_POLL_MICROS}. Without: the runtime's {@linkcode POLL_MICROS}, or 0 when the ranks
 * outnumber the cores (a polling rank would take the core the rank it waits for needs).
 */
export function defaultPollMicros(localSize: number, withPoller = false): number {
  if (withPoller) return POLLER_POLL_MICROS;
  return localSize > cpuCount() ? 0 : POLL_MICROS[runtimeName] ?? 0;
}

/** Sockets that a waiting rank moves itself (see `FfiReactor`). */
export interface Poller {
  /** One pass without blocking; true if anything was delivered. */
  pump(): boolean;
  /** Sleeps in the kernel up to `timeoutMs` until a socket is ready, then pumps; true if anything was delivered. */
  sleep(timeoutMs: number): boolean;
  /** Gives the processor to another process. */
  yieldProcessor(): void;
  /** Sockets with bytes only pumping will write: they keep the rank pumping even when nothing waits. */
  readonly backlog: number;
  /** Set by {@linkcode Progress.attach}: called when a socket starts holding bytes back. */
  onBacklog: () => void;
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
  /** A wait began since the last pass: the next pass sets the deadline (one clock reading, not one per wait). */
  #waitBegan = false;
  #polling = false;
  #poller: Poller | undefined;
  #yieldProcessor = false;
  #tick = () => this.#poll();
  #sleepMs = SLEEP_FIRST_MS;
  /** A first spin is queued and has not run yet: blocking calls made meanwhile share it. */
  #firstSpinQueued = false;
  /** When the event loop last turned this rank's polling (see {@linkcode FIRST_SPIN_AFTER_TURN_MS}). */
  #lastTurn = 0;
  /** When the event loop last had a timer turn (see {@linkcode IO_TURN_MS}). */
  #lastIoTurn = 0;
  #ioTick = () => {
    this.#lastIoTurn = performance.now();
    this.#poll();
  };

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

  /**
   * Makes every wait pump `poller`; `yieldProcessor`: give the processor away between polling passes (the
   * host has more ranks than cores).
   */
  attach(poller: Poller, yieldProcessor: boolean): void {
    this.#poller = poller;
    this.#yieldProcessor = yieldProcessor;
    poller.onBacklog = () => this.#start();
  }

  /** Adds `delta` (+1 when an operation starts waiting, -1 when it ends). */
  adjust(delta: number): void {
    this.#keepAlive.adjust(delta);
    if (delta > 0) {
      this.#sleepMs = SLEEP_FIRST_MS;
      this.#waitBegan = true;
      if (this.#pollMs > 0 || this.#poller) this.#start();
    }
  }

  /**
   * A blocking call is about to await an operation that waits: pump the poller for up to
   * {@linkcode FIRST_SPIN_MS} in a microtask, before the event loop turns (see the module's notes).
   */
  spinFirst(): void {
    if (!this.#poller || this.#firstSpinQueued) return;
    this.#firstSpinQueued = true;
    queueMicrotask(this.#firstSpin);
  }

  /** Releases the keep-alive timer for good. */
  dispose(): void {
    this.#keepAlive.dispose();
  }

  /** Pumps the poller for up to {@linkcode FIRST_SPIN_MS} or until it delivers (see the module's notes). */
  #firstSpin = () => {
    this.#firstSpinQueued = false;
    if (this.#keepAlive.pending === 0) return;
    const now = performance.now();
    if (now - this.#lastTurn > FIRST_SPIN_AFTER_TURN_MS) return;
    this.#pumpUntil(this.#poller!, now + FIRST_SPIN_MS);
  };

  /** Pumps `poller` until it delivers or the clock passes `until` (giving the core away between passes if asked). */
  #pumpUntil(poller: Poller, until: number): void {
    while (!poller.pump()) {
      if (this.#yieldProcessor) poller.yieldProcessor();
      if (performance.now() >= until) return;
    }
  }

  #start(): void {
    if (this.#polling) return;
    this.#polling = true;
    setImmediate(this.#tick);
  }

  #poll(): void {
    const poller = this.#poller;
    const now = performance.now();
    this.#lastTurn = now;
    if (this.#waitBegan) {
      this.#waitBegan = false;
      this.#deadline = now + this.#pollMs;
    }
    if (!poller) {
      if (this.#keepAlive.pending > 0 && now < this.#deadline) {
        setImmediate(this.#tick);
        return;
      }
      this.#polling = false;
      return;
    }
    if (this.#keepAlive.pending === 0 && poller.backlog === 0) {
      this.#polling = false;
      return;
    }
    if (now < this.#deadline) {
      this.#pumpUntil(poller, Math.min(now + SPIN_SLICE_MS, this.#deadline));
    } else {
      if (poller.sleep(this.#sleepMs)) this.#sleepMs = SLEEP_FIRST_MS;
      else this.#sleepMs = Math.min(this.#sleepMs * 2, SLEEP_LONGEST_MS);
      if (performance.now() - this.#lastIoTurn >= IO_TURN_MS) {
        setTimeout(this.#ioTick, 0);
        return;
      }
    }
    setImmediate(this.#tick);
  }
}
