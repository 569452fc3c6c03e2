/**
 * Bundles: several byte blocks in one message, so that tree collectives can forward the blocks of a whole
 * subtree (gather, scatter, Bruck's allgather) without decoding them. Layout, little-endian:
 *
 * ```
 * u32 count | u32 length x count | the blocks, back to back
 * ```
 *
 * Pure: no I/O. Unpacking returns views of the bundle, not copies.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";

/**
 * Packs `blocks` into one bundle.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pack, unpack } from "./bundle.ts";
 * const bundle = pack([new Uint8Array([1, 2]), new Uint8Array([3])]);
 * assert.deepEqual(unpack(bundle, "gather").map((block) => [...block]), [[1, 2], [3]]);
 * ```
 */
export function pack(blocks: readonly Uint8Array[]): Uint8Array {
  let total = 4 + 4 * blocks.length;
  for (const block of blocks) total += block.length;
  const bundle = new Uint8Array(total);
  const view = new DataView(bundle.buffer);
  view.setUint32(0, blocks.length, true);
  let at = 4 + 4 * blocks.length;
  for (let i = 0; i < blocks.length; i++) {
    view.setUint32(4 + 4 * i, blocks[i].length, true);
    bundle.set(blocks[i], at);
    at += blocks[i].length;
  }
  return bundle;
}

/** Splits a bundle into its blocks (views of `bundle`). Throws ERR_INTERN naming `where` if it is malformed. */
export function unpack(bundle: Uint8Array, where: string): Uint8Array[] {
  const view = new DataView(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const malformed = () =>
    mpiError(ErrorCode.ERR_INTERN, `${where}: received a malformed bundle of ${bundle.length} bytes`);
  if (bundle.length < 4) throw malformed();
  const count = view.getUint32(0, true);
  let at = 4 + 4 * count;
  if (at > bundle.length) throw malformed();
  const blocks = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(4 + 4 * i, true);
    if (at + length > bundle.length) throw malformed();
    blocks[i] = bundle.subarray(at, at + length);
    at += length;
  }
  if (at !== bundle.length) throw malformed();
  return blocks;
}
