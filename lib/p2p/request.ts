/**
 * `Request<T>`: the handle of a non-blocking operation. It is awaitable, and has MPI's `wait`/`test`/`cancel`
 * with the static `waitall`, `waitany`, `waitsome`, `testall` and `testany`.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import { checkSignal, raceSignal } from "./cancellation.ts";
import { COMPLETED } from "./completed.ts";
import { Status } from "./status.ts";

/** The options of {@linkcode Request.wait}. */
export interface WaitOptions {
  /** Gets the envelope of the completed operation. */
  status?: Status;
  /**
   * Stops waiting when it aborts: `wait` rejects with `ErrorCode.ERR_CANCELLED`, and a receive that has not
   * matched a message is withdrawn (as by `cancel()`); a send goes on.
   */
  signal?: AbortSignal;
}

/** Resolves on the next turn of the event loop, after pending I/O: lets `test` loops make progress. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A pending operation. `await request` (or `request.wait()`) gives its result; `test()` looks without waiting.
 * A cancelled receive resolves with `undefined` and its status says `Is_cancelled()`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI, Request } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * const right = (comm.rank + 1) % comm.size, left = (comm.rank - 1 + comm.size) % comm.size;
 * const [, fromLeft] = await Request.waitall([comm.isend(comm.rank, right), comm.irecv(left)]);
 * assert.equal(fromLeft, left);
 * ```
 */
export class Request<T = unknown> implements PromiseLike<T> {
  /** The envelope of the completed operation (receives fill it in). */
  readonly status: Status;
  #promise: Promise<T>;
  #done = false;
  #failed = false;
  #value: T | undefined;
  #error: unknown;
  #cancel: (() => boolean) | undefined;
  #generation = 0;

  /**
   * Wraps `promise`; `cancel` tries to withdraw the operation and says whether it did; `status` is the
   * envelope the operation fills in. Internal: users get requests from `isend`, `irecv` and the non-blocking
   * collectives.
   */
  constructor(promise: Promise<T>, cancel?: () => boolean, status: Status = new Status()) {
    this.status = status;
    this.#promise = this.#track(promise, cancel);
  }

  /**
   * @internal Makes this request the handle of a new operation (a persistent request's next start): it is
   * pending again. Only for a request that is complete. The operation fills `status` (which its starter
   * cleared first), possibly before this is called: a message that had arrived is received at once.
   */
  protected restart(promise: Promise<T>, cancel?: () => boolean): void {
    this.#done = false;
    this.#failed = false;
    this.#value = undefined;
    this.#error = undefined;
    this.#promise = this.#track(promise, cancel);
  }

  #track(promise: Promise<T>, cancel: (() => boolean) | undefined): Promise<T> {
    this.#cancel = cancel;
    // A restart may come before the previous operation's completion was recorded (a persistent request
    // started right after it was made): only the current operation's completion counts.
    const generation = ++this.#generation;
    if (promise === COMPLETED) {
      // A call that completed as it was made (an eager `Isend`, an `Ibarrier` in shared memory): complete now,
      // with nothing to react to.
      this.#done = true;
      return promise;
    }
    // One reaction, registered before any caller's: it runs first, so `done` holds when an `await` resumes.
    // It handles a rejection without passing it on, so a request nobody awaits does not crash the process
    // with an unhandled rejection: the error is kept and raised by wait/test instead.
    promise.then(
      (value) => {
        if (generation !== this.#generation) return;
        this.#done = true;
        this.#value = value;
      },
      (error) => {
        if (generation !== this.#generation) return;
        this.#done = true;
        this.#failed = true;
        this.#error = error;
      },
    );
    return promise;
  }

  /** A request that is already complete with `value`. */
  static resolved<T>(value: T): Request<T> {
    return new Request(Promise.resolve(value));
  }

  /** Makes a request awaitable: `await request` waits for it and gives its value, as `wait()` does. */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#promise.then(onfulfilled, onrejected);
  }

