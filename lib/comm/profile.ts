/**
 * `--report`, on the rank's side: counts every public call (per kind: calls, bytes sent, time), the time
 * spent inside MPI calls (the union of the intervals during which at least one call is pending, so
 * overlapping calls count once), the slowest calls, and the bytes and messages sent to each rank. It is
 * installed only when the launcher asks (`MPIRUN_DENO_REPORT=1`), by wrapping the methods of the prototypes
 * and of the engine: without it, no call does any extra work.
 *
 * What counts: a call's time runs from its start until its promise settles; a non-blocking call (`isend`,
 * `irecv`, `ibcast`...) counts as started, and the time spent awaiting its request counts under `wait`.
 *
 * How a call's end is seen: most calls return the promise of a hang-report activity (`activity.ts`:
 * `track`, `settlesWith`), which ends as that promise settles; the call is timed there, in
 * the patched `Activities.prototype.end`, so it costs no promise or microtask of its own. A call that
 * completed as it was made (an eager send, a barrier in shared memory) returns `COMPLETED`
 * (`p2p/completed.ts`) and ends as it returns. A call that returns another promise ends at once if that
 * promise has already settled (where the runtime can tell: Bun), and gets a `then` of its own otherwise.
 *
 * Bytes are those this rank hands to the transport, per call kind and per destination: point-to-point
 * payloads and the messages of collective algorithms (collectives that run in host-shared memory move no
 * messages).
 *
 * @module
 */

import { Channel } from "../collectives/channel.ts";
import type { Engine, SendOrder } from "../p2p/engine.ts";
import { Request } from "../p2p/request.ts";
import { COMPLETED } from "../p2p/completed.ts";
import { settledNow } from "../runtime/detect.ts";
import { HEADER_SIZE } from "../wire/frame.ts";
import { Activities, type Activity } from "./activity.ts";
import { CollectiveComm } from "./collective_comm.ts";
import { Comm } from "./comm.ts";

/** One kind of call: how often, how many bytes it sent, how long it took. */
export interface CallStats {
  calls: number;
  bytes: number;
  seconds: number;
  maxSeconds: number;
}

/** One slow call. */
export interface SlowCall {
  call: string;
  seconds: number;
  /** When it started, in seconds since the rank's profile began. */
  at: number;
}

/** What one rank measured, as it sends it to the launcher. */
export interface RankProfile {
  rank: number;
  /** From the start of the profile to its end. */
  wallSeconds: number;
  /** Time during which at least one MPI call was pending. */
  mpiSeconds: number;
  calls: Record<string, CallStats>;
  /** The slowest calls, slowest first. */
  slowest: SlowCall[];
  /** Bytes and messages sent to each world rank, indexed by world rank. */
  sentBytes: number[];
  sentMessages: number[];
}

/** How many slow calls each rank keeps. */
export const SLOWEST_KEPT = 5;

/** Methods that are not communication: they are not counted. */
const NOT_CALLS = new Set([
  "constructor",
  "Get_rank",
  "Get_size",
  "Get_name",
  "Set_name",
  "Get_group",
  "Get_topology",
  "Free",
  "Abort",
  "Compare",
  "iprobe",
  "Iprobe",
]);

// deno-lint-ignore no-explicit-any
type AnyFunction = (this: any, ...args: any[]) => any;

/**
 * One kind of call, as its wrapper counts it: made once per wrapped method, so that a call finds its counters
 * without a lookup by name. `stats` is made on first use: kinds never used are not reported.
 */
interface Kind {
  readonly name: string;
  stats: CallStats | undefined;
}

/** An activity whose end is the end of a public call: set on it when the call returns its promise. */
interface CallActivity extends Activity {
  call?: Kind;
  callStart?: number;
}

/**
 * The profile of this process. {@linkcode Profiler.install} starts counting; {@linkcode Profiler.snapshot}
 * says what was counted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Profiler } from "./profile.ts";
 * const profiler = new Profiler(0, 2);
 * profiler.sent(1, 100);
 * assert.deepEqual(profiler.snapshot().sentBytes, [0, 100]);
 * ```
 */
