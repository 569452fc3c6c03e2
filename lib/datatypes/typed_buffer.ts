/**
 * The buffer arguments of the capitalised calls, with mpi4py's datatype forms: `[buf, datatype]`,
 * `[buf, count, datatype]` (count in elements of the datatype) and, for the v-variants, `[buf, counts,
 * displs, datatype]` (displacements in extents of the datatype). The one place buffer arguments are resolved:
 * contiguous layouts are views of the user's memory (no copy); others are packed into a staging buffer, and
 * a receive scatters it back into the user's array when it completes (see staging.ts).
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import { type ByteView, describe, toByteView, type TypedArray } from "../wire/buffers.ts";
import { Datatype } from "./datatype.ts";
import { type ElementClass, isContiguous, type Layout } from "./layout.ts";
import { pack, unpack } from "./pack.ts";
import { registerWriteBack } from "./staging.ts";

/** A resolved buffer argument; `writeBack` scatters a staged receive into the user's array. */
export interface TypedView extends ByteView {
  writeBack?: () => void;
}

/** A resolved v-buffer argument of a datatype form: blocks at byte `starts[i]`, `lengths[i]` long, of `bytes`. */
export interface TypedVView extends TypedView {
  starts: number[];
  lengths: number[];
}

/**
 * Resolves any buffer argument: plain forms as `toByteView` does, datatype forms by their layout. A staged
 * buffer registers its write-back with the call being prepared unless it is a `sendbuf`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * import { resolveBuffer } from "./typed_buffer.ts";
 * const evens = MPI.INT.Create_vector(3, 1, 2).Commit();
 * const view = resolveBuffer([Int32Array.of(0, 1, 2, 3, 4, 5), 1, evens], "Send", "buf");
 * assert.deepEqual(new Int32Array(view.bytes.buffer), Int32Array.of(0, 2, 4));
 * ```
 */
export function resolveBuffer(spec: unknown, where: string, argument: string): TypedView {
  if (!Array.isArray(spec) || !(spec[spec.length - 1] instanceof Datatype)) {
    return toByteView(spec, where, argument);
  }
  if (spec.length !== 2 && spec.length !== 3) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} must be [buf, datatype] or [buf, count, datatype], not an array of ${spec.length} items`,
    );
  }
  const datatype = spec[spec.length - 1] as Datatype;
  datatype.check(where, `${argument}'s datatype`);
  const memory = memoryOf(spec[0], where, argument);
  const count = spec.length === 3
    ? countOf(where, `${argument} count`, spec[1])
    : datatype.fittingCount(where, argument, memory.bytes.length);
  checkInside(where, argument, datatype.layout, 0, count, memory.bytes.length);
  return stage(argument, memory, [{ at: 0, count, layout: datatype.layout }], datatype.layout.element);
}

/**
 * Resolves a v-buffer argument of a datatype form (`[buf, counts, displs, datatype]` or `[buf, counts,
 * datatype]`), or returns undefined for the plain forms. Counts are in elements, displacements in extents.
 */
export function resolveTypedVBuffer(
  spec: unknown,
  where: string,
  argument: string,
  countsOf: (list: unknown, argument: string) => number[],
): TypedVView | undefined {
  if (!Array.isArray(spec) || !(spec[spec.length - 1] instanceof Datatype)) return undefined;
  if (spec.length !== 3 && spec.length !== 4) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} must be [buf, counts, displs, datatype] or [buf, counts, datatype], not ${
        describe(spec)
      } of ${spec.length} items`,
    );
  }
  const datatype = spec[spec.length - 1] as Datatype;
  datatype.check(where, `${argument}'s datatype`);
  const layout = datatype.layout;
  const extent = layout.ub - layout.lb;
  const memory = memoryOf(spec[0], where, argument);
  const counts = countsOf(spec[1], `${argument} counts`);
  let displs: number[];
  if (spec.length === 4 && spec[2] !== null && spec[2] !== undefined) {
    displs = countsOf(spec[2], `${argument} displs`);
  } else {
    displs = [];
    counts.reduce((at, count, i) => (displs[i] = at) + count, 0);
  }
  const blocks = counts.map((count, i) => ({ at: displs[i] * extent, count, layout }));
  return stageBlocks(where, argument, memory, blocks, layout.element);
}

/**
 * Resolves the memory of a w-buffer argument (`Alltoallw`, `Neighbor_alltoallw`): block i is `counts[i]`
 * elements of `layouts[i]` from byte `displs[i]` of `buf`, as MPI's w-collectives count in the block's
 * datatype and displace in bytes (`per` names what a block is for, in errors). Blocks that are all contiguous are views of `buf`; otherwise every block is
 * packed into one staging buffer (scattered back into `buf` when a receive completes).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * import { resolveWBuffer } from "./typed_buffer.ts";
 * const column = MPI.DOUBLE.Create_vector(2, 1, 3).Commit();
 * const grid = Float64Array.of(0, 1, 2, 3, 4, 5);
 * const view = resolveWBuffer(grid.buffer, [2, 1], [0, 16], [MPI.INT.layout, column.layout], "Alltoallw", "sendbuf");
 * assert.deepEqual([view.starts, view.lengths], [[0, 8], [8, 16]]);
 * assert.deepEqual(new Float64Array(view.bytes.buffer, 8, 2), Float64Array.of(2, 5));
 * ```
 */
