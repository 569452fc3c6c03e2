/**
 * Reduction operations: the {@linkcode Op} class, MPI's built-in ops, their element-wise kernels on typed
 * arrays, and their value-level forms (numbers, bigints, arrays of them, typed arrays).
 *
 * Every combination is `lower op higher`: `lower` holds the contributions of lower ranks. Collectives that
 * cannot keep that order (ring reductions) are only chosen for commutative ops.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import { describe, type TypedArray } from "../wire/buffers.ts";
import { elementClass } from "./buffer_args.ts";

/** A typed array seen through its elements. One loop serves number and bigint arrays alike. */
interface Vector {
  [index: number]: number;
  readonly length: number;
}

/** `out[i] = a[i] op b[i]` for `i < out.length`; `out` may be `a` or `b`. `fn` is a user op's function. */
type Kernel = (a: Vector, b: Vector, out: Vector, fn?: (x: unknown, y: unknown) => unknown) => void;

/** A value-level combination of two operands of one kind (numbers, bigints, ...), or `undefined` if unsupported. */
type Scalar = (a: unknown, b: unknown) => unknown;

/** Marks that a {@linkcode Scalar} does not handle its operands. */
const UNSUPPORTED = Symbol("unsupported");

/** What a user passes as an op: an {@linkcode Op} or a plain `(a, b) => c` function. */
// deno-lint-ignore no-explicit-any
export type OpLike = Op | ((a: any, b: any) => any);

/**
 * A reduction operation. The built-ins ({@linkcode SUM}, {@linkcode MAX}, ...) are arithmetic on numbers and
 * bigints and element-wise on arrays and typed arrays; `Op.Create(fn)` makes one from a function.
 *
 * @example A built-in and a user-defined op
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * assert.equal(await comm.allreduce(comm.rank, MPI.SUM), (comm.size * (comm.size - 1)) / 2);
 * const longest = MPI.Op.Create((a: string, b: string) => (b.length > a.length ? b : a));
 * assert.equal(await comm.allreduce("x".repeat(comm.rank + 1), longest), "x".repeat(comm.size));
 * ```
 */
export class Op {
  /** The op's name, such as `"SUM"` (`"user"` for ops made by {@linkcode Op.Create}). */
  readonly name: string;
  readonly #commute: boolean;
  readonly #values: (where: string, lower: unknown, higher: unknown) => unknown;
  readonly #kernels: Kernels;
  readonly #elementwise: ((lower: unknown, higher: unknown) => unknown) | undefined;
  readonly #integerOnly: boolean;

  /** @internal Ops are the built-ins or made by {@linkcode Op.Create}. */
  constructor(
    name: string,
    commute: boolean,
    values: (where: string, lower: unknown, higher: unknown) => unknown,
    kernels: Kernels,
    elementwise: ((lower: unknown, higher: unknown) => unknown) | undefined,
    integerOnly = false,
  ) {
    this.name = name;
    this.#commute = commute;
    this.#values = values;
    this.#kernels = kernels;
    this.#elementwise = elementwise;
    this.#integerOnly = integerOnly;
  }

  /**
   * Makes an op from `fn(lower, higher)`. On the value calls (`reduce`, `allreduce`, `scan`, ...) `fn` gets
   * the two values whole; on the buffer calls (`Reduce`, `Allreduce`, ...) it is applied element by element.
   * With `commute = false` the reduction applies it strictly in rank order.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const concat = MPI.Op.Create((a: string, b: string) => a + b, false);
   * const ranks = Array.from({ length: MPI.COMM_WORLD.size }, (_, rank) => rank).join("");
   * assert.equal(await MPI.COMM_WORLD.allreduce(String(MPI.COMM_WORLD.rank), concat), ranks); // "0123" on 4 ranks
   * ```
   */
  // deno-lint-ignore no-explicit-any
  static Create(fn: (a: any, b: any) => any, commute = true): Op {
    if (typeof fn !== "function") {
      throw mpiError(ErrorCode.ERR_OP, `Op.Create: fn must be a function, not ${describe(fn)}`);
    }
    return new Op("user", Boolean(commute), (_where, lower, higher) => fn(lower, higher), USER_KERNELS, fn);
  }

