/**
 * Assertions on MPIErrors: the code and the message of what a call threw or rejected with.
 *
 * @module
 */

import assert from "node:assert/strict";
import { errorCodeName, type MPIError } from "../../lib/errors.ts";

/**
 * Asserts that `error` is an MPIError with `code` whose message matches `message`, and returns it. `what`,
 * if given, starts every failure message (an SPMD script names the rank and the check there).
 */
export function assertMpiError(error: unknown, code: number, message?: RegExp, what?: string): MPIError {
  const prefix = what === undefined ? "" : `${what}: `;
  // By name, not `instanceof`: the compiled binary gives a rank's script its own copy of the module, whose
  // MPIError is another class than this file's.
  const named = error instanceof Error && error.name === "MPIError" &&
    typeof (error as MPIError).code === "number";
  assert.ok(named, `${prefix}expected MPIError, got ${error}`);
  const mpi = error as MPIError;
  assert.equal(mpi.code, code, `${prefix}code ${errorCodeName(mpi.code)}: ${mpi.message}`);
  if (message !== undefined) assert.match(mpi.message, message, what);
  return mpi;
}

/** Asserts that `run` throws an MPIError with `code` whose message matches `message`. */
export function assertThrowsMpiError(run: () => unknown, code: number, message?: RegExp): MPIError {
  try {
    run();
  } catch (error) {
    return assertMpiError(error, code, message);
  }
  assert.fail("expected an MPIError, but nothing was thrown");
}

/**
 * Asserts that `run` rejects (or throws) an MPIError with `code` whose message matches `message`; `what`, if
 * given, starts every failure message.
 */
export async function assertRejectsMpiError(
  run: () => unknown,
  code: number,
  message?: RegExp,
  what?: string,
): Promise<MPIError> {
  try {
    await run();
  } catch (error) {
    return assertMpiError(error, code, message, what);
  }
  assert.fail(`${what === undefined ? "" : `${what}: `}expected an MPIError, but it did not fail`);
}
