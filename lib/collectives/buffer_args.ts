/**
 * The buffer arguments of the capitalised collectives, resolved to bytes before anything is sent: plain
 * buffers (`TypedArray`, `ArrayBuffer`, `[buf, count]`), v-buffers (`[buf, counts, displs?]`, in elements),
 * `IN_PLACE`, and the errors that name the expected and actual sizes.
 *
 * @module
 */

import { IN_PLACE } from "../constants.ts";
import { ErrorCode, type MPIError, mpiError } from "../errors.ts";
import { Datatype } from "../datatypes/datatype.ts";
import { basicLayout, type ElementClass, type Layout } from "../datatypes/layout.ts";
import { resolveBuffer, resolveTypedVBuffer, resolveWBuffer } from "../datatypes/typed_buffer.ts";
import { describe, type TypedArray } from "../wire/buffers.ts";

/** A message with no bytes (barrier rounds, the root's own slot). */
export const EMPTY: Uint8Array = new Uint8Array(0);

/** A buffer argument: its bytes, and the same memory as elements when the caller passed a typed array. */
export interface ResolvedBuffer {
  bytes: Uint8Array;
  /** Bytes per element (1 for an ArrayBuffer or DataView). */
  elementSize: number;
  /** The bytes as the caller's typed array type; undefined for an ArrayBuffer or DataView. */
  vector: TypedArray | undefined;
}

/** A buffer argument whose elements can be reduced. */
export interface ResolvedVector extends ResolvedBuffer {
  vector: TypedArray;
}

/** A v-buffer argument: a buffer with a block per rank, given as element counts and displacements. */
export interface ResolvedVBuffer extends ResolvedBuffer {
  /** Byte offset of each rank's block. */
  starts: number[];
  /** Byte length of each rank's block. */
  lengths: number[];
}

/** Is `value` the {@linkcode IN_PLACE} marker? */
export function isInPlace(value: unknown): boolean {
  return value === IN_PLACE;
}

/**
 * Resolves a buffer argument (see `toByteView`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bufferArg } from "./buffer_args.ts";
 * assert.equal(bufferArg("Bcast", [new Int32Array(8), 3], "buf").bytes.length, 12);
 * ```
 */
export function bufferArg(where: string, spec: unknown, argument: string): ResolvedBuffer {
  if (isWholeArray(spec)) return new WholeArray(spec);
  const view = resolveBuffer(spec, where, argument);
  const { bytes, array } = view;
  // The caller's own array when it is the whole argument, of a standard class (the usual call: no view).
  const whole = array !== undefined && array.byteLength === bytes.length &&
    array.constructor === elementClass(array) && array.byteOffset === bytes.byteOffset;
  const vector = whole ? array : array === undefined ? undefined : typedOver(bytes, array);
  return { bytes, elementSize: view.elementSize, vector };
}

/** Is `spec` a typed array of a standard class (not a subclass, not a DataView), passed whole? */
function isWholeArray(spec: unknown): spec is TypedArray {
  return ArrayBuffer.isView(spec) && !(spec instanceof DataView) &&
    spec.constructor === elementClass(spec as TypedArray);
}

/**
 * A typed array passed whole, the usual buffer argument: one object, whose bytes are viewed only when asked
 * for (a call in shared memory reads the elements; it never asks). With many ranks, each object a call makes
 * adds to the garbage collections that hold up every rank.
 */
class WholeArray implements ResolvedBuffer {
  readonly vector: TypedArray;
  #bytes: Uint8Array | undefined;

  constructor(vector: TypedArray) {
    this.vector = vector;
  }

  get elementSize(): number {
    return this.vector.BYTES_PER_ELEMENT;
  }

  get bytes(): Uint8Array {
    const vector = this.vector;
    return this.#bytes ??= vector.constructor === Uint8Array
      ? vector as Uint8Array
      : new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength);
  }
}

