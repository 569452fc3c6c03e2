/**
 * Bytes -> value: the MessagePack decoder of codec.ts, an index cursor over the input that checks every
 * length before it reads. Pure: no I/O.
 *
 * @module
 */

import { ErrorCode, type MPIError, mpiError } from "../errors.ts";
import { MAX_VALUE_DEPTH } from "./limits.ts";
import {
  ARRAY_BUFFER_CODE,
  EXT_BIGINT,
  EXT_MAP,
  EXT_SET,
  EXT_TIMESTAMP,
  EXT_TYPED_ARRAY,
  EXT_UNDEFINED,
  LITTLE_ENDIAN,
  SHORT_STRING,
  swapElements,
  TYPED_ARRAYS,
} from "./codec_types.ts";

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------------------------------------------------
// Decoding: an index cursor over the input.

const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let pos = 0;
let end = 0;
/** A view over an input longer than {@linkcode SMALL_INPUT}, made when its first float64 is read. */
let srcView: DataView | undefined;

/**
 * Decodes one MessagePack value that fills `bytes` exactly. Typed arrays and byte strings come back as fresh,
 * properly aligned copies of the same type; they never share memory with `bytes`.
 *
 * Throws `MPIError` with `ErrorCode.ERR_TYPE` (`decode: ...`) on malformed or truncated input and on
 * trailing bytes after the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeValue, encodeValue } from "./codec.ts";
 * const map = decodeValue(encodeValue(new Map([[1, "one"]]))) as Map<number, string>;
 * assert.equal(map.get(1), "one");
 * ```
 */
export function decodeValue(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw mpiError(ErrorCode.ERR_TYPE, `decode: expected a Uint8Array, got ${describe(bytes)}`);
  }
  src = bytes;
  srcView = undefined;
  pos = 0;
  end = bytes.length;
  try {
    const value = readAny(0);
    if (pos !== end) throw trailing(end);
    return value;
  } finally {
    src = EMPTY;
    srcView = undefined;
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  return Object.getPrototypeOf(value)?.constructor?.name ?? "an object";
}

function malformed(detail: string): MPIError {
  return mpiError(ErrorCode.ERR_TYPE, `decode: ${detail}`);
}

function truncated(): MPIError {
  return malformed(`input ends at offset ${end} in the middle of a value`);
}

function trailing(stop: number): MPIError {
  const extra = stop - pos;
  return malformed(`${extra} trailing byte${extra === 1 ? "" : "s"} after the value at offset ${pos}`);
}

function need(bytes: number): void {
  if (pos + bytes > end) throw truncated();
}

/**
 * Inputs up to this many bytes read float64s by copying their bytes into {@linkcode numberBytes}: cheaper
 * than making a DataView over the input, which larger inputs, likely to hold many floats, do. Float32s and
 * bigints, rarer, always take the copy.
 */
const SMALL_INPUT = 128;
const numberBytes = new Uint8Array(8);
const float64 = new Float64Array(numberBytes.buffer);
const float32 = new Float32Array(numberBytes.buffer, 0, 1);
const bigInt64 = new BigInt64Array(numberBytes.buffer);
const bigUint64 = new BigUint64Array(numberBytes.buffer);

/** Loads `length` (4 or 8) big-endian bytes at the cursor into {@linkcode numberBytes}, in host order. */
function load(length: 4 | 8): void {
  need(length);
  const p = pos;
  const b = numberBytes;
  if (!LITTLE_ENDIAN) {
    b.set(src.subarray(p, p + length));
  } else if (length === 8) {
    b[0] = src[p + 7];
    b[1] = src[p + 6];
    b[2] = src[p + 5];
    b[3] = src[p + 4];
    b[4] = src[p + 3];
    b[5] = src[p + 2];
    b[6] = src[p + 1];
    b[7] = src[p];
  } else {
    b[0] = src[p + 3];
    b[1] = src[p + 2];
    b[2] = src[p + 1];
    b[3] = src[p];
  }
  pos = p + length;
}

function readFloat64(): number {
  if (src.length > SMALL_INPUT) {
    need(8);
    const value = (srcView ??= new DataView(src.buffer, src.byteOffset, src.byteLength)).getFloat64(pos);
    pos += 8;
    return value;
  }
  load(8);
  return float64[0];
}

function readU8(): number {
  need(1);
  return src[pos++];
}

function readU16(): number {
  need(2);
  const value = (src[pos] << 8) | src[pos + 1];
  pos += 2;
  return value;
}

function readU32(): number {
  need(4);
  const value = u32At(pos);
  pos += 4;
  return value;
}

