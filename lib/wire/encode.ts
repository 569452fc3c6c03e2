/**
 * Value -> bytes: the MessagePack encoder of codec.ts, with the send-side validation that names the path to
 * what it refuses. Pure: no I/O.
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
  EXT_TYPED_ARRAY,
  EXT_UNDEFINED,
  LITTLE_ENDIAN,
  SHORT_STRING,
  swapElements,
  TYPED_ARRAYS,
} from "./codec_types.ts";

/** Options of {@linkcode encodeValue}. */
export interface EncodeOptions {
  /** The call named in error messages, e.g. `"send"` gives `send: value.a is a function, ...`. */
  where?: string;
  /** Bytes left free (zeroed) at the start of the result, for a frame header. Defaults to 0. */
  headroom?: number;
}

const INITIAL_SCRATCH = 8 * 1024;
/** A scratch buffer grown past this by one big message is dropped afterwards instead of kept for good. */
const MAX_KEPT_SCRATCH = 4 * 1024 * 1024;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** From a typed array's kind (its `Symbol.toStringTag`, such as `"Float64Array"`) to its code byte. */
const TYPED_ARRAY_CODES = new Map(
  TYPED_ARRAYS.flatMap((constructor, code) => constructor ? [[constructor.name, code] as const] : []),
);

/** `%TypedArray%.prototype[Symbol.toStringTag]`: a typed array's kind (subclasses too), else undefined. */
const typedArrayTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
)?.get as (this: unknown) => string | undefined;

const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------------------
// Encoding: one scratch buffer, reused across calls, written directly.

let out = new Uint8Array(INITIAL_SCRATCH);
let outView = new DataView(out.buffer);
let at = 0;
let encoding = false;

/** Thrown inside the encoder at a value it cannot send; {@linkcode encodeValue} makes it an MPIError. */
class Refusal {
  constructor(readonly target: unknown) {}
}
/** Thrown inside the encoder at an item longer than MessagePack's 32-bit lengths can say (4 GiB - 1 bytes). */
class TooLong {
  constructor(readonly bytes: number) {}
}

/** Throws {@linkcode TooLong} unless `bytes` fits a MessagePack 32-bit length: never cut a length. */
function checkLength32(bytes: number): void {
  if (bytes > 0xffff_ffff) throw new TooLong(bytes);
}

/** The target of a {@linkcode Refusal} for nesting past {@linkcode MAX_VALUE_DEPTH}. */
const TOO_DEEP = {};

/**
 * Validates and encodes `value` as MessagePack. The first `headroom` bytes of the result are left free
 * (zeroed) for a frame header. Returns a fresh Uint8Array the caller owns.
 *
 * Refuses (with `ErrorCode.ERR_TYPE`, naming the path inside the value) functions, symbols, class instances
 * other than Date, Map, Set, typed arrays and ArrayBuffer, and cycles or nesting deeper than
 * `MAX_VALUE_DEPTH` (512) levels.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeValue, encodeValue } from "./codec.ts";
 * const bytes = encodeValue({ step: 3, grid: new Float64Array([0.5, 1.5]) }, { headroom: 32 });
 * const value = decodeValue(bytes.subarray(32)) as { step: number; grid: Float64Array };
 * assert.equal(value.grid[1], 1.5);
 * ```
 *
 * @example Refusal
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeValue } from "./codec.ts";
 * assert.throws(
 *   () => encodeValue({ a: [0, 1, 2, () => 3] }, { where: "send" }),
 *   { message: "send: value.a[3] is a function, which cannot be sent" },
 * );
 * ```
 */
