/**
 * The one promise that every call finished before it returned resolves to: an eager message whose bytes the
 * kernel took at once (the C library's sockets write synchronously), or a barrier in shared memory that every
 * rank reached while this one spun. Returning it costs no promise, no closure and no reaction per call, and
 * callers that must react to a call's end (a hang report's activity, `--report`'s timing, a `Request`) see by
 * identity that there is nothing to wait for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { COMPLETED } from "./completed.ts";
 * assert.equal(await COMPLETED, undefined);
 * ```
 *
 * @module
 */

/** The promise of a call that completed before it returned; already resolved. */
export const COMPLETED: Promise<void> = Promise.resolve();
