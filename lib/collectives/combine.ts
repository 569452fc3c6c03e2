/**
 * Combining received bytes into a typed-array accumulator: the step every buffer reduction repeats. The
 * received bytes are viewed in place when aligned (no copy), and the op's kernel writes into the accumulator.
 *
 * @module
 */

import type { TypedArray } from "../wire/buffers.ts";
import { receivedVector, sizeMismatch } from "./buffer_args.ts";
import type { Op } from "./ops.ts";

/**
 * The bytes of a typed array (same memory).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesOf } from "./combine.ts";
 * assert.equal(bytesOf(new Float64Array(2)).length, 16);
 * ```
 */
export function bytesOf(vector: TypedArray): Uint8Array {
  return new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
}

/**
 * `acc = acc op received`, or `received op acc` with `receivedFirst` (when the sender holds lower ranks),
 * after checking that the message from `from` has the size of `acc`.
 */
export function combineInto(
  where: string,
  from: string,
  acc: TypedArray,
  bytes: Uint8Array,
  op: Op,
  receivedFirst: boolean,
): void {
  if (bytes.length !== acc.byteLength) {
    throw sizeMismatch(where, from, bytes.length, acc.byteLength, "this rank's buffer");
  }
  const received = receivedVector(bytes, acc);
  if (receivedFirst) op.reduceVectors(where, received, acc, acc);
  else op.reduceVectors(where, acc, received, acc);
}
