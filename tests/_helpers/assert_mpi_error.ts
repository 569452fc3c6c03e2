/**
 * Assertions on MPIErrors: the code and the message of what a call threw or rejected with.
 *
 * @module
 */

import assert from "node:assert/strict";
// From the public module, not lib/errors.ts: the compiled binary gives a rank's script its own copy of the
// module for `mod.ts`, and a second copy of the error class would fail `instanceof`.
import { errorCodeName, MPIError } from "../../mod.ts";

/**
 * Asserts that `error` is an MPIError with `code` whose message matches `message`, and returns it. `what`,
 * if given, starts every failure message (an SPMD script names the rank and the check there).
 */
export function assertMpiError(error: unknown, code: number, message?: RegExp, what?: string): MPIError {
  const prefix = what === undefined ? "" : `${what}: `;
  assert.ok(error instanceof MPIError, `${prefix}expected MPIError, got ${error}`);
  assert.equal(error.code, code, `${prefix}code ${errorCodeName(error.code)}: ${error.message}`);
  if (message !== undefined) assert.match(error.message, message, what);
  return error;
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
