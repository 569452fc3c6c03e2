/**
 * Copies between a user's memory laid out by a datatype and contiguous bytes, run by run, with the widest
 * copy unit the layout and both buffers allow (4 bytes for doubles: integer copies keep every bit of a NaN).
 *
 * @module
 */

import type { Layout } from "./layout.ts";

/** Runs of up to this many units are copied by a loop; longer ones by `set`. */
const SHORT_RUN = 16;

/**
 * Copies `count` elements of `layout` from `memory` (element 0 at byte 0) into `packed` from `position`;
 * returns the position after them. The caller has checked that everything lies inside both buffers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basicLayout, blocksLayout } from "./layout.ts";
 * import { pack } from "./pack.ts";
 * const int = basicLayout(4, Int32Array);
 * const everyOther = blocksLayout([0, 8].map((offset) => ({ offset, count: 1, layout: int })));
 * const packed = new Int32Array(2);
 * pack(everyOther, 1, bytesOf(Int32Array.of(1, 2, 3, 4)), bytesOf(packed), 0);
 * assert.deepEqual(packed, Int32Array.of(1, 3));
 * function bytesOf(a: Int32Array) { return new Uint8Array(a.buffer); }
 * ```
 */
export function pack(
  layout: Layout,
  count: number,
  memory: Uint8Array,
  packed: Uint8Array,
  position: number,
): number {
  return copyRuns(layout, count, memory, packed, position, true);
}

/** Copies contiguous bytes of `packed` from `position` into `count` elements of `layout` in `memory`. */
export function unpack(
  layout: Layout,
  count: number,
  packed: Uint8Array,
  position: number,
  memory: Uint8Array,
): number {
  return copyRuns(layout, count, memory, packed, position, false);
}

function copyRuns(
  layout: Layout,
  count: number,
  memory: Uint8Array,
  packed: Uint8Array,
  position: number,
  toPacked: boolean,
): number {
  const unit = copyUnit(layout.alignment, memory.byteOffset, packed.byteOffset, position);
  const user = unitView(memory, unit);
  const flat = unitView(packed, unit);
  const { offsets, lengths } = layout;
  const extent = (layout.ub - layout.lb) / unit;
  let at = position / unit;
  for (let i = 0; i < count; i++) {
    const base = i * extent;
    for (let k = 0; k < offsets.length; k++) {
      const from = base + offsets[k] / unit;
      const length = lengths[k] / unit;
      if (length > SHORT_RUN) {
        if (toPacked) flat.set(user.subarray(from, from + length), at);
        else user.set(flat.subarray(at, at + length), from);
      } else if (toPacked) {
        for (let j = 0; j < length; j++) flat[at + j] = user[from + j];
      } else {
        for (let j = 0; j < length; j++) user[from + j] = flat[at + j];
      }
      at += length;
    }
  }
  return position + count * layout.size;
}

function copyUnit(alignment: number, ...offsets: number[]): number {
  let unit = Math.min(alignment, 4);
  for (const offset of offsets) while (offset % unit !== 0) unit >>= 1;
  return unit;
}

function unitView(bytes: Uint8Array, unit: number): Uint8Array | Uint16Array | Uint32Array {
  if (unit === 4) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  if (unit === 2) return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  return bytes;
}
