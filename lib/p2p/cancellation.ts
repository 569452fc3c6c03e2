/**
 * Cancelling a pending call with an `AbortSignal` (`{ signal }` in its options object): checking the
 * argument, the typed error the call rejects with, and racing a promise against the signal. Calls without a
 * signal never reach this module's listeners: no cost where nobody cancels.
 *
 * What a cancelled call does: a receive or probe is withdrawn (a later matching message goes to the next
 * receive); a collective cannot be withdrawn half-way (the other ranks may have sent their part), so it
 * leaves its communicator unusable for collectives (see {@linkcode brokenCollectives}); waiting on a request
 * stops waiting, and a receive's request is withdrawn as well.
 *
 * @module
 */

import { ErrorCode, type MPIError, mpiError } from "../errors.ts";

/** The options of a call that may be cancelled. */
export interface Cancellable {
  /** Cancels the call when it aborts: the call rejects with `ErrorCode.ERR_CANCELLED`. */
  signal?: AbortSignal;
}

/**
 * Checks a `signal` option: undefined or an `AbortSignal`; anything else is ERR_ARG naming the call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSignal } from "./cancellation.ts";
 * assert.equal(checkSignal("recv", undefined), undefined);
 * assert.throws(() => checkSignal("recv", 300), /recv: signal 300 is not an AbortSignal/);
 * ```
 */
export function checkSignal(where: string, signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (signal instanceof AbortSignal) return signal;
  throw mpiError(ErrorCode.ERR_ARG, `${where}: signal ${describe(signal)} is not an AbortSignal`);
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return `an instance of ${value.constructor?.name ?? "Object"}`;
}

/**
 * The error of a call that `signal` cancelled: ERR_CANCELLED, naming the call, with the signal's reason as
 * its `cause` (a `TimeoutError` for `AbortSignal.timeout`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cancelledError } from "./cancellation.ts";
 * const error = cancelledError("recv(source=0, tag=4) on COMM_WORLD", AbortSignal.abort());
 * assert.equal(error.codeName, "ERR_CANCELLED");
 * ```
 */
export function cancelledError(what: string, signal: AbortSignal): MPIError {
  const reason = signal.reason;
  const why = reason instanceof Error ? `${reason.name}: ${reason.message}` : describe(reason);
  return mpiError(ErrorCode.ERR_CANCELLED, `${what} was cancelled by its signal (${why})`, { cause: reason });
}

/**
 * Settles like `promise`, or calls `withdraw` and rejects with {@linkcode cancelledError} once `signal`
 * aborts first. `withdraw` says whether the operation was taken back; when it was not (a receive that has
 * already matched its message), the result of `promise` stands: no message is ever lost to a cancellation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { raceSignal } from "./cancellation.ts";
 * const controller = new AbortController();
 * const never = new Promise<number>(() => {});
 * const raced = raceSignal(never, controller.signal, () => "recv", () => true);
 * controller.abort();
 * await assert.rejects(raced, /recv was cancelled/);
 * ```
 */
export function raceSignal<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  what: () => string,
  withdraw: () => boolean,
): Promise<T> {
  if (signal.aborted && withdraw()) {
    promise.catch(() => {});
    return Promise.reject(cancelledError(what(), signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      if (!withdraw()) return;
      promise.catch(() => {});
      reject(cancelledError(what(), signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    }, (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
  });
}

/**
 * The error every later collective on a communicator gets once a collective on it was cancelled: MPI has no
 * way to withdraw a collective that other ranks may have joined, so its sequence is no longer in step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { brokenCollectives } from "./cancellation.ts";
 * assert.match(brokenCollectives("bcast", "COMM_WORLD", "allreduce #3").message, /its allreduce #3 was cancelled/);
 * ```
 */
export function brokenCollectives(where: string, comm: string, cancelled: string): MPIError {
  return mpiError(
    ErrorCode.ERR_COMM,
    `${where}: communicator ${comm} can no longer run collectives: its ${cancelled} was cancelled half-way ` +
      `(point-to-point calls still work; make a new communicator from another one)`,
  );
}
