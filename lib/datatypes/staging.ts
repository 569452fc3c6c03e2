/**
 * Where the elements of a non-contiguous receive buffer go once a call completes: resolving such a buffer
 * packs it into a staging buffer (the call sends from and receives into that), and registers how to
 * scatter the staging buffer back into the user's array. A collective resolves its buffers synchronously
 * inside {@linkcode withWriteBacks}, which runs the write-backs when the collective completes.
 *
 * @module
 */

/**
 * The write-backs of the call being prepared: undefined outside one, {@linkcode NONE_YET} inside one that
 * has registered none (the usual call: it allocates nothing here).
 */
let collecting: (() => void)[] | undefined;
/** The write-backs of a call that registered none; never added to. */
const NONE_YET: readonly (() => void)[] = Object.freeze([]);

/**
 * Runs `prepare` (which resolves a call's buffers) and returns what it returned with the write-backs the
 * buffers it resolved registered.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectWriteBacks, registerWriteBack } from "./staging.ts";
 * let written = false;
 * const [value, writeBacks] = collectWriteBacks(() => {
 *   registerWriteBack(() => written = true);
 *   return 7;
 * });
 * assert.equal(value, 7);
 * writeBacks.forEach((writeBack) => writeBack());
 * assert.ok(written);
 * ```
 */
export function collectWriteBacks<T>(prepare: () => T): [T, readonly (() => void)[]] {
  const outer = collecting;
  collecting = NONE_YET as (() => void)[];
  try {
    const value = prepare();
    return [value, collecting];
  } finally {
    collecting = outer;
  }
}

/** Registers a write-back with the call being prepared (none outside {@linkcode collectWriteBacks}). */
export function registerWriteBack(writeBack: () => void): void {
  if (collecting === undefined) return;
  if (collecting === NONE_YET) collecting = [];
  collecting.push(writeBack);
}

/**
 * Prepares a call with {@linkcode collectWriteBacks}: the call it returns runs the prepared one, then the
 * write-backs of the buffers that preparing it resolved (none: the prepared call itself).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerWriteBack, withWriteBacks } from "./staging.ts";
 * const order: string[] = [];
 * const call = withWriteBacks(() => {
 *   registerWriteBack(() => order.push("write-back"));
 *   return async (what: string) => void order.push(what);
 * });
 * await call("call");
 * assert.deepEqual(order, ["call", "write-back"]);
 * ```
 */
export function withWriteBacks<A, T>(prepare: () => (arg: A) => Promise<T>): (arg: A) => Promise<T> {
  const [call, writeBacks] = collectWriteBacks(prepare);
  if (writeBacks.length === 0) return call;
  return async (arg) => {
    const result = await call(arg);
    for (const writeBack of writeBacks) writeBack();
    return result;
  };
}