function u32At(p: number): number {
  return src[p] * 0x1000000 + ((src[p + 1] << 16) | (src[p + 2] << 8) | src[p + 3]);
}

function readAny(depth: number): unknown {
  if (pos >= end) throw truncated();
  const byte = src[pos++];
  if (byte < 0x80) return byte;
  if (byte >= 0xe0) return byte - 0x100;
  if (byte < 0x90) return readObject(byte & 0x0f, depth);
  if (byte < 0xa0) return readArray(byte & 0x0f, depth);
  if (byte < 0xc0) return readString(byte & 0x1f);
  switch (byte) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xc4:
      return readBin(readU8());
    case 0xc5:
      return readBin(readU16());
    case 0xc6:
      return readBin(readU32());
    case 0xc7:
      return readExt(readU8(), depth);
    case 0xc8:
      return readExt(readU16(), depth);
    case 0xc9:
      return readExt(readU32(), depth);
    case 0xca:
      load(4);
      return float32[0];
    case 0xcb:
      return readFloat64();
    case 0xcc:
      return readU8();
    case 0xcd:
      return readU16();
    case 0xce:
      return readU32();
    case 0xcf:
      load(8);
      return bigUint64[0];
    case 0xd0:
      return (readU8() << 24) >> 24;
    case 0xd1:
      return (readU16() << 16) >> 16;
    case 0xd2:
      return readU32() | 0;
    case 0xd3:
      load(8);
      return bigInt64[0];
    case 0xd4:
      return readExt(1, depth);
    case 0xd5:
      return readExt(2, depth);
    case 0xd6:
      return readExt(4, depth);
    case 0xd7:
      return readExt(8, depth);
    case 0xd8:
      return readExt(16, depth);
    case 0xd9:
      return readString(readU8());
    case 0xda:
      return readString(readU16());
    case 0xdb:
      return readString(readU32());
    case 0xdc:
      return readArray(readU16(), depth);
    case 0xdd:
      return readArray(readU32(), depth);
    case 0xde:
      return readObject(readU16(), depth);
    case 0xdf:
      return readObject(readU32(), depth);
  }
  throw malformed(`byte 0xc1 at offset ${pos - 1} is not a MessagePack value`);
}

/** Checks a container header at nesting `depth` that claims `count` values, each at least one byte. */
function enter(depth: number, count: number): void {
  if (depth >= MAX_VALUE_DEPTH) {
    throw malformed(`value at offset ${pos} is nested deeper than ${MAX_VALUE_DEPTH} levels`);
  }
  if (count > end - pos) throw truncated();
}

function readArray(length: number, depth: number): unknown[] {
  enter(depth, length);
  const array = new Array(length);
  for (let i = 0; i < length; i++) array[i] = readAny(depth + 1);
  return array;
}

function readObject(size: number, depth: number): Record<string, unknown> {
  enter(depth, 2 * size);
  const object: Record<string, unknown> = {};
  for (let i = 0; i < size; i++) {
    const key = readKey(depth + 1);
    const value = readAny(depth + 1);
    if (key === "__proto__") {
      Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
    } else {
      object[key] = value;
    }
  }
  return object;
}

function readKey(depth: number): string {
  const offset = pos;
  if (offset < end && (src[offset] & 0xe0) === 0xa0) {
    pos++;
    return readString(src[offset] & 0x1f);
  }
  const key = readAny(depth);
  if (typeof key === "string") return key;
  if (typeof key === "number") return String(key);
  throw malformed(`map key at offset ${offset} is not a string (decode a Map from its extension instead)`);
}

function readString(length: number): string {
  need(length);
  const start = pos;
  if (length < SHORT_STRING) {
    let text = "";
    for (let i = start, stop = start + length; i < stop; i++) {
      const c = src[i];
      if (c >= 0x80) return readUtf8(start, length);
      text += String.fromCharCode(c);
    }
    pos += length;
    return text;
  }
  return readUtf8(start, length);
}

function readUtf8(start: number, length: number): string {
  pos = start + length;
  try {
    return utf8Decoder.decode(src.subarray(start, pos));
  } catch {
    throw malformed(`string at offset ${start} is not valid UTF-8`);
  }
}

/** A fresh copy of `length` bytes from the cursor (never `slice`: on a Node Buffer it would share memory). */
function copyBytes(start: number, length: number): Uint8Array<ArrayBuffer> {
  const copy = new Uint8Array(length);
  copy.set(src.subarray(start, start + length));
  return copy;
}