/** Resolves a buffer argument that a reduction combines: it must be a typed array (or `[array, count]`). */
export function vectorArg(where: string, spec: unknown, argument: string): ResolvedVector {
  const arg = bufferArg(where, spec, argument);
  if (arg.vector === undefined) {
    throw mpiError(
      ErrorCode.ERR_TYPE,
      `${where}: ${argument} must be a typed array for a reduction (its element type picks the arithmetic), not ${
        describe(spec)
      }`,
    );
  }
  return arg as ResolvedVector;
}

/**
 * Resolves `[buf, counts]` or `[buf, counts, displs]` (counts and displacements in elements, one per rank;
 * without `displs` the blocks are back to back), or `[buf, counts, displs, datatype]` (counts in elements of
 * the datatype, displacements in its extents). Every block must lie inside `buf`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { vBufferArg } from "./buffer_args.ts";
 * const arg = vBufferArg("Scatterv", [new Float64Array(15), [4, 4, 4, 3]], "sendbuf", 4);
 * assert.deepEqual(arg.starts, [0, 32, 64, 96]);
 * assert.deepEqual(arg.lengths, [32, 32, 32, 24]);
 * ```
 */
export function vBufferArg(where: string, spec: unknown, argument: string, size: number): ResolvedVBuffer {
  const typed = resolveTypedVBuffer(
    spec,
    where,
    argument,
    (list, name) => countsArg(where, list, name, size),
  );
  if (typed !== undefined) {
    const vector = typed.array === undefined ? undefined : typedOver(typed.bytes, typed.array);
    return {
      bytes: typed.bytes,
      elementSize: typed.elementSize,
      vector,
      starts: typed.starts,
      lengths: typed.lengths,
    };
  }
  if (!Array.isArray(spec) || (spec.length !== 2 && spec.length !== 3) || !Array.isArray(spec[1])) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} must be [buf, counts] or [buf, counts, displs], not ${describe(spec)}`,
    );
  }
  const arg = bufferArg(where, spec[0], argument);
  const counts = countsArg(where, spec[1], `${argument} counts`, size);
  let displs: number[];
  if (spec.length === 3 && spec[2] !== undefined && spec[2] !== null) {
    displs = countsArg(where, spec[2], `${argument} displs`, size);
  } else {
    displs = new Array(size);
    let at = 0;
    for (let i = 0; i < size; i++) {
      displs[i] = at;
      at += counts[i];
    }
  }
  const capacity = arg.bytes.length / arg.elementSize;
  for (let i = 0; i < size; i++) {
    if (displs[i] + counts[i] > capacity) {
      throw mpiError(
        ErrorCode.ERR_COUNT,
        `${where}: the block of rank ${i} in ${argument} (displacement ${displs[i]}, count ${
          counts[i]
        }) ends past ` +
          `the ${capacity} elements of the buffer`,
      );
    }
  }
  return {
    bytes: arg.bytes,
    elementSize: arg.elementSize,
    vector: arg.vector,
    starts: displs.map((displ) => displ * arg.elementSize),
    lengths: counts.map((count) => count * arg.elementSize),
  };
}

/**
 * Resolves a w-buffer argument of `Alltoallw` or `Neighbor_alltoallw`: `[buf, counts, displs, types]`, one
 * entry per rank (or neighbour: `per` names which, in errors), where block i is `counts[i]` elements of
 * `types[i]` at the byte displacement `displs[i]` of `buf`, as MPI's `MPI_Alltoallw` counts in the datatypes
 * and displaces in bytes. A type is a `Datatype` (`MPI.INT`, a committed vector, ...) or a typed array type
 * (such as `Float64Array`, for its basic datatype). Gives the blocks as byte offsets and lengths; a
 * non-contiguous block is packed into a staging buffer (see `resolveWBuffer`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wBufferArg } from "./buffer_args.ts";
 * const arg = wBufferArg("Alltoallw", [new ArrayBuffer(16), [2, 1], [0, 8], [Int32Array, Float64Array]], "sendbuf", 2);
 * assert.deepEqual([arg.starts, arg.lengths], [[0, 8], [8, 8]]);
 * ```
 */