  /** Does the order of operands not matter? */
  get commute(): boolean {
    return this.#commute;
  }

  /** Does the order of operands not matter? As mpi4py's `Op.Is_commutative()`. */
  Is_commutative(): boolean {
    return this.#commute;
  }

  /** Does nothing: ops need no freeing here (kept for mpi4py parity). */
  Free(): void {}

  /**
   * Combines two values as the value collectives do: `lower op higher`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MAX, SUM } from "mpirun-deno";
   * assert.deepEqual(SUM.combine([1, 2], [10, 20]), [11, 22]);
   * assert.equal(MAX.combine(3n, 7n), 7n);
   * ```
   */
  combine<T>(lower: T, higher: T): T;
  /** Combines two values of different kinds (an error for the built-ins, as the value collectives would). */
  combine(lower: unknown, higher: unknown): unknown;
  combine(lower: unknown, higher: unknown): unknown {
    return this.#values("combine", lower, higher);
  }

  /**
   * Combines two typed arrays element-wise into the second, as MPI's `Reduce_local`:
   * `inoutbuf[i] = inbuf[i] op inoutbuf[i]`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { PROD } from "mpirun-deno";
   * const acc = new Int32Array([2, 3]);
   * PROD.Reduce_local(new Int32Array([5, 7]), acc);
   * assert.deepEqual(acc, Int32Array.of(10, 21));
   * ```
   */
  Reduce_local(inbuf: TypedArray, inoutbuf: TypedArray): void {
    checkVectors("Reduce_local", this.name, inbuf, inoutbuf);
    this.reduceVectors("Reduce_local", inbuf, inoutbuf, inoutbuf);
  }

  /** @internal `lower op higher` on values; errors name `where`. */
  reduceValues(where: string, lower: unknown, higher: unknown): unknown {
    return this.#values(where, lower, higher);
  }

  /**
   * @internal `out[i] = lower[i] op higher[i]` on typed arrays of one type and length (`out` may be either
   * operand). Throws ERR_OP if the op is not defined on the element type.
   */
  reduceVectors(where: string, lower: TypedArray, higher: TypedArray, out: TypedArray): void {
    if (this.#integerOnly && isFloatArray(out)) {
      throw mpiError(ErrorCode.ERR_OP, `${where}: ${this.name} is not defined on ${out.constructor.name}`);
    }
    this.#kernels.for(out)(
      lower as unknown as Vector,
      higher as unknown as Vector,
      out as unknown as Vector,
      this.#elementwise,
    );
  }

  /** @internal Throws ERR_OP now if the op cannot reduce typed arrays like `sample`, before anything is sent. */
  checkVectorType(where: string, sample: TypedArray): void {
    if (this.#integerOnly && isFloatArray(sample)) {
      throw mpiError(ErrorCode.ERR_OP, `${where}: ${this.name} is not defined on ${sample.constructor.name}`);
    }
  }
}

/** Checks that two typed arrays can be combined element-wise: same type, same length. */
export function checkVectors(where: string, name: string, a: TypedArray, b: TypedArray): void {
  if (!isTypedArray(a) || !isTypedArray(b)) {
    throw mpiError(
      ErrorCode.ERR_TYPE,
      `${where}: ${name} needs typed arrays, got ${describe(a)} and ${describe(b)}`,
    );
  }
  if (elementClass(a) !== elementClass(b)) {
    throw mpiError(
      ErrorCode.ERR_TYPE,
      `${where}: ${name} cannot combine a ${a.constructor.name} and a ${b.constructor.name}`,
    );
  }
  if (a.length !== b.length) {
    throw mpiError(
      ErrorCode.ERR_COUNT,
      `${where}: ${name} got operands of ${a.length} and ${b.length} elements`,
    );
  }
}

function isFloatArray(array: TypedArray): boolean {
  return array instanceof Float64Array || array instanceof Float32Array ||
    // Float16Array is not in every runtime's types yet.
    array.constructor.name === "Float16Array";
}

