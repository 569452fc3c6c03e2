/** Assertions for SPMD scripts: a failure names the rank and throws, which fails the job. */

import assert from "node:assert/strict";
import { type ErrorCode, MPI, MPIError } from "../../mod.ts";

/** Asserts deep equality, naming what was checked. */
export function same(actual: unknown, expected: unknown, what: string): void {
  assert.deepStrictEqual(actual, expected, `rank ${MPI.COMM_WORLD.rank}: ${what}`);
}

/** Asserts that `run` rejects (or throws) an MPIError with `code` whose message matches `message`. */
export async function failsWith(
  run: () => unknown,
  code: ErrorCode,
  message: RegExp,
  what: string,
): Promise<void> {
  try {
    await run();
  } catch (error) {
    assert.ok(
      error instanceof MPIError,
      `rank ${MPI.COMM_WORLD.rank}: ${what}: expected MPIError, got ${error}`,
    );
    assert.equal(
      error.code,
      code,
      `rank ${MPI.COMM_WORLD.rank}: ${what}: code ${error.codeName}: ${error.message}`,
    );
    assert.match(error.message, message, `rank ${MPI.COMM_WORLD.rank}: ${what}`);
    return;
  }
  assert.fail(`rank ${MPI.COMM_WORLD.rank}: ${what}: did not fail`);
}