export function resolveWBuffer(
  buf: unknown,
  counts: readonly number[],
  displs: readonly number[],
  layouts: readonly Layout[],
  where: string,
  argument: string,
  per = "rank",
): TypedVView {
  const memory = memoryOf(buf, where, argument);
  const blocks = counts.map((count, i) => ({ at: displs[i], count, layout: layouts[i] }));
  return stageBlocks(where, argument, memory, blocks, undefined, per);
}

/** Checks that every block lies inside `memory`, and stages them (see `stage`) as blocks at `starts[i]`. */
function stageBlocks(
  where: string,
  argument: string,
  memory: ByteView,
  blocks: readonly Placement[],
  element: ElementClass | undefined,
  per = "rank",
): TypedVView {
  blocks.forEach((block, i) =>
    checkInside(
      where,
      `the block of ${per} ${i} in ${argument}`,
      block.layout,
      block.at,
      block.count,
      memory.bytes.length,
    )
  );
  const lengths = blocks.map((block) => block.count * block.layout.size);
  const view = stage(argument, memory, blocks, element);
  if (view.bytes.buffer === memory.bytes.buffer && view.writeBack === undefined) {
    // Contiguous: the blocks are where the user put them.
    return { ...view, bytes: memory.bytes, starts: blocks.map((block) => block.at), lengths };
  }
  const starts: number[] = [];
  lengths.reduce((at, length, i) => (starts[i] = at) + length, 0);
  return { ...view, starts, lengths };
}

interface Placement {
  /** Byte offset of the block's first element in the user's memory. */
  at: number;
  count: number;
  layout: Layout;
}

/**
 * The blocks as bytes: a view of the user's memory when every block is contiguous (the whole memory when
 * there are several), else a staging buffer with the blocks packed back to back. `element` types the view.
 */
function stage(
  argument: string,
  memory: ByteView,
  blocks: readonly Placement[],
  element: ElementClass | undefined,
): TypedView {
  const elementSize = element?.BYTES_PER_ELEMENT ?? 1;
  const contiguous = blocks.every((block) => isContiguous(block.layout, block.count));
  const aligned = (memory.bytes.byteOffset % elementSize) === 0;
  const dense = blocks.every(({ layout }) => layout.size === layout.ub - layout.lb);
  if (contiguous && aligned && (blocks.length === 1 || dense)) {
    const first = blocks.length === 1 ? blocks[0].at : 0;
    const end = blocks.length === 1 ? first + blocks[0].count * blocks[0].layout.size : memory.bytes.length;
    const bytes = memory.bytes.subarray(first, end);
    return { bytes, elementSize, array: typedView(bytes, element) };
  }
  let total = 0;
  for (const block of blocks) total += block.count * block.layout.size;
  const staging = new Uint8Array(total);
  const user = memory.bytes;
  let position = 0;
  for (const block of blocks) {
    position = pack(block.layout, block.count, user.subarray(block.at), staging, position);
  }
  const writeBack = () => {
    let at = 0;
    for (const block of blocks) {
      at = unpack(block.layout, block.count, staging, at, user.subarray(block.at));
    }
  };
  if (argument !== "sendbuf") registerWriteBack(writeBack);
  return { bytes: staging, elementSize, array: typedView(staging, element), writeBack };
}

function typedView(bytes: Uint8Array, element: Layout["element"]): TypedArray | undefined {
  if (element === undefined) return undefined;
  return new element(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length / element.BYTES_PER_ELEMENT);
}

function memoryOf(buf: unknown, where: string, argument: string): ByteView {
  if (Array.isArray(buf)) {
    throw mpiError(
      ErrorCode.ERR_TYPE,
      `${where}: ${argument}'s buffer must be a TypedArray, an ArrayBuffer or a DataView, not an array`,
    );
  }
  return toByteView(buf, where, argument);
}

function countOf(where: string, argument: string, count: unknown): number {
  if (typeof count !== "number" || !Number.isInteger(count) || count < 0) {
    throw mpiError(ErrorCode.ERR_COUNT, `${where}: ${argument} ${String(count)} is not a count >= 0`);
  }
  return count;
}

/** Throws ERR_COUNT unless `count` elements of `layout` from byte `at` lie inside a buffer of `bytes` bytes. */
function checkInside(
  where: string,
  what: string,
  layout: Layout,
  at: number,
  count: number,
  bytes: number,
): void {
  if (count === 0 || layout.size === 0) return;
  const extent = layout.ub - layout.lb;
  const last = at + (count - 1) * extent;
  const low = Math.min(at, last) + layout.trueLb;
  const high = Math.max(at, last) + layout.trueUb;
  if (low < 0 || high > bytes) {
    throw mpiError(
      ErrorCode.ERR_COUNT,
      `${where}: ${count} elements of the datatype in ${what} span bytes ${low} to ${high}, outside the ${bytes} bytes of the buffer`,
    );
  }
}