function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

// ---------------------------------------------------------------------------------------------------------
// Element-wise kernels: tight loops over the typed arrays. `out` may alias either operand, so each element
// is read before it is written.
//
// Each (op, element type) pair gets a function of its own, compiled once from the loop's source: a loop
// shared by several element types would see them all at its element accesses, and V8 then runs it tens of
// times slower (measured: 1M float64 SUM from about 1 ms to about 70 ms once five other types were seen).
// The sources are the constants below, never user input.

/** The kernels of one op, one per element type, compiled on first use. */
class Kernels {
  readonly #loop: string;
  readonly #byType = new Map<unknown, Kernel>();

  /** `loop` reads `a`, `b` (and `fn`), writes `out`; `ONE`/`ZERO` become the element type's 1 and 0. */
  constructor(loop: string) {
    this.#loop = loop;
  }

  for(out: TypedArray): Kernel {
    let kernel = this.#byType.get(out.constructor);
    if (kernel === undefined) {
      const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
      // The type's name makes each source distinct: V8 caches compilations by source, and one cached
      // function would again share its type feedback between element types.
      const source = `// ${out.constructor.name}\n` +
        this.#loop.replaceAll("ONE", big ? "1n" : "1").replaceAll("ZERO", big ? "0n" : "0");
      kernel = new Function("a", "b", "out", "fn", source) as Kernel;
      this.#byType.set(out.constructor, kernel);
    }
    return kernel;
  }
}

/** A kernel whose loop runs `statement` for each `i`. */
function each(statement: string): Kernels {
  return new Kernels(`for (let i = 0, n = out.length; i < n; i++) { ${statement} }`);
}

const SUM_KERNELS = each("out[i] = a[i] + b[i];");
const PROD_KERNELS = each("out[i] = a[i] * b[i];");
// A NaN operand wins, as in Math.max and Math.min.
const MAX_KERNELS = each("const x = a[i], y = b[i]; out[i] = x > y || x !== x ? x : y;");
const MIN_KERNELS = each("const x = a[i], y = b[i]; out[i] = x < y || x !== x ? x : y;");
const LAND_KERNELS = each("out[i] = a[i] && b[i] ? ONE : ZERO;");
const LOR_KERNELS = each("out[i] = a[i] || b[i] ? ONE : ZERO;");
const LXOR_KERNELS = each("out[i] = !a[i] !== !b[i] ? ONE : ZERO;");
const BAND_KERNELS = each("out[i] = a[i] & b[i];");
const BOR_KERNELS = each("out[i] = a[i] | b[i];");
const BXOR_KERNELS = each("out[i] = a[i] ^ b[i];");
/** A user op, applied element by element. */
const USER_KERNELS = each("out[i] = fn(a[i], b[i]);");

/** MAXLOC/MINLOC on interleaved `(value, index)` pairs: element `2k` is a value, `2k + 1` its index. */
function locKernels(better: ">" | "<"): Kernels {
  return new Kernels(`
    for (let i = 0, n = out.length - 1; i < n; i += 2) {
      const x = a[i], y = b[i], xi = a[i + 1], yi = b[i + 1];
      const takeA = x ${better} y || (x === y && xi <= yi);
      out[i] = takeA ? x : y;
      out[i + 1] = takeA ? xi : yi;
    }`);
}

// ---------------------------------------------------------------------------------------------------------
// Value-level ops: scalars, lifted element-wise over arrays and typed arrays.

function sameKind(a: unknown, b: unknown, ...kinds: string[]): boolean {
  const kind = typeof a;
  return kind === typeof b && kinds.includes(kind);
}

const sumScalar: Scalar = (a, b) =>
  sameKind(a, b, "number", "bigint", "string") ? (a as number) + (b as number) : UNSUPPORTED;

const prodScalar: Scalar = (a, b) =>
  sameKind(a, b, "number", "bigint") ? (a as number) * (b as number) : UNSUPPORTED;

const maxScalar: Scalar = (a, b) => {
  if (!sameKind(a, b, "number", "bigint", "string")) return UNSUPPORTED;
  const x = a as number, y = b as number;
  return x > y || x !== x ? x : y;
};

