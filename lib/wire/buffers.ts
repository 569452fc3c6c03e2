/**
 * Buffer arguments of the capitalised MPI methods: a TypedArray, an ArrayBuffer, a DataView, or `[buf, count]`,
 * seen as the bytes they span. Pure.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";

/** Any typed array. */
export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** Memory whose bytes travel as they are: a typed array, an ArrayBuffer (or SharedArrayBuffer) or a DataView. */
export type BufferMemory = TypedArray | ArrayBufferLike | DataView;

/**
 * A buffer argument of the capitalised calls (`Send`, `Recv`, `Bcast`, `Allreduce`...): the memory itself,
 * or `[buf, count]` for its first `count` elements. Reductions need a typed array: its element type picks
 * the arithmetic.
 *
 * @example
 * ```ts
 * import type { BufferArg } from "mpirun-deno";
 * const whole: BufferArg = new Float64Array(8);
 * const firstThree: BufferArg = [new Float64Array(8), 3];
 * ```
 */
export type BufferArg =
  | BufferMemory
  | readonly [buf: BufferMemory, count: number]
  | readonly [buf: BufferMemory, datatype: DatatypeArg]
  | readonly [buf: BufferMemory, count: number, datatype: DatatypeArg];

/**
 * What the buffer forms take as a datatype: an `MPI.Datatype` (`MPI.DOUBLE`, or a committed derived one).
 *
 * @example
 * ```ts
 * import { type DatatypeArg, MPI } from "mpirun-deno";
 * const column: DatatypeArg = MPI.DOUBLE.Create_vector(4, 1, 5).Commit();
 * ```
 */
export interface DatatypeArg {
  /** Bytes of data in one element of the type (holes left out). */
  Get_size(): number;
  /** The lower bound and the extent of one element, in bytes. */
  Get_extent(): [number, number];
  /** Makes the type usable in communication; returns it. */
  Commit(): unknown;
}

/**
 * A v-buffer argument of the v-collectives (`Scatterv`, `Gatherv`, `Allgatherv`, `Alltoallv`): a buffer with
 * a block per rank, `counts[i]` elements at displacement `displs[i]` (in elements; without `displs` the
 * blocks are back to back).
 *
 * @example
 * ```ts
 * import type { VBufferArg } from "mpirun-deno";
 * const packed: VBufferArg = [new Int32Array(6), [1, 2, 3]];
 * const spaced: VBufferArg = [new Int32Array(9), [1, 2, 3], [0, 3, 6]];
 * ```
 */
export type VBufferArg =
  | readonly [buf: BufferArg, counts: readonly number[]]
  | readonly [buf: BufferArg, counts: readonly number[], displs: ArrayLike<number> | null | undefined]
  | readonly [buf: BufferMemory, counts: readonly number[], datatype: DatatypeArg]
  | readonly [
    buf: BufferMemory,
    counts: readonly number[],
    displs: ArrayLike<number> | null | undefined,
    datatype: DatatypeArg,
  ];

/**
 * A w-buffer argument of `Alltoallw` and `Neighbor_alltoallw`: a buffer with a block per rank (or neighbour),
 * `counts[i]` elements of `types[i]` (a typed array type or a committed datatype) at the byte displacement
 * `displs[i]`, as MPI's `MPI_Alltoallw`.
 *
 * @example
 * ```ts
 * import type { WBufferArg } from "mpirun-deno";
 * const mixed: WBufferArg = [new ArrayBuffer(16), [2, 1], [0, 8], [Int32Array, Float64Array]];
 * ```
 */
export type WBufferArg = readonly [
  buf: BufferMemory,
  counts: readonly number[],
  displs: readonly number[],
  types: readonly ({ readonly BYTES_PER_ELEMENT: number } | DatatypeArg)[],
];

/** A buffer argument resolved to bytes, with its element size for counts and element-wise work. */
export interface ByteView {
  /** The bytes the argument spans (a view: writing it writes the caller's array). */
  bytes: Uint8Array;
  /** Bytes per element (1 for ArrayBuffer and DataView). */
  elementSize: number;
  /** The typed array the caller passed, if any. */
  array: TypedArray | undefined;
}

/**
 * Resolves a buffer argument to its bytes; throws ERR_TYPE/ERR_COUNT naming `where` and `argument` otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toByteView } from "./buffers.ts";
 * const view = toByteView([new Float64Array(4), 2], "Send", "buf");
 * assert.equal(view.bytes.length, 16);
 * ```
 */
export function toByteView(spec: unknown, where: string, argument: string): ByteView {
  if (spec instanceof Uint8Array) return { bytes: spec, elementSize: 1, array: spec };
  if (ArrayBuffer.isView(spec)) {
    if (spec instanceof DataView) {
      return {
        bytes: new Uint8Array(spec.buffer, spec.byteOffset, spec.byteLength),
        elementSize: 1,
        array: undefined,
      };
    }
    const array = spec as TypedArray;
    return {
      bytes: new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      elementSize: array.BYTES_PER_ELEMENT,
      array,
    };
  }
  if (
    spec instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== "undefined" && spec instanceof SharedArrayBuffer)
  ) {
    return { bytes: new Uint8Array(spec), elementSize: 1, array: undefined };
  }
  if (Array.isArray(spec) && spec.length === 2 && typeof spec[1] === "number") {
    const inner = toByteView(spec[0], where, argument);
    const count = spec[1];
    const capacity = inner.bytes.length / inner.elementSize;
    if (!Number.isInteger(count) || count < 0 || count > capacity) {
      throw mpiError(
        ErrorCode.ERR_COUNT,
        `${where}: ${argument} count ${count} does not fit a buffer of ${capacity} elements`,
      );
    }
    return { ...inner, bytes: inner.bytes.subarray(0, count * inner.elementSize) };
  }
  throw mpiError(
    ErrorCode.ERR_TYPE,
    `${where}: ${argument} must be a TypedArray, an ArrayBuffer or [buffer, count], not ${describe(spec)}`,
  );
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an instance of ${value.constructor?.name ?? "Object"}`;
  return `a ${typeof value}`;
}

/**
 * Joins byte chunks into one array (the chunk itself when there is only one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatBytes } from "./buffers.ts";
 * assert.deepEqual(concatBytes([Uint8Array.of(1), Uint8Array.of(2, 3)]), Uint8Array.of(1, 2, 3));
 * ```
 */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
