/**
 * The one promise that every send finished before its call returned resolves to: an eager message whose bytes
 * the kernel took at once (the C library's sockets write synchronously). Returning it costs no promise, no
 * closure and no reaction per message, and callers that must react to a send's end (a hang report's activity,
 * `--report`'s timing) see by identity that there is nothing to wait for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SENT } from "./sent.ts";
 * assert.equal(await SENT, undefined);
 * ```
 *
 * @module
 */

/** The promise of a send that completed before its call returned; already resolved. */
export const SENT: Promise<void> = Promise.resolve();