export function wBufferArg(
  where: string,
  spec: unknown,
  argument: string,
  size: number,
  per = "rank",
): ResolvedVBuffer {
  if (!Array.isArray(spec) || spec.length !== 4) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} must be [buf, counts, displs, types], not ${describe(spec)}${
        Array.isArray(spec) ? ` of ${spec.length} items` : ""
      }`,
    );
  }
  const counts = countsArg(where, spec[1], `${argument} counts`, size, per);
  const displs = countsArg(where, spec[2], `${argument} displs`, size, per);
  const types = spec[3];
  if (!Array.isArray(types) || types.length !== size) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} types must be an array of ${size} datatypes (one per ${per}), not ${
        describe(types)
      }${Array.isArray(types) ? ` of ${types.length}` : ""}`,
    );
  }
  const layouts = types.map((type, i) => typeLayout(where, `${argument} types[${i}]`, type));
  const view = resolveWBuffer(spec[0], counts, displs, layouts, where, argument, per);
  return { bytes: view.bytes, elementSize: 1, vector: undefined, starts: view.starts, lengths: view.lengths };
}

/** The layout of a w-buffer type: a committed `Datatype`, or a typed array type as its basic datatype. */
function typeLayout(where: string, argument: string, type: unknown): Layout {
  if (type instanceof Datatype) {
    type.check(where, argument);
    return type.layout;
  }
  const elementSize = (type as { BYTES_PER_ELEMENT?: unknown } | null)?.BYTES_PER_ELEMENT;
  if (typeof type !== "function" || typeof elementSize !== "number") {
    throw mpiError(
      ErrorCode.ERR_TYPE,
      `${where}: ${argument} is ${
        describe(type)
      }, not a typed array type (such as Float64Array) or a datatype ` +
        `(such as MPI.DOUBLE)`,
    );
  }
  return basicLayout(elementSize, type as ElementClass);
}

/**
 * Checks a list of `size` integers >= 0, one per rank (or what `per` names: counts or displacements): an
 * array or a typed array. ERR_COUNT names the entry that is not a count, or the length that is not `size`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countsArg } from "./buffer_args.ts";
 * assert.deepEqual(countsArg("Reduce_scatter", [2, 0, 1], "recvcounts", 3), [2, 0, 1]);
 * ```
 */
export function countsArg(
  where: string,
  list: unknown,
  argument: string,
  size: number,
  per = "rank",
): number[] {
  if (!Array.isArray(list) && !(ArrayBuffer.isView(list) && !(list instanceof DataView))) {
    throw mpiError(ErrorCode.ERR_ARG, `${where}: ${argument} must be an array of ${size} integers`);
  }
  const values = Array.from(list as ArrayLike<unknown>);
  if (values.length !== size) {
    throw mpiError(
      ErrorCode.ERR_COUNT,
      `${where}: ${argument} has ${values.length} entries, expected one per ${per} (${size})`,
    );
  }
  values.forEach((value, i) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw mpiError(
        ErrorCode.ERR_COUNT,
        `${where}: ${argument}[${i}] is ${String(value)}, not a count >= 0`,
      );
    }
  });
  return values as number[];
}

/** Splits `arg` into `size` equal blocks; ERR_COUNT naming the sizes if it does not divide. */
export function equalBlocks(where: string, arg: ResolvedBuffer, argument: string, size: number): number {
  const elements = arg.bytes.length / arg.elementSize;
  if (elements % size !== 0) {
    throw mpiError(
      ErrorCode.ERR_COUNT,
      `${where}: ${argument} has ${elements} elements, not a multiple of the communicator size ${size}`,
    );
  }
  return arg.bytes.length / size;
}

/**
 * The error for a block of `actual` bytes arriving where `expected` fit: ERR_TRUNCATE if it is longer,
 * ERR_COUNT if shorter. `from` names the sender, `into` the receiving buffer.
 */