export class Profiler {
  readonly rank: number;
  #started = performance.now();
  #calls = new Map<string, CallStats>();
  /** Awaiting a request. */
  #wait: Kind = { name: "wait", stats: undefined };
  #slowest: SlowCall[] = [];
  /** A call must last longer than this to enter `#slowest` (the last one's time once it is full). */
  #slowEnough = -Infinity;
  #sentBytes: number[];
  #sentMessages: number[];
  #pending = 0;
  #insideSince = 0;
  #inside = 0;
  /** The public call whose synchronous part is running (nested public calls are part of it). */
  #current: Kind | undefined;
  #inChannel = false;
  /** The promise of the activity tracked last during the current call, and that activity. */
  #trackedPromise: Promise<unknown> | undefined;
  #trackedActivity: CallActivity | undefined;

  constructor(rank: number, size: number) {
    this.rank = rank;
    this.#sentBytes = new Array(size).fill(0);
    this.#sentMessages = new Array(size).fill(0);
  }

  /** Counts `bytes` sent to world rank `peer`, for the current call kind too. */
  sent(peer: number, bytes: number): void {
    this.#sentBytes[peer] += bytes;
    this.#sentMessages[peer]++;
    const kind = this.#current;
    if (kind !== undefined && !this.#inChannel) (kind.stats ??= this.#stats(kind.name)).bytes += bytes;
  }

  /**
   * Wraps the public calls of `Comm`, the waits of `Request`, the sends of collective channels and of
   * `engine`, so that they count. Once per process.
   */
  install(engine: Engine): void {
    for (const proto of [CollectiveComm.prototype, Comm.prototype]) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
        if (NOT_CALLS.has(name) || typeof descriptor.value !== "function") continue;
        Object.defineProperty(proto, name, { ...descriptor, value: this.#wrapCall(name, descriptor.value) });
      }
    }
    // The patched methods need their own `this` (the activities, the request, the channel) beside the
    // profiler's.
    // deno-lint-ignore no-this-alias
    const profiler = this;
    const track = Activities.prototype.track as AnyFunction;
    Activities.prototype.track = function <T>(
      this: Activities,
      label: string | (() => string),
      promise: Promise<T>,
    ) {
      // A call that completed as it was made begins no activity: it ends as it returns (`#returned`).
      if (promise === COMPLETED) return promise;
      return profiler.#tracked(this, track.call(this, label, promise));
    };
    Activities.prototype.settlesWith = function <T>(
      this: Activities,
      activity: Activity,
      promise: Promise<T>,
    ) {
      return profiler.#tracked(this, promise, activity);
    };
    const activitiesEnd = Activities.prototype.end;
    Activities.prototype.end = function (this: Activities, activity: CallActivity) {
      activitiesEnd.call(this, activity);
      const kind = activity.call;
      if (kind === undefined) return;
      activity.call = undefined;
      profiler.#end(kind, activity.callStart!);
    };
    const requestThen = Request.prototype.then as AnyFunction;
    // `await` and `then` pass two callbacks at most: no rest parameter to gather them.
    Request.prototype.then = function (this: Request, onfulfilled?: unknown, onrejected?: unknown) {
      if (profiler.#current !== undefined || this.done) {
        return requestThen.call(this, onfulfilled, onrejected);
      }
      const start = profiler.#begin();
      const result = requestThen.call(this, onfulfilled, onrejected);
      const end = () => profiler.#end(profiler.#wait, start);
      requestThen.call(this, end, end);
      return result;
    } as typeof Request.prototype.then;
    const channelSend = Channel.prototype.send;
    Channel.prototype.send = function (this: Channel, to: number, bytes: Uint8Array, owned: boolean) {
      if (profiler.#inChannel) return channelSend.call(this, to, bytes, owned);
      profiler.#stats(this.where).bytes += bytes.length;
      profiler.#inChannel = true;
      try {
        return channelSend.call(this, to, bytes, owned);
      } finally {
        profiler.#inChannel = false;
      }
    };
    const engineSend = engine.send.bind(engine);
    engine.send = (order: SendOrder) => {
      this.sent(order.peer, order.headroom ? order.payload.length - HEADER_SIZE : order.payload.length);
      return engineSend(order);
    };
  }

  /** What was counted so far. */
  snapshot(): RankProfile {
    const now = performance.now();
    const inside = this.#inside + (this.#pending > 0 ? now - this.#insideSince : 0);
    return {
      rank: this.rank,
      wallSeconds: (now - this.#started) / 1000,
      mpiSeconds: inside / 1000,
      calls: Object.fromEntries(this.#calls),
      slowest: [...this.#slowest],
      sentBytes: [...this.#sentBytes],
      sentMessages: [...this.#sentMessages],
    };
  }

  #wrapCall(name: string, method: AnyFunction): AnyFunction {
    // deno-lint-ignore no-this-alias
    const profiler = this; // the wrapper's own `this` is the communicator
    const kind: Kind = { name, stats: undefined };

    return function (this: unknown, ...args: unknown[]) {
      if (profiler.#current !== undefined) return method.apply(this, args);
      profiler.#current = kind;
      const start = profiler.#begin();
      let result;
      try {
        result = method.apply(this, args);
      } catch (error) {
        profiler.#current = profiler.#trackedPromise = profiler.#trackedActivity = undefined;
        profiler.#end(kind, start);
        throw error;
      }
      profiler.#current = undefined;
      profiler.#returned(kind, start, result);
      return result;
    };
  }

  /** Ends the call of `kind` begun at `start` that has returned `result`, or arranges that it ends later. */
  #returned(kind: Kind, start: number, result: unknown): void {
    const tracked = this.#trackedPromise;
    if (tracked !== undefined) {
      const activity = this.#trackedActivity!;
      this.#trackedPromise = this.#trackedActivity = undefined;
      if (result === tracked) {
        // Its activity ends as `result` settles (no reaction has run yet: the call has just returned).
        activity.call = kind;
        activity.callStart = start;
        return;
      }
    }
    if (!(result instanceof Promise)) {
      this.#instant(kind); // a request (not a promise) or a plain value: the call counts without time
    } else if (result === COMPLETED || settledNow?.(result)) {
      this.#end(kind, start); // an eager send, a barrier in shared memory: settled before the call returned
    } else {
      const end = () => this.#end(kind, start);
      result.then(end, end);
    }
  }

  /**
   * Notes `promise`, which `activities` has just begun tracking, as the one whose activity ends when it
   * settles: the current call is timed by that activity if it returns `promise`.
   */
  #tracked<T>(activities: Activities, promise: Promise<T>, activity?: Activity): Promise<T> {
    if (this.#current !== undefined) {
      this.#trackedPromise = promise;
      // By default the one just begun (`track` ends none at once).
      this.#trackedActivity = activity ?? activities.newest;
    }
    return promise;
  }

  #begin(): number {
    const now = performance.now();
    if (this.#pending++ === 0) this.#insideSince = now;
    return now;
  }

  /** Ends a call of `kind` begun at `start`. */
  #end(kind: Kind, start: number): void {
    const now = performance.now();
    if (--this.#pending === 0) this.#inside += now - this.#insideSince;
    const stats = kind.stats ??= this.#stats(kind.name);
    stats.calls++;
    const seconds = (now - start) / 1000;
    stats.seconds += seconds;
    if (seconds > stats.maxSeconds) stats.maxSeconds = seconds;
    if (seconds > this.#slowEnough) this.#slow(kind.name, seconds, start);
  }

  /** Ends a call that counts without time (it started a request): its time inside MPI still counts. */
  #instant(kind: Kind): void {
    if (--this.#pending === 0) this.#inside += performance.now() - this.#insideSince;
    (kind.stats ??= this.#stats(kind.name)).calls++;
  }

  /** Keeps a call among the slowest (it is slower than the last of them, or there are fewer). */
  #slow(call: string, seconds: number, start: number): void {
    const slowest = this.#slowest;
    slowest.push({ call, seconds, at: (start - this.#started) / 1000 });
    slowest.sort((a, b) => b.seconds - a.seconds);
    if (slowest.length > SLOWEST_KEPT) slowest.pop();
    if (slowest.length === SLOWEST_KEPT) this.#slowEnough = slowest[SLOWEST_KEPT - 1].seconds;
  }

  #stats(name: string): CallStats {
    let stats = this.#calls.get(name);
    if (stats === undefined) {
      stats = { calls: 0, bytes: 0, seconds: 0, maxSeconds: 0 };
      this.#calls.set(name, stats);
    }
    return stats;
  }
}
