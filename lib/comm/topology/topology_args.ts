/**
 * Argument checks shared by the topology constructors, and the maker that turns what `Split` made into a
 * topology communicator (or `COMM_NULL`).
 *
 * @module
 */

import { ErrorCode, mpiError } from "../../errors.ts";
import { describeValue } from "../args.ts";
import { COMM_NULL } from "../comm.ts";
import type { Made } from "../management.ts";

/** The maker `split` calls: a topology communicator, or COMM_NULL for the ranks outside it. */
export function withTopology<C>(make: (made: Made) => C): (made: Made | undefined) => C {
  return (made) => made === undefined ? COMM_NULL as unknown as C : make(made);
}

/** Checks `dims`: an array of integers >= 1. */
export function checkDims(where: string, dims: unknown): number[] {
  if (!Array.isArray(dims)) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: dims must be an array of integers >= 1, not ${describeValue(dims)}`,
    );
  }
  return dims.map((dim: unknown, d) => {
    if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 1) {
      throw mpiError(ErrorCode.ERR_ARG, `${where}: dims[${d}] is ${describeValue(dim)}, not an integer >= 1`);
    }
    return dim;
  });
}

/** Checks a list of one boolean (or 0/1) per dimension: `periods`, `remain_dims`. */
export function checkFlags(where: string, argument: string, flags: unknown, ndim: number): boolean[] {
  if (!Array.isArray(flags) || flags.length !== ndim) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} must be an array of ${ndim} booleans (one per dimension), not ${
        describeValue(flags)
      }`,
    );
  }
  return flags.map((flag: unknown, d) => {
    if (typeof flag !== "boolean" && flag !== 0 && flag !== 1) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: ${argument}[${d}] is ${describeValue(flag)}, not a boolean`,
      );
    }
    return Boolean(flag);
  });
}

/** Checks `reorder`: a boolean (or 0/1), or absent. */
export function checkReorder(where: string, reorder: unknown): void {
  if (reorder !== undefined && typeof reorder !== "boolean" && reorder !== 0 && reorder !== 1) {
    throw mpiError(ErrorCode.ERR_ARG, `${where}: reorder is ${describeValue(reorder)}, not a boolean`);
  }
}

/** Checks a list of integers in `0..limit-1` (ranks, edges): `argument` names it in the error. */
export function checkRankList(where: string, argument: string, list: unknown, limit: number): number[] {
  if (!Array.isArray(list)) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} must be an array of ranks, not ${describeValue(list)}`,
    );
  }
  return list.map((entry: unknown, i) => {
    if (typeof entry !== "number" || !Number.isSafeInteger(entry) || entry < 0 || entry >= limit) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: ${argument}[${i}] is ${describeValue(entry)}, not a rank in 0..${limit - 1}`,
      );
    }
    return entry;
  });
}

/** Checks a list of `length` integers >= 0 (degrees, weights), or null/undefined for none. */
export function checkCounts(
  where: string,
  argument: string,
  list: unknown,
  length: number,
): number[] | undefined {
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list) || list.length !== length) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: ${argument} must be an array of ${length} integers >= 0, not ${describeValue(list)}`,
    );
  }
  return list.map((entry: unknown, i) => {
    if (typeof entry !== "number" || !Number.isSafeInteger(entry) || entry < 0) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `${where}: ${argument}[${i}] is ${describeValue(entry)}, not an integer >= 0`,
      );
    }
    return entry;
  });
}
