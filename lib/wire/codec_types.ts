/**
 * What the encoder (encode.ts) and the decoder (decode.ts) agree on: the extension type bytes, the typed-array
 * codes and the byte order of typed arrays on the wire. See codec.ts for the format.
 *
 * @module
 */

/** Date: MessagePack's own timestamp extension. */
export const EXT_TIMESTAMP = -1;
/** undefined (and array holes), as msgpackr and notepack write it. */
export const EXT_UNDEFINED = 0x00;
/** A bigint beyond 64 bits (msgpackr's layout). */
export const EXT_BIGINT = 0x42;
/** Map: one MessagePack map whose keys may be of any type. */
export const EXT_MAP = 0x4d;
/** Set: one MessagePack array. */
export const EXT_SET = 0x53;
/** A typed array or ArrayBuffer: a code byte, then the raw little-endian bytes (msgpackr's layout). */
export const EXT_TYPED_ARRAY = 0x74;
/** The code byte of an ArrayBuffer inside the typed-array extension (msgpackr's). */
export const ARRAY_BUFFER_CODE = 16;

/** Strings shorter than this many UTF-16 units (or bytes, on decode) skip TextEncoder/TextDecoder. */
export const SHORT_STRING = 64;

/** The constructors in {@linkcode TYPED_ARRAYS}. */
export interface TypedArrayConstructor {
  new (buffer: ArrayBuffer): ArrayBufferView;
  readonly BYTES_PER_ELEMENT: number;
}

const float16Array = (globalThis as { Float16Array?: TypedArrayConstructor }).Float16Array;

/** Indexed by the code byte of the typed-array extension. */
export const TYPED_ARRAYS: readonly (TypedArrayConstructor | undefined)[] = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  float16Array,
];

/** Typed arrays travel little-endian; a big-endian host swaps each element on the way in and out. */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of each element of `size` bytes in `bytes[start, end)`: host order <-> little-endian. */
export function swapElements(bytes: Uint8Array, start: number, end: number, size: number): void {
  for (let i = start; i < end; i += size) bytes.subarray(i, i + size).reverse();
}