export function sizeMismatch(
  where: string,
  from: string,
  actual: number,
  expected: number,
  into: string,
): MPIError {
  if (actual > expected) {
    return mpiError(
      ErrorCode.ERR_TRUNCATE,
      `${where}: ${from} sent ${actual} bytes, more than the ${expected} bytes of ${into}`,
    );
  }
  return mpiError(
    ErrorCode.ERR_COUNT,
    `${where}: ${from} sent ${actual} bytes, but ${into} holds ${expected} bytes`,
  );
}

/**
 * Checks, before anything is sent, that `sent` bytes fit a room of `room` bytes exactly: ERR_TRUNCATE if they
 * are more, ERR_COUNT if fewer. The message reads `<where>: <sentWhat> has N bytes, but <roomWhat> holds M
 * bytes`.
 */
export function checkLocalSize(
  where: string,
  sentWhat: string,
  sent: number,
  room: number,
  roomWhat: string,
): void {
  if (sent === room) return;
  throw mpiError(
    sent > room ? ErrorCode.ERR_TRUNCATE : ErrorCode.ERR_COUNT,
    `${where}: ${sentWhat} has ${sent} bytes, but ${roomWhat} holds ${room} bytes`,
  );
}

/** Checks that two reduction buffers have the same element type. */
export function checkSameType(where: string, a: TypedArray, b: TypedArray, names: string): void {
  if (elementClass(a) !== elementClass(b)) {
    throw mpiError(
      ErrorCode.ERR_TYPE,
      `${where}: ${names} must have the same element type, got ${a.constructor.name} and ${b.constructor.name}`,
    );
  }
}

/** The constructor of a standard typed array class (see {@linkcode elementClass}). */
export type TypedArrayClass = {
  new (length: number): TypedArray;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
};

const ELEMENT_CLASSES: TypedArrayClass[] = [
  Float64Array,
  Float32Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8ClampedArray,
  Uint8Array,
  BigInt64Array,
  BigUint64Array,
  // Float16Array is not in every runtime yet.
  ...[(globalThis as unknown as Record<string, TypedArrayClass | undefined>).Float16Array].filter((c) =>
    c !== undefined
  ),
];

const classes = new Map<unknown, TypedArrayClass>();

/** The standard typed array class of `array` (a Node `Buffer` gives `Uint8Array`). */
export function elementClass(array: TypedArray): TypedArrayClass {
  let found = classes.get(array.constructor);
  if (found === undefined) {
    found = ELEMENT_CLASSES.find((candidate) => array instanceof candidate) ?? Uint8Array;
    classes.set(array.constructor, found);
  }
  return found;
}

/** `bytes` seen as elements of `like`'s type (same memory). `bytes` must be aligned, as user buffers are. */
export function typedOver(bytes: Uint8Array, like: TypedArray): TypedArray {
  return new (elementClass(like))(bytes.buffer, bytes.byteOffset, bytes.length / like.BYTES_PER_ELEMENT);
}

/**
 * Received `bytes` as elements of `like`'s type, for a reduction: a view when aligned (large messages
 * always are), else an aligned copy.
 */
export function receivedVector(bytes: Uint8Array, like: TypedArray): TypedArray {
  if (bytes.byteOffset % like.BYTES_PER_ELEMENT === 0) return typedOver(bytes, like);
  return typedOver(new Uint8Array(bytes), like);
}

/** A fresh typed array of `source`'s type holding a copy of its elements. */
export function copyVector(source: TypedArray): TypedArray {
  const copy = new (elementClass(source))(source.length);
  setVector(copy, source);
  return copy;
}

/** Copies the elements of `source` into `target` (same type and length), byte for byte. */
export function setVector(target: TypedArray, source: TypedArray): void {
  // Between arrays of one type, `set` copies the bytes as they are (NaN payloads included), with no views.
  (target as unknown as { set(source: TypedArray): void }).set(source);
}
