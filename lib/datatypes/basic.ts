/**
 * The basic datatypes, as mpi4py names them, each standing for the elements of one typed array type (C's
 * sizes on a 64-bit Linux: `LONG` is 8 bytes, so a `BigInt64Array`).
 *
 * @module
 */

import { Datatype } from "./datatype.ts";

/** `float64`: the elements of a `Float64Array`. */
export const DOUBLE: Datatype = Datatype.basic("MPI_DOUBLE", 8, Float64Array);
/** `float32`: the elements of a `Float32Array`. */
export const FLOAT: Datatype = Datatype.basic("MPI_FLOAT", 4, Float32Array);
/** C `int` (32 bits): the elements of an `Int32Array`. */
export const INT: Datatype = Datatype.basic("MPI_INT", 4, Int32Array);
/** C `unsigned` (32 bits): the elements of a `Uint32Array`. */
export const UNSIGNED: Datatype = Datatype.basic("MPI_UNSIGNED", 4, Uint32Array);
/** C `short` (16 bits): the elements of an `Int16Array`. */
export const SHORT: Datatype = Datatype.basic("MPI_SHORT", 2, Int16Array);
/** C `unsigned short`: the elements of a `Uint16Array`. */
export const UNSIGNED_SHORT: Datatype = Datatype.basic("MPI_UNSIGNED_SHORT", 2, Uint16Array);
/** C `long` (64 bits on Linux): the elements of a `BigInt64Array`. */
export const LONG: Datatype = Datatype.basic("MPI_LONG", 8, BigInt64Array);
/** C `unsigned long`: the elements of a `BigUint64Array`. */
export const UNSIGNED_LONG: Datatype = Datatype.basic("MPI_UNSIGNED_LONG", 8, BigUint64Array);
/** C `long long`: the elements of a `BigInt64Array`. */
export const LONG_LONG: Datatype = Datatype.basic("MPI_LONG_LONG", 8, BigInt64Array);
/** C `unsigned long long`: the elements of a `BigUint64Array`. */
export const UNSIGNED_LONG_LONG: Datatype = Datatype.basic("MPI_UNSIGNED_LONG_LONG", 8, BigUint64Array);
/** C `char` (signed here): the elements of an `Int8Array`. */
export const CHAR: Datatype = Datatype.basic("MPI_CHAR", 1, Int8Array);
/** C `signed char`: the elements of an `Int8Array`. */
export const SIGNED_CHAR: Datatype = Datatype.basic("MPI_SIGNED_CHAR", 1, Int8Array);
/** C `unsigned char`: the elements of a `Uint8Array`. */
export const UNSIGNED_CHAR: Datatype = Datatype.basic("MPI_UNSIGNED_CHAR", 1, Uint8Array);
/** Raw bytes (any memory; no arithmetic). */
export const BYTE: Datatype = Datatype.basic("MPI_BYTE", 1, Uint8Array);
/** The bytes `Pack` writes. */
export const PACKED: Datatype = Datatype.basic("MPI_PACKED", 1, Uint8Array);
/** `int8`: the elements of an `Int8Array`. */
export const INT8_T: Datatype = Datatype.basic("MPI_INT8_T", 1, Int8Array);
/** `int16`: the elements of an `Int16Array`. */
export const INT16_T: Datatype = Datatype.basic("MPI_INT16_T", 2, Int16Array);
/** `int32`: the elements of an `Int32Array`. */
export const INT32_T: Datatype = Datatype.basic("MPI_INT32_T", 4, Int32Array);
/** `int64`: the elements of a `BigInt64Array`. */
export const INT64_T: Datatype = Datatype.basic("MPI_INT64_T", 8, BigInt64Array);
/** `uint8`: the elements of a `Uint8Array`. */
export const UINT8_T: Datatype = Datatype.basic("MPI_UINT8_T", 1, Uint8Array);
/** `uint16`: the elements of a `Uint16Array`. */
export const UINT16_T: Datatype = Datatype.basic("MPI_UINT16_T", 2, Uint16Array);
/** `uint32`: the elements of a `Uint32Array`. */
export const UINT32_T: Datatype = Datatype.basic("MPI_UINT32_T", 4, Uint32Array);
/** `uint64`: the elements of a `BigUint64Array`. */
export const UINT64_T: Datatype = Datatype.basic("MPI_UINT64_T", 8, BigUint64Array);
/** A C `_Bool` byte: the elements of a `Uint8Array`. */
export const C_BOOL: Datatype = Datatype.basic("MPI_C_BOOL", 1, Uint8Array);
/** An address-sized integer (64 bits): the elements of a `BigInt64Array`. */
export const AINT: Datatype = Datatype.basic("MPI_AINT", 8, BigInt64Array);
/** A file offset (64 bits): the elements of a `BigInt64Array`. */
export const OFFSET: Datatype = Datatype.basic("MPI_OFFSET", 8, BigInt64Array);
/** A large count (64 bits): the elements of a `BigInt64Array`. */
export const COUNT: Datatype = Datatype.basic("MPI_COUNT", 8, BigInt64Array);