const minScalar: Scalar = (a, b) => {
  if (!sameKind(a, b, "number", "bigint", "string")) return UNSUPPORTED;
  const x = a as number, y = b as number;
  return x < y || x !== x ? x : y;
};

/** Logical ops keep the operands' kind: booleans give a boolean, numbers 1/0, bigints 1n/0n. */
function logicalScalar(test: (x: boolean, y: boolean) => boolean): Scalar {
  return (a, b) => {
    const result = test(Boolean(a), Boolean(b));
    if (sameKind(a, b, "number")) return result ? 1 : 0;
    if (sameKind(a, b, "bigint")) return result ? 1n : 0n;
    return result;
  };
}

/**
 * Bitwise ops on integers of any safe size: int32 operands take JavaScript's 32-bit operators, larger ones
 * (such as uint32 values) go through BigInt so that no bit is lost. Booleans combine logically.
 */
function bitwiseScalar(
  int32: (x: number, y: number) => number,
  bits: (x: bigint, y: bigint) => bigint,
  logical: (x: boolean, y: boolean) => boolean,
): Scalar {
  return (a, b) => {
    if (sameKind(a, b, "bigint")) return bits(a as bigint, b as bigint);
    if (sameKind(a, b, "boolean")) return logical(a as boolean, b as boolean);
    if (!sameKind(a, b, "number") || !Number.isSafeInteger(a) || !Number.isSafeInteger(b)) return UNSUPPORTED;
    const x = a as number, y = b as number;
    if ((x | 0) === x && (y | 0) === y) return int32(x, y);
    return Number(bits(BigInt(x), BigInt(y)));
  };
}

/** Is `value` a MAXLOC/MINLOC operand: a `[value, index]` pair? */
function isPair(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[1] === "number" &&
    (typeof value[0] === "number" || typeof value[0] === "bigint" || typeof value[0] === "string");
}

function locScalar(better: (x: number, y: number) => boolean): Scalar {
  return (a, b) => {
    if (!isPair(a) || !isPair(b) || typeof a[0] !== typeof b[0]) return UNSUPPORTED;
    const takeA = better(a[0], b[0]) || (a[0] === b[0] && a[1] <= b[1]);
    const chosen = takeA ? a : b;
    return [chosen[0], chosen[1]];
  };
}

/**
 * Lifts a scalar op to arrays (element-wise, recursively) and typed arrays (through the kernel). For
 * MAXLOC/MINLOC a `[value, index]` pair is a scalar, and an array of pairs is combined pair by pair.
 */
function lift(name: string, scalar: Scalar, kernels: Kernels, integerOnly: boolean, pairs: boolean): Op {
  const combine = (where: string, a: unknown, b: unknown): unknown => {
    if (isTypedArray(a)) {
      if (!isTypedArray(b)) throw cannotCombine(where, name, a, b);
      checkVectors(where, name, a, b);
      if (integerOnly && isFloatArray(a)) {
        throw mpiError(ErrorCode.ERR_OP, `${where}: ${name} is not defined on ${a.constructor.name}`);
      }
      const out = new (elementClass(a))(a.length);
      kernels.for(out)(a as unknown as Vector, b as unknown as Vector, out as unknown as Vector);
      return out;
    }
    if (Array.isArray(a) && !(pairs && isPair(a))) {
      if (!Array.isArray(b)) throw cannotCombine(where, name, a, b);
      if (a.length !== b.length) {
        throw mpiError(
          ErrorCode.ERR_COUNT,
          `${where}: ${name} got arrays of ${a.length} and ${b.length} items`,
        );
      }
      const out = new Array(a.length);
      for (let i = 0; i < a.length; i++) out[i] = combine(where, a[i], b[i]);
      return out;
    }
    const result = scalar(a, b);
    if (result === UNSUPPORTED) throw cannotCombine(where, name, a, b);
    return result;
  };
  return new Op(name, true, combine, kernels, undefined, integerOnly);
}