function readBin(length: number): Uint8Array {
  need(length);
  const bytes = copyBytes(pos, length);
  pos += length;
  return bytes;
}

function readExt(length: number, depth: number): unknown {
  need(1 + length);
  const type = (src[pos] << 24) >> 24;
  const start = pos + 1;
  const stop = start + length;
  pos = stop;
  switch (type) {
    case EXT_UNDEFINED:
      if (length === 1 && src[start] === 0) return undefined;
      break;
    case EXT_TIMESTAMP:
      return readTimestamp(start, length);
    case EXT_TYPED_ARRAY:
      return readTypedArray(start, length);
    case EXT_BIGINT:
      if (length > 0) return readBigInt(start, length);
      break;
    case EXT_MAP:
    case EXT_SET: {
      const outer = end;
      pos = start;
      end = stop;
      const value = type === EXT_MAP ? readMap(depth) : readSet(depth);
      if (pos !== stop) throw trailing(stop);
      end = outer;
      return value;
    }
    default:
      throw malformed(`extension type ${type} at offset ${start - 1} is not one this codec reads`);
  }
  throw malformed(`extension type ${type} at offset ${start - 1} has a malformed payload of ${length} bytes`);
}

function readMap(depth: number): Map<unknown, unknown> {
  const byte = readU8();
  const size = byte >= 0x80 && byte < 0x90
    ? byte & 0x0f
    : byte === 0xde
    ? readU16()
    : byte === 0xdf
    ? readU32()
    : -1;
  if (size < 0) throw malformed(`Map extension at offset ${pos - 1} does not hold a map`);
  enter(depth, 2 * size);
  const map = new Map<unknown, unknown>();
  for (let i = 0; i < size; i++) {
    const key = readAny(depth + 1);
    map.set(key, readAny(depth + 1));
  }
  return map;
}

function readSet(depth: number): Set<unknown> {
  const byte = readU8();
  const size = byte >= 0x90 && byte < 0xa0
    ? byte & 0x0f
    : byte === 0xdc
    ? readU16()
    : byte === 0xdd
    ? readU32()
    : -1;
  if (size < 0) throw malformed(`Set extension at offset ${pos - 1} does not hold an array`);
  enter(depth, size);
  const set = new Set<unknown>();
  for (let i = 0; i < size; i++) set.add(readAny(depth + 1));
  return set;
}

function readTimestamp(start: number, length: number): Date {
  let seconds: number;
  let nanoseconds = 0;
  switch (length) {
    case 1:
      if (src[start] === 0xff) return new Date(NaN);
      throw malformed(`timestamp at offset ${start - 1} has a malformed payload of 1 byte`);
    case 4:
      seconds = u32At(start);
      break;
    case 8: {
      const high = u32At(start);
      nanoseconds = Math.floor(high / 4);
      seconds = (high % 4) * 2 ** 32 + u32At(start + 4);
      break;
    }
    case 12:
      nanoseconds = u32At(start);
      seconds = (u32At(start + 4) | 0) * 2 ** 32 + u32At(start + 8);
      break;
    default:
      throw malformed(`timestamp at offset ${start - 1} has a malformed payload of ${length} bytes`);
  }
  if (nanoseconds >= 1e9) {
    throw malformed(`timestamp at offset ${start - 1} has ${nanoseconds} nanoseconds, more than a second`);
  }
  return new Date(seconds * 1000 + nanoseconds / 1e6);
}

function readTypedArray(start: number, length: number): ArrayBuffer | ArrayBufferView {
  const code = length > 0 ? src[start] : -1;
  const bytes = length - 1;
  if (code === ARRAY_BUFFER_CODE) return copyBytes(start + 1, bytes).buffer;
  const constructor = TYPED_ARRAYS[code];
  if (constructor === undefined) {
    throw malformed(`typed array at offset ${start - 1} has unknown element type ${code}`);
  }
  const size = constructor.BYTES_PER_ELEMENT;
  if (bytes % size !== 0) {
    throw malformed(`typed array at offset ${start - 1} has ${bytes} bytes, not a multiple of ${size}`);
  }
  const copy = copyBytes(start + 1, bytes);
  if (!LITTLE_ENDIAN && size > 1) swapElements(copy, 0, bytes, size);
  return new constructor(copy.buffer);
}

function readBigInt(start: number, length: number): bigint {
  const flip = src[start] & 0x80 ? 0xff : 0;
  let hex = "0x";
  for (let i = start, stop = start + length; i < stop; i++) hex += HEX[src[i] ^ flip];
  const magnitude = BigInt(hex);
  return flip ? -magnitude - 1n : magnitude;
}