export function encodeValue(value: unknown, options?: EncodeOptions): Uint8Array {
  const headroom = options?.headroom ?? 0;
  if (!Number.isSafeInteger(headroom) || headroom < 0) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${options?.where ?? "encode"}: headroom must be a non-negative integer, got ${headroom}`,
    );
  }
  // A getter may call encodeValue while we encode: it gets a scratch buffer of its own.
  const nested = encoding;
  const outerOut = out, outerView = outView, outerAt = at;
  if (nested) {
    out = new Uint8Array(INITIAL_SCRATCH);
    outView = new DataView(out.buffer);
  }
  encoding = true;
  try {
    at = 0;
    reserve(headroom);
    out.fill(0, 0, headroom);
    at = headroom;
    writeAny(value, 0);
    return out.slice(0, at);
  } catch (error) {
    if (error instanceof Refusal) throw refusalError(value, error.target, options?.where ?? "encode");
    if (error instanceof TooLong) {
      throw mpiError(
        ErrorCode.ERR_COUNT,
        `${options?.where ?? "encode"}: value holds an item of ${error.bytes} bytes, more than the ` +
          `4294967295 that MessagePack can carry in one item: send it as a buffer (Send) instead`,
      );
    }
    throw error;
  } finally {
    if (nested) {
      out = outerOut;
      outView = outerView;
      at = outerAt;
    } else {
      encoding = false;
      if (out.length > MAX_KEPT_SCRATCH) {
        out = new Uint8Array(INITIAL_SCRATCH);
        outView = new DataView(out.buffer);
      }
    }
  }
}

function reserve(bytes: number): void {
  if (at + bytes > out.length) {
    const grown = new Uint8Array(Math.max(at + bytes, out.length * 2));
    grown.set(out.subarray(0, at));
    out = grown;
    outView = new DataView(grown.buffer);
  }
}

function writeAny(value: unknown, depth: number): void {
  switch (typeof value) {
    case "number":
      return writeNumber(value);
    case "string":
      return writeString(value);
    case "object":
      if (value === null) {
        reserve(1);
        out[at++] = 0xc0;
        return;
      }
      return writeObject(value, depth);
    case "boolean":
      reserve(1);
      out[at++] = value ? 0xc3 : 0xc2;
      return;
    case "undefined":
      reserve(3);
      out[at++] = 0xd4;
      out[at++] = EXT_UNDEFINED;
      out[at++] = 0;
      return;
    case "bigint":
      return writeBigInt(value);
    default:
      throw new Refusal(value);
  }
}

function writeNumber(value: number): void {
  reserve(9);
  if ((value | 0) === value && (value !== 0 || 1 / value > 0)) {
    if (value >= 0) {
      if (value < 0x80) {
        out[at++] = value;
      } else if (value < 0x100) {
        out[at++] = 0xcc;
        out[at++] = value;
      } else if (value < 0x10000) {
        out[at++] = 0xcd;
        out[at++] = value >> 8;
        out[at++] = value;
      } else {
        out[at++] = 0xce;
        outView.setUint32(at, value);
        at += 4;
      }
    } else if (value >= -0x20) {
      out[at++] = value;
    } else if (value >= -0x80) {
      out[at++] = 0xd0;
      out[at++] = value;
    } else if (value >= -0x8000) {
      out[at++] = 0xd1;
      out[at++] = value >> 8;
      out[at++] = value;
    } else {
      out[at++] = 0xd2;
      outView.setInt32(at, value);
      at += 4;
    }
  } else if (value >>> 0 === value && value > 0) {
    out[at++] = 0xce;
    outView.setUint32(at, value);
    at += 4;
  } else {
    out[at++] = 0xcb;
    outView.setFloat64(at, value);
    at += 8;
  }
}

function writeString(value: string): void {
  const length = value.length;
  reserve(5 + 3 * length);
  // The header is sized for an all-ASCII string; a longer UTF-8 form moves the bytes to fit a bigger one.
  const guess = length < 0x20 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
  const start = at + guess;
  let bytes: number;
  if (length < SHORT_STRING) {
    let p = start;
    for (let i = 0; i < length; i++) {
      let c = value.charCodeAt(i);
      if (c < 0x80) {
        out[p++] = c;
      } else if (c < 0x800) {
        out[p++] = 0xc0 | (c >> 6);
        out[p++] = 0x80 | (c & 0x3f);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) {
          const next = i + 1 < length ? value.charCodeAt(i + 1) : 0;
          if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
            c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
            i++;
            out[p++] = 0xf0 | (c >> 18);
            out[p++] = 0x80 | ((c >> 12) & 0x3f);
            out[p++] = 0x80 | ((c >> 6) & 0x3f);
            out[p++] = 0x80 | (c & 0x3f);
            continue;
          }
          c = 0xfffd; // a lone surrogate, as TextEncoder does
        }
        out[p++] = 0xe0 | (c >> 12);
        out[p++] = 0x80 | ((c >> 6) & 0x3f);
        out[p++] = 0x80 | (c & 0x3f);
      }
    }
    bytes = p - start;
  } else {
    bytes = utf8Encoder.encodeInto(value, out.subarray(start)).written;
  }
  const header = bytes < 0x20 ? 1 : bytes < 0x100 ? 2 : bytes < 0x10000 ? 3 : 5;
  if (header !== guess) out.copyWithin(at + header, start, start + bytes);
  if (header === 1) {
    out[at++] = 0xa0 | bytes;
  } else if (header === 2) {
    out[at++] = 0xd9;
    out[at++] = bytes;
  } else if (header === 3) {
    out[at++] = 0xda;
    out[at++] = bytes >> 8;
    out[at++] = bytes;
  } else {
    checkLength32(bytes);
    out[at++] = 0xdb;
    outView.setUint32(at, bytes);
    at += 4;
  }
  at += bytes;
}

/** Writes an array (`fix` 0x90, `wide` 0xdc) or map (0x80, 0xde) header; `wide + 1` is the 32-bit form. */
function writeCount(count: number, fix: number, wide: number): void {
  reserve(5);
  if (count < 16) {
    out[at++] = fix | count;
  } else if (count < 0x10000) {
    out[at++] = wide;
    out[at++] = count >> 8;
    out[at++] = count;
  } else {
    out[at++] = wide + 1;
    outView.setUint32(at, count);
    at += 4;
  }
}

function writeObject(value: object, depth: number): void {
  if (Array.isArray(value)) return writeArray(value, depth);
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    return writePlain(value as Record<string, unknown>, depth);
  }
  const tag = typedArrayTag.call(value);
  if (tag !== undefined) return writeTypedArray(value as ArrayBufferView, tag);
  if (value instanceof Date) return writeDate(value);
  if (value instanceof Map) return writeMap(value, depth);
  if (value instanceof Set) return writeSet(value, depth);
  if (value instanceof ArrayBuffer) {
    return writeRawExt(ARRAY_BUFFER_CODE, new Uint8Array(value), 1);
  }
  throw new Refusal(value);
}

function writeArray(value: readonly unknown[], depth: number): void {
  if (depth >= MAX_VALUE_DEPTH) throw new Refusal(TOO_DEEP);
  const length = value.length;
  writeCount(length, 0x90, 0xdc);
  for (let i = 0; i < length; i++) writeAny(value[i], depth + 1);
}

function writePlain(value: Record<string, unknown>, depth: number): void {
  if (depth >= MAX_VALUE_DEPTH) throw new Refusal(TOO_DEEP);
  const keys = Object.keys(value);
  const length = keys.length;
  writeCount(length, 0x80, 0xde);
  for (let i = 0; i < length; i++) {
    const key = keys[i];
    writeString(key);
    writeAny(value[key], depth + 1);
  }
}

/** Reserves the widest extension header (ext 32); {@linkcode endExt} writes the fitting one. */
function beginExt(): number {
  reserve(6);
  const start = at;
  at += 6;
  return start;
}

function endExt(start: number, type: number): void {
  const length = at - start - 6;
  const header = extHeaderSize(length);
  if (header !== 6) out.copyWithin(start + header, start + 6, at);
  at = start;
  writeExtHeader(type, length);
  at += length;
}

function extHeaderSize(length: number): number {
  switch (length) {
    case 1:
    case 2:
    case 4:
    case 8:
    case 16:
      return 2;
  }
  return length < 0x100 ? 3 : length < 0x10000 ? 4 : 6;
}

/** Writes an extension header; the caller has reserved room for it. */
function writeExtHeader(type: number, length: number): void {
  switch (length) {
    case 1:
      out[at++] = 0xd4;
      break;
    case 2:
      out[at++] = 0xd5;
      break;
    case 4:
      out[at++] = 0xd6;
      break;
    case 8:
      out[at++] = 0xd7;
      break;
    case 16:
      out[at++] = 0xd8;
      break;
    default:
      if (length < 0x100) {
        out[at++] = 0xc7;
        out[at++] = length;
      } else if (length < 0x10000) {
        out[at++] = 0xc8;
        out[at++] = length >> 8;
        out[at++] = length;
      } else {
        checkLength32(length);
        out[at++] = 0xc9;
        outView.setUint32(at, length);
        at += 4;
      }
  }
  out[at++] = type;
}

function writeMap(value: Map<unknown, unknown>, depth: number): void {
  if (depth >= MAX_VALUE_DEPTH) throw new Refusal(TOO_DEEP);
  const start = beginExt();
  const size = value.size;
  writeCount(size, 0x80, 0xde);
  let written = 0;
  for (const [key, item] of value) {
    if (written === size) break;
    writeAny(key, depth + 1);
    writeAny(item, depth + 1);
    written++;
  }
  if (written !== size) throw changedWhileEncoding("Map");
  endExt(start, EXT_MAP);
}

function writeSet(value: Set<unknown>, depth: number): void {
  if (depth >= MAX_VALUE_DEPTH) throw new Refusal(TOO_DEEP);
  const start = beginExt();
  const size = value.size;
  writeCount(size, 0x90, 0xdc);
  let written = 0;
  for (const item of value) {
    if (written === size) break;
    writeAny(item, depth + 1);
    written++;
  }
  if (written !== size) throw changedWhileEncoding("Set");
  endExt(start, EXT_SET);
}

function changedWhileEncoding(kind: string): MPIError {
  return mpiError(ErrorCode.ERR_TYPE, `encode: a ${kind} shrank while it was being encoded`);
}

function writeTypedArray(view: ArrayBufferView, tag: string): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  // Before anything is reserved: an item MessagePack cannot carry is refused, not allocated.
  checkLength32(bytes.length + (tag === "Uint8Array" ? 0 : 1));
  if (tag === "Uint8Array") {
    const length = bytes.length;
    reserve(5 + length);
    if (length < 0x100) {
      out[at++] = 0xc4;
      out[at++] = length;
    } else if (length < 0x10000) {
      out[at++] = 0xc5;
      out[at++] = length >> 8;
      out[at++] = length;
    } else {
      checkLength32(length);
      out[at++] = 0xc6;
      outView.setUint32(at, length);
      at += 4;
    }
    out.set(bytes, at);
    at += length;
    return;
  }
  const code = TYPED_ARRAY_CODES.get(tag);
  if (code === undefined) throw new Refusal(view);
  writeRawExt(code, bytes, TYPED_ARRAYS[code]!.BYTES_PER_ELEMENT);
}

/** The typed-array extension: a code byte, then `bytes` little-endian in elements of `size` bytes. */
function writeRawExt(code: number, bytes: Uint8Array, size: number): void {
  const length = bytes.length;
  reserve(7 + length);
  writeExtHeader(EXT_TYPED_ARRAY, length + 1);
  out[at++] = code;
  out.set(bytes, at);
  if (!LITTLE_ENDIAN && size > 1) swapElements(out, at, at + length, size);
  at += length;
}

function writeDate(value: Date): void {
  const time = value.getTime();
  reserve(15);
  if (time !== time) {
    out[at++] = 0xd4;
    out[at++] = 0xff;
    out[at++] = 0xff;
    return;
  }
  const seconds = Math.floor(time / 1000);
  const nanoseconds = (time - seconds * 1000) * 1e6;
  if (seconds >= 0 && seconds < 2 ** 34) {
    if (nanoseconds === 0 && seconds < 2 ** 32) {
      out[at++] = 0xd6;
      out[at++] = 0xff;
      outView.setUint32(at, seconds);
      at += 4;
    } else {
      out[at++] = 0xd7;
      out[at++] = 0xff;
      const high = Math.floor(seconds / 2 ** 32);
      outView.setUint32(at, nanoseconds * 4 + high);
      outView.setUint32(at + 4, seconds - high * 2 ** 32);
      at += 8;
    }
  } else {
    out[at++] = 0xc7;
    out[at++] = 12;
    out[at++] = 0xff;
    const high = Math.floor(seconds / 2 ** 32);
    outView.setUint32(at, nanoseconds);
    outView.setInt32(at + 4, high);
    outView.setUint32(at + 8, seconds - high * 2 ** 32);
    at += 12;
  }
}

function writeBigInt(value: bigint): void {
  if (value >= INT64_MIN && value <= UINT64_MAX) {
    reserve(9);
    if (value <= INT64_MAX) {
      out[at++] = 0xd3;
      outView.setBigInt64(at, value);
    } else {
      out[at++] = 0xcf;
      outView.setBigUint64(at, value);
    }
    at += 8;
    return;
  }
  // Two's complement: a negative value is the bitwise NOT of its magnitude minus one.
  const negative = value < 0n;
  let hex = (negative ? -value - 1n : value).toString(16);
  if (hex.length & 1) hex = "0" + hex;
  if (hex.charCodeAt(0) >= 0x38) hex = "00" + hex; // top bit set: add a sign byte
  const length = hex.length >> 1;
  const flip = negative ? 0xff : 0;
  reserve(6 + length);
  writeExtHeader(EXT_BIGINT, length);
  for (let i = 0; i < length; i++) {
    out[at++] = ((hexDigit(hex.charCodeAt(2 * i)) << 4) | hexDigit(hex.charCodeAt(2 * i + 1))) ^ flip;
  }
}

function hexDigit(code: number): number {
  return code < 0x3a ? code - 0x30 : code - 0x57;
}

// ---------------------------------------------------------------------------------------------------------
// Refusals: the encoder only notes what it refused; this slow path walks the value again, in the same order,
// to name where it is.

function refusalError(root: unknown, target: unknown, where: string): MPIError {
  const problem = locate(root, target, ["value"], []) ??
    (target === TOO_DEEP
      ? `value is nested deeper than ${MAX_VALUE_DEPTH} levels, which cannot be sent`
      : `value holds something that ${refusalReason(target)}`);
  return mpiError(ErrorCode.ERR_TYPE, `${where}: ${problem}`);
}

/** Finds the first cycle, over-deep container or `target` in encoding order; returns the message tail. */
function locate(node: unknown, target: unknown, path: string[], ancestors: unknown[]): string | undefined {
  const container = typeof node === "object" && node !== null &&
    (Array.isArray(node) || isPlain(node) || node instanceof Map || node instanceof Set);
  if (!container) {
    return node === target ? `${formatPath(path)} ${refusalReason(node)}` : undefined;
  }
  const back = ancestors.indexOf(node);
  if (back >= 0) {
    return `${formatPath(path)} is a cycle back to ${
      formatPath(path.slice(0, back + 1))
    }, which cannot be sent`;
  }
  if (ancestors.length >= MAX_VALUE_DEPTH) {
    return `${formatPath(path)} is nested deeper than ${MAX_VALUE_DEPTH} levels, which cannot be sent`;
  }
  ancestors.push(node);
  let found: string | undefined;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length && found === undefined; i++) {
      found = locateIn(node[i], `[${i}]`, target, path, ancestors);
    }
  } else if (node instanceof Map) {
    for (const [key, item] of node) {
      found = locateIn(key, "<map key>", target, path, ancestors) ??
        locateIn(item, `.get(${formatKey(key)})`, target, path, ancestors);
      if (found !== undefined) break;
    }
  } else if (node instanceof Set) {
    for (const item of node) {
      found = locateIn(item, "<set element>", target, path, ancestors);
      if (found !== undefined) break;
    }
  } else {
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const step = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      found = locateIn(record[key], step, target, path, ancestors);
      if (found !== undefined) break;
    }
  }
  ancestors.pop();
  return found;
}

function locateIn(
  node: unknown,
  step: string,
  target: unknown,
  path: string[],
  ancestors: unknown[],
): string | undefined {
  path.push(step);
  const found = locate(node, target, path, ancestors);
  path.pop();
  return found;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function formatKey(key: unknown): string {
  switch (typeof key) {
    case "string":
      return key.length <= 40 ? JSON.stringify(key) : "<map key>";
    case "number":
    case "boolean":
    case "undefined":
      return String(key);
    case "bigint":
      return `${key}n`;
  }
  return key === null ? "null" : "<map key>";
}

/** A path of hundreds of steps (a cycle found late, deep nesting) keeps its start and end. */
function formatPath(path: readonly string[]): string {
  return path.length <= 16 ? path.join("") : `${path.slice(0, 9).join("")}...${path.slice(-6).join("")}`;
}

function refusalReason(value: unknown): string {
  if (typeof value === "function") return "is a function, which cannot be sent";
  if (typeof value === "symbol") return "is a symbol, which cannot be sent";
  if (value instanceof DataView) {
    return "is a DataView, which cannot be sent (send a typed array or its ArrayBuffer instead)";
  }
  if (value instanceof Promise) return "is a Promise, which cannot be sent (await it first)";
  const proto = typeof value === "object" && value !== null ? Object.getPrototypeOf(value) : null;
  const constructor = proto === null
    ? undefined
    : Object.getOwnPropertyDescriptor(proto, "constructor")?.value;
  const name = typeof constructor === "function" ? constructor.name : "";
  return name
    ? `is an instance of ${name}, which has no plain form to send`
    : "is an object with a custom prototype, which has no plain form to send";
}
