/**
 * The types of the buffer arguments of the capitalised methods (`Send`, `Recv`, `Bcast`, `Allreduce`, ...),
 * in one place: a typed array, `ArrayBuffer` or `DataView` (`BufferMemory`), optionally with a count
 * (`BufferArg`) or a datatype (`DatatypeArg`, as `[buf, datatype]`), per-rank counts and displacements for
 * the `v` collectives (`VBufferArg`), per-rank types for `Alltoallw` (`WBufferArg`), and `IN_PLACE` (`InPlace`). A plain array of numbers is not a buffer: values go with the lowercase methods.
 *
 * @example
 * ```ts
 * import type { BufferArg, VBufferArg } from "mpirun-deno";
 * const whole: BufferArg = new Float64Array(8);
 * const counted: VBufferArg = [new Int32Array(6), [1, 2, 3]];
 * console.log(whole, counted);
 * ```
 *
 * @module
 */

export type {
  BufferArg,
  BufferMemory,
  DatatypeArg,
  TypedArray,
  VBufferArg,
  WBufferArg,
} from "../wire/buffers.ts";
export type { InPlace } from "../constants.ts";