  /** Is the operation complete (successfully or not)? Looks without waiting or making progress. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Waits for completion and returns the result; copies the envelope into `status` if given. With
   * `{ status, signal }`, the signal stops the wait (see {@linkcode WaitOptions}).
   *
   * @example Giving up on a receive after 50 ms
   * ```ts
   * import assert from "node:assert/strict";
   * import { ErrorCode, MPI } from "mpirun-deno";
   * const request = MPI.COMM_WORLD.irecv(MPI.COMM_WORLD.rank, 99);
   * await assert.rejects(
   *   request.wait({ signal: AbortSignal.timeout(50) }),
   *   (error: { code?: number }) => error.code === ErrorCode.ERR_CANCELLED,
   * );
   * assert.equal(request.status.Is_cancelled(), true);
   * ```
   */
  async wait(status?: Status | WaitOptions): Promise<T> {
    let into = status as Status | undefined;
    let value: T;
    if (status !== undefined && Object.getPrototypeOf(status) === Object.prototype) {
      const options = status as WaitOptions;
      into = options.status;
      const signal = checkSignal("wait", options.signal);
      value = await (signal
        ? raceSignal(this.#promise, signal, () => "wait", () => {
          if (this.#done) return false;
          this.cancel();
          return true;
        })
        : this.#promise);
    } else {
      value = await this.#promise;
    }
    into?.copyFrom(this.status);
    return value;
  }

  /** Alias of {@linkcode Request.wait}, as mpi4py's `Wait`. */
  Wait(status?: Status | WaitOptions): Promise<T> {
    return this.wait(status);
  }

  /**
   * Lets pending I/O run once, then says whether the operation is complete: `[true, value]` or
   * `[false, undefined]`. Rejects if the operation failed.
   */
  async test(status?: Status): Promise<[boolean, T | undefined]> {
    if (!this.#done) await nextTurn();
    if (!this.#done) return [false, undefined];
    if (this.#failed) throw this.#error;
    status?.copyFrom(this.status);
    return [true, this.#value];
  }

  /** Alias of {@linkcode Request.test}, as mpi4py's `Test`. */
  Test(status?: Status): Promise<[boolean, T | undefined]> {
    return this.test(status);
  }

  /**
   * Tries to withdraw the operation. A receive that has not matched a message is withdrawn: it resolves with
   * `undefined` and `status.Is_cancelled()` is true. Returns whether it was withdrawn (sends are not).
   */
  cancel(): boolean {
    if (this.#done || !this.#cancel) return false;
    const cancelled = this.#cancel();
    if (cancelled) this.status.cancelled = true;
    return cancelled;
  }

  /** Alias of {@linkcode Request.cancel}, as mpi4py's `Cancel`. */
  Cancel(): boolean {
    return this.cancel();
  }

  /**
   * Waits for every request; returns their values in order. Rejects with the first failure. On a tuple of
   * requests the result is the tuple of their values (`[Request<void>, Request<number>]` gives
   * `[void, number]`), on an array an array.
   */
  static waitall<const R extends readonly PromiseLike<unknown>[] | []>(
    requests: R,
    statuses?: Status[],
  ): Promise<{ -readonly [K in keyof R]: Awaited<R[K]> }>;
  /** Waits for every request, each giving a `T` (an explicit type argument: `waitall<number>(requests)`). */
  static waitall<T>(requests: readonly PromiseLike<T>[], statuses?: Status[]): Promise<T[]>;
  static async waitall(requests: readonly PromiseLike<unknown>[], statuses?: Status[]): Promise<unknown[]> {
    // A request's own promise, not the request: `Promise.all` would treat it as a thenable, with a job, a
    // promise and a call of `then` per request.
    const values = await Promise.all(
      requests.map((request) => request instanceof Request ? request.#promise : request),
    );
    if (statuses) {
      requests.forEach((request, i) => {
        if (request instanceof Request) (statuses[i] ??= new Status()).copyFrom(request.status);
      });
    }
    return values;
  }

  /** Waits for the first request to complete; returns `[index, value]`. */
  static waitany<T>(requests: readonly Request<T>[], status?: Status): Promise<[number, T]> {
    if (requests.length === 0) return Promise.resolve([-1, undefined as T]);
    return Promise.race(
      requests.map((request, index) => request.#promise.then((value): [number, T] => [index, value])),
    ).then((result) => {
      status?.copyFrom(requests[result[0]].status);
      return result;
    });
  }

  /** Waits until at least one request is complete; returns the indices and values of all complete ones. */
  static async waitsome<T>(requests: readonly Request<T>[]): Promise<[number[], T[]]> {
    if (requests.length === 0) return [[], []];
    await Request.waitany(requests);
    return Request.#completed(requests);
  }

  /** Lets I/O run once; returns `[true, values]` if every request is complete, else `[false, undefined]`. */
  static async testall<T>(requests: readonly Request<T>[]): Promise<[boolean, T[] | undefined]> {
    if (requests.some((request) => !request.#done)) await nextTurn();
    if (requests.some((request) => !request.#done)) return [false, undefined];
    return [true, await Promise.all(requests.map((request) => request.#promise))];
  }

  /** Lets I/O run once; returns `[index, true, value]` for a complete request, else `[-1, false, undefined]`. */
  static async testany<T>(requests: readonly Request<T>[]): Promise<[number, boolean, T | undefined]> {
    if (!requests.some((request) => request.#done)) await nextTurn();
    const index = requests.findIndex((request) => request.#done);
    if (index < 0) return [-1, false, undefined];
    return [index, true, await requests[index].#promise];
  }

  /** Lets I/O run once; returns the indices and values of every complete request. */
  static async testsome<T>(requests: readonly Request<T>[]): Promise<[number[], T[]]> {
    await nextTurn();
    return Request.#completed(requests);
  }

  static async #completed<T>(requests: readonly Request<T>[]): Promise<[number[], T[]]> {
    const indices: number[] = [];
    const values: T[] = [];
    for (let i = 0; i < requests.length; i++) {
      if (!requests[i].#done) continue;
      indices.push(i);
      values.push(await requests[i].#promise);
    }
    return [indices, values];
  }

  /**
   * Starts every persistent request of `requests` (made by `Send_init`, `Recv_init`, `Bcast_init`, ...), in
   * order, as mpi4py's `Prequest.Startall`. ERR_ARG names the first one that is not persistent, before any
   * starts.
   */
  static Startall(requests: readonly Request<unknown>[]): void {
    requests.forEach((request, i) => {
      if (typeof (request as { Start?: unknown }).Start !== "function") {
        throw mpiError(ErrorCode.ERR_ARG, `Startall: requests[${i}] is not a persistent request`);
      }
    });
    for (const request of requests) (request as unknown as { Start(): void }).Start();
  }

  /** mpi4py spellings of the static helpers. */
  static Waitall: typeof Request.waitall = Request.waitall;
  /** See {@linkcode Request.waitany}. */
  static Waitany: typeof Request.waitany = Request.waitany;
  /** See {@linkcode Request.waitsome}. */
  static Waitsome: typeof Request.waitsome = Request.waitsome;
  /** See {@linkcode Request.testall}. */
  static Testall: typeof Request.testall = Request.testall;
  /** See {@linkcode Request.testany}. */
  static Testany: typeof Request.testany = Request.testany;
  /** See {@linkcode Request.testsome}. */
  static Testsome: typeof Request.testsome = Request.testsome;
}
