/**
 * The layout of a datatype, flattened: the byte runs of one element in type-map order, its bounds and size,
 * and how the layouts of derived datatypes are built from blocks of older ones. Pure: no buffers here.
 *
 * @module
 */

/** The element type of every typed array a basic datatype stands for. */
export type ElementClass =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor;

/** One element of a datatype: byte runs (offset, length) in type-map order, and its bounds. */
export interface Layout {
  /** Byte offset of each run from the element's start (may be negative). */
  readonly offsets: readonly number[];
  /** Byte length of each run. */
  readonly lengths: readonly number[];
  /** Bytes of data in one element (the sum of the runs). */
  readonly size: number;
  /** Lower bound: where the element starts, for the spacing of consecutive elements. */
  readonly lb: number;
  /** Upper bound: `ub - lb` is the extent, the stride between consecutive elements. */
  readonly ub: number;
  /** Where the data starts and ends (the lowest offset, the highest offset + length). */
  readonly trueLb: number;
  readonly trueUb: number;
  /** The basic element type when every byte is of one (reductions and typed views need it). */
  readonly element: ElementClass | undefined;
  /** Largest power of two (at most 8) dividing every offset, length and the extent: the widest safe copy. */
  readonly alignment: number;
  /** Greatest basic element size in the type (a struct's extent is rounded up to it). */
  readonly maxBasic: number;
}

/** A block of a derived datatype: `count` consecutive elements of `layout` from byte `offset`. */
export interface Block {
  offset: number;
  count: number;
  layout: Layout;
}

/**
 * The layout of a basic datatype of `size` bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basicLayout } from "./layout.ts";
 * assert.equal(basicLayout(8, Float64Array).ub, 8);
 * ```
 */
export function basicLayout(size: number, element: ElementClass): Layout {
  return {
    offsets: [0],
    lengths: [size],
    size,
    lb: 0,
    ub: size,
    trueLb: 0,
    trueUb: size,
    element,
    alignment: size,
    maxBasic: size,
  };
}

/**
 * The layout made of `blocks` in order, with MPI's bounds: the lowest block lower bound and the highest block
 * upper bound (blocks of no elements count for neither).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { basicLayout, blocksLayout } from "./layout.ts";
 * const double = basicLayout(8, Float64Array);
 * // A column of 3 rows of a 4-wide grid of doubles.
 * const column = blocksLayout([0, 32, 64].map((offset) => ({ offset, count: 1, layout: double })));
 * assert.deepEqual([column.size, column.ub, column.offsets], [24, 72, [0, 32, 64]]);
 * ```
 */
export function blocksLayout(blocks: readonly Block[]): Layout {
  const offsets: number[] = [];
  const lengths: number[] = [];
  let lb = Infinity, ub = -Infinity, size = 0, maxBasic = 1, alignment = 8;
  let element: ElementClass | undefined | null = null; // null: no data seen yet
  for (const { offset, count, layout } of blocks) {
    if (count === 0) continue;
    const extent = layout.ub - layout.lb;
    lb = Math.min(lb, offset + layout.lb + Math.min(0, (count - 1) * extent));
    ub = Math.max(ub, offset + layout.ub + Math.max(0, (count - 1) * extent));
    maxBasic = Math.max(maxBasic, layout.maxBasic);
    if (layout.size === 0) continue;
    element = element === null || element === layout.element ? layout.element : undefined;
    alignment = Math.min(alignment, layout.alignment, powerOfTwoIn(offset), powerOfTwoIn(extent));
    size += count * layout.size;
    for (let i = 0; i < count; i++) {
      const base = offset + i * extent;
      for (let k = 0; k < layout.offsets.length; k++) {
        appendRun(offsets, lengths, base + layout.offsets[k], layout.lengths[k]);
      }
    }
  }
  if (lb === Infinity) lb = ub = 0;
  const [trueLb, trueUb] = trueBounds(offsets, lengths);
  return {
    offsets,
    lengths,
    size,
    lb,
    ub,
    trueLb,
    trueUb,
    element: element ?? undefined,
    alignment,
    maxBasic,
  };
}

/** `layout` with its bounds set to `lb` and `lb + extent` (the data stays where it is). */
export function resizedLayout(layout: Layout, lb: number, extent: number): Layout {
  return { ...layout, lb, ub: lb + extent, alignment: Math.min(layout.alignment, powerOfTwoIn(extent)) };
}

/** `layout` with its upper bound rounded up to a multiple of its widest basic element, as a C struct is. */
export function paddedLayout(layout: Layout): Layout {
  const extent = layout.ub - layout.lb;
  const padded = Math.ceil(extent / layout.maxBasic) * layout.maxBasic;
  return padded === extent ? layout : resizedLayout(layout, layout.lb, padded);
}

/** Is `count` elements of `layout` one run starting at offset 0 (sent and received with no copy)? */
export function isContiguous(layout: Layout, count: number): boolean {
  if (count === 0 || layout.size === 0) return true;
  return layout.offsets.length === 1 && layout.offsets[0] === 0 &&
    (count === 1 || layout.lengths[0] === layout.ub - layout.lb);
}

function appendRun(offsets: number[], lengths: number[], offset: number, length: number): void {
  const last = offsets.length - 1;
  if (last >= 0 && offsets[last] + lengths[last] === offset) {
    lengths[last] += length;
  } else {
    offsets.push(offset);
    lengths.push(length);
  }
}

function trueBounds(offsets: readonly number[], lengths: readonly number[]): [number, number] {
  if (offsets.length === 0) return [0, 0];
  let low = Infinity, high = -Infinity;
  for (let k = 0; k < offsets.length; k++) {
    low = Math.min(low, offsets[k]);
    high = Math.max(high, offsets[k] + lengths[k]);
  }
  return [low, high];
}

function powerOfTwoIn(value: number): number {
  for (const unit of [8, 4, 2]) if (value % unit === 0) return unit;
  return 1;
}