function cannotCombine(where: string, name: string, a: unknown, b: unknown) {
  return mpiError(ErrorCode.ERR_OP, `${where}: ${name} cannot combine ${describe(a)} and ${describe(b)}`);
}

/**
 * Sum: `a + b` on numbers, bigints and strings; element-wise on arrays and typed arrays.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const { size } = MPI.COMM_WORLD;
 * assert.deepEqual(await MPI.COMM_WORLD.allreduce([1, MPI.COMM_WORLD.rank], MPI.SUM), [size, (size * (size - 1)) / 2]);
 * ```
 */
export const SUM: Op = lift("SUM", sumScalar, SUM_KERNELS, false, false);

/** Product: `a * b` on numbers and bigints; element-wise on arrays and typed arrays. */
export const PROD: Op = lift("PROD", prodScalar, PROD_KERNELS, false, false);

/** Maximum on numbers, bigints and strings (a NaN wins); element-wise on arrays and typed arrays. */
export const MAX: Op = lift("MAX", maxScalar, MAX_KERNELS, false, false);

/** Minimum on numbers, bigints and strings (a NaN wins); element-wise on arrays and typed arrays. */
export const MIN: Op = lift("MIN", minScalar, MIN_KERNELS, false, false);

/** Logical and: booleans give a boolean, numbers 1 or 0, bigints 1n or 0n; element-wise on arrays. */
export const LAND: Op = lift("LAND", logicalScalar((x, y) => x && y), LAND_KERNELS, false, false);

/** Logical or (see {@linkcode LAND} for the result's kind). */
export const LOR: Op = lift("LOR", logicalScalar((x, y) => x || y), LOR_KERNELS, false, false);

/** Logical exclusive or (see {@linkcode LAND} for the result's kind). */
export const LXOR: Op = lift("LXOR", logicalScalar((x, y) => x !== y), LXOR_KERNELS, false, false);

/** Bitwise and on integers (numbers of any safe size, bigints) and on integer typed arrays. */
export const BAND: Op = lift(
  "BAND",
  bitwiseScalar((x, y) => x & y, (x, y) => x & y, (x, y) => x && y),
  BAND_KERNELS,
  true,
  false,
);

/** Bitwise or on integers and integer typed arrays. */
export const BOR: Op = lift(
  "BOR",
  bitwiseScalar((x, y) => x | y, (x, y) => x | y, (x, y) => x || y),
  BOR_KERNELS,
  true,
  false,
);

/** Bitwise exclusive or on integers and integer typed arrays. */
export const BXOR: Op = lift(
  "BXOR",
  bitwiseScalar((x, y) => x ^ y, (x, y) => x ^ y, (x, y) => x !== y),
  BXOR_KERNELS,
  true,
  false,
);

/**
 * The larger value and its index, on `[value, index]` pairs (ties take the smaller index); element-wise on
 * arrays of pairs; on typed arrays, over interleaved `value, index` elements.
 *
 * @example Which rank holds the largest value
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * const [value, where] = await comm.allreduce([(comm.rank * 7) % 5, comm.rank], MPI.MAXLOC);
 * assert.equal(value, (where * 7) % 5);
 * ```
 */
export const MAXLOC: Op = lift("MAXLOC", locScalar((x, y) => x > y), locKernels(">"), false, true);

/** The smaller value and its index (see {@linkcode MAXLOC}). */
export const MINLOC: Op = lift("MINLOC", locScalar((x, y) => x < y), locKernels("<"), false, true);

const userOps = new WeakMap<object, Op>();

/**
 * Resolves an op argument: an {@linkcode Op}, or a plain function (taken as `Op.Create(fn)`). Throws ERR_OP
 * naming `where` for anything else.
 */
export function toOp(where: string, op: unknown): Op {
  if (op instanceof Op) return op;
  if (typeof op === "function") {
    let created = userOps.get(op);
    if (!created) userOps.set(op, created = Op.Create(op as (a: unknown, b: unknown) => unknown));
    return created;
  }
  throw mpiError(
    ErrorCode.ERR_OP,
    `${where}: op must be an Op (such as SUM) or a function, not ${describe(op)}`,
  );
}
