/**
 * Value <-> bytes: a self-contained MessagePack codec with the send-side validation. No dependencies, so it
 * loads from a URL, inside a compiled binary, anywhere. Pure: no I/O.
 *
 * Plain JSON-like values use standard MessagePack, readable by any implementation. The rest travel as
 * extensions. Where msgpackr has one, its layout is used, so msgpackr reads those too; Map and Set are ours
 * (msgpackr has no extension that wraps them):
 *
 * ```
 * type   payload                                             value
 *  -1    standard timestamp 32/64/96; fixext 1 0xff if NaN   Date (an invalid date round-trips)
 *   0    fixext 1, one zero byte (as msgpackr and notepack)  undefined (also array holes)
 * 0x42   big-endian two's complement, any length (msgpackr)  bigint beyond 64 bits
 * 0x4d   one MessagePack map, keys of any type               Map
 * 0x53   one MessagePack array                               Set
 * 0x74   code byte, then the raw little-endian bytes         typed array (code = msgpackr's index:
 *                                                            Int8 0 ... BigUint64 10, Float16 11), or
 *                                                            ArrayBuffer (code 16)
 * ```
 *
 * Integers that fit 32 bits use the integer formats; int64/uint64 (0xd3/0xcf) carry bigints only; every
 * other number (fractions, -0, NaN, ±Infinity, integers beyond 32 bits) is a float64. Uint8Array is `bin`.
 *
 * The encoder is in encode.ts, the decoder in decode.ts, what they share in codec_types.ts.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeValue, encodeValue } from "./codec.ts";
 * const value = { step: 3, at: new Date(0), grid: new Float64Array([0.5, 1.5]), tags: new Set(["a"]) };
 * assert.deepEqual(decodeValue(encodeValue(value)), value);
 * ```
 *
 * @module
 */

export { type EncodeOptions, encodeValue } from "./encode.ts";
export { decodeValue } from "./decode.ts";
