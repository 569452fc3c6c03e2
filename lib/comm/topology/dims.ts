/**
 * `Compute_dims` (`MPI_Dims_create`): a balanced grid of `nnodes` processes, as Open MPI and MPICH make it.
 * Pure: no communication.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../../errors.ts";
import { describeValue } from "../args.ts";

/**
 * A grid of `nnodes` processes in `dims.length` dimensions (or `dims` dimensions, when a number). Entries of
 * `dims` that are not 0 are kept; the zeros are filled so that the product is `nnodes`, as close to each other
 * as can be, in non-increasing order (as `MPI_Dims_create`). Throws ERR_ARG naming the argument when
 * `nnodes` is not an integer >= 1, an entry is negative, or the fixed entries do not divide `nnodes`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * assert.deepEqual(MPI.Compute_dims(12, 2), [4, 3]);
 * assert.deepEqual(MPI.Compute_dims(12, [0, 2, 0]), [3, 2, 2]);
 * assert.deepEqual(MPI.Compute_dims(16, 3), [4, 2, 2]);
 * ```
 */
export function Compute_dims(nnodes: number, dims: number | readonly number[]): number[] {
  const where = "Compute_dims";
  if (typeof nnodes !== "number" || !Number.isSafeInteger(nnodes) || nnodes < 1) {
    throw mpiError(ErrorCode.ERR_ARG, `${where}: nnodes ${describeValue(nnodes)} is not an integer >= 1`);
  }
  const given = checkDimsList(where, dims);
  let fixed = 1;
  const free: number[] = [];
  given.forEach((dim, i) => {
    if (dim === 0) free.push(i);
    else fixed *= dim;
  });
  if (fixed === 0 || nnodes % fixed !== 0 || (free.length === 0 && fixed !== nnodes)) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: the fixed entries of dims ${JSON.stringify(given)} (product ${fixed}) ` +
        `cannot make a grid of nnodes ${nnodes}`,
    );
  }
  const filled = balance(nnodes / fixed, free.length);
  const result = given.slice();
  free.forEach((index, i) => result[index] = filled[i]);
  return result;
}

/** `dims` as a list: a number n means n zeros. ERR_ARG for a negative or non-integer entry. */
function checkDimsList(where: string, dims: number | readonly number[]): number[] {
  if (typeof dims === "number") {
    if (!Number.isSafeInteger(dims) || dims < 0) {
      throw mpiError(ErrorCode.ERR_ARG, `${where}: dims ${describeValue(dims)} is not an integer >= 0`);
    }
    return new Array<number>(dims).fill(0);
  }
  if (!Array.isArray(dims)) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: dims must be a number of dimensions or an array of integers, not ${describeValue(dims)}`,
    );
  }
  return dims.map((dim, i) => {
    if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 0) {
      throw mpiError(ErrorCode.ERR_ARG, `${where}: dims[${i}] is ${describeValue(dim)}, not an integer >= 0`);
    }
    return dim;
  });
}

/**
 * `count` factors of `n`, as equal as the greedy rule makes them: each prime factor, largest first, goes to
 * the smallest entry so far (the rule of Open MPI's `MPI_Dims_create`); sorted largest first.
 */
function balance(n: number, count: number): number[] {
  const dims = new Array<number>(count).fill(1);
  if (count === 0) return dims;
  for (const prime of primeFactors(n).reverse()) {
    let smallest = 0;
    for (let i = 1; i < count; i++) if (dims[i] < dims[smallest]) smallest = i;
    dims[smallest] *= prime;
  }
  return dims.sort((a, b) => b - a);
}

/** The prime factors of `n`, with repeats, smallest first (none for 0 and 1). */
function primeFactors(n: number): number[] {
  const factors: number[] = [];
  let rest = n;
  for (let p = 2; p * p <= rest; p++) {
    while (rest % p === 0) {
      factors.push(p);
      rest /= p;
    }
  }
  if (rest > 1) factors.push(rest);
  return factors;
}
