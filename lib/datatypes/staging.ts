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
  const value = collect(prepare, undefined, undefined);
  return [value, takeCollected()];
}

/** The write-backs of the call {@linkcode collect} prepared last, until {@linkcode takeCollected}. */
let collected: readonly (() => void)[] = NONE_YET;

/** The write-backs {@linkcode collect} left, which it then no longer holds. */
function takeCollected(): readonly (() => void)[] {
  const taken = collected;
  collected = NONE_YET;
  return taken;
}

/** Runs `prepare(first, second)`, leaving the write-backs it registered in {@linkcode collected}. */
function collect<F, S, T>(prepare: (first: F, second: S) => T, first: F, second: S): T {
  const outer = collecting;
  collecting = NONE_YET as (() => void)[];
  try {
    const value = prepare(first, second);
    collected = collecting;
    return value;
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
 * Prepares a call as {@linkcode collectWriteBacks} does, with `prepare(first, second)` (arguments rather than
 * a closure: a collective makes no function of its own to prepare): the call it returns runs the prepared
 * one, then the write-backs of the buffers that preparing it resolved (none: the prepared call itself).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerWriteBack, withWriteBacks } from "./staging.ts";
 * const order: string[] = [];
 * const call = withWriteBacks((first: string, second: string) => {
 *   order.push(first);
 *   registerWriteBack(() => order.push(second));
 *   return async (what: string) => void order.push(what);
 * }, "prepare", "write-back");
 * await call("call");
 * assert.deepEqual(order, ["prepare", "call", "write-back"]);
 * ```
 */
export function withWriteBacks<F, S, A, T>(
  prepare: (first: F, second: S) => (arg: A) => Promise<T>,
  first: F,
  second: S,
): (arg: A) => Promise<T> {
  const call = collect(prepare, first, second);
  const writeBacks = takeCollected();
  return writeBacks.length === 0 ? call : writingBack(call, writeBacks);
}

/** `call`, then `writeBacks` (apart, so that a call without write-backs makes no closure). */
function writingBack<A, T>(call: (arg: A) => Promise<T>, writeBacks: readonly (() => void)[]) {
  return async (arg: A): Promise<T> => {
    const result = await call(arg);
    for (const writeBack of writeBacks) writeBack();
    return result;
  };
}
