import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ErrorCode } from "../../lib/errors.ts";
import { assertThrowsMpiError } from "../_helpers/assert_mpi_error.ts";
import {
  BAND,
  BOR,
  BXOR,
  LAND,
  LOR,
  LXOR,
  MAX,
  MAXLOC,
  MIN,
  MINLOC,
  Op,
  PROD,
  SUM,
  toOp,
} from "../../lib/collectives/ops.ts";
import type { TypedArray } from "../../lib/wire/buffers.ts";

type Scalar = number | bigint;
const CLASSES = [
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
] as const;

/** What each op does to one pair of elements, written plainly; `undefined`: not defined on floats. */
const ELEMENT: [Op, (a: Scalar, b: Scalar, one: Scalar, zero: Scalar) => Scalar, boolean][] = [
  [SUM, (a, b) => (a as number) + (b as number), false],
  [PROD, (a, b) => (a as number) * (b as number), false],
  [MAX, (a, b) => (a > b ? a : b), false],
  [MIN, (a, b) => (a < b ? a : b), false],
  [LAND, (a, b, one, zero) => (a && b ? one : zero), false],
  [LOR, (a, b, one, zero) => (a || b ? one : zero), false],
  [LXOR, (a, b, one, zero) => (!a !== !b ? one : zero), false],
  [BAND, (a, b) => (a as number) & (b as number), true],
  [BOR, (a, b) => (a as number) | (b as number), true],
  [BXOR, (a, b) => (a as number) ^ (b as number), true],
];

function sample(Class: (typeof CLASSES)[number], seed: number): TypedArray {
  const big = Class === BigInt64Array || Class === BigUint64Array;
  const values = Array.from(
    { length: 37 },
    (_, i) => ((i * 13 + seed * 7) % 9) - (Class.name.startsWith("Uint") || Class === BigUint64Array ? 0 : 4),
  );
  return (Class as unknown as { from(items: Scalar[]): TypedArray }).from(big ? values.map(BigInt) : values);
}

test("built-in kernels match a plain loop on every typed array type, in place on either operand", () => {
  for (const Class of CLASSES) {
    const float = Class === Float32Array || Class === Float64Array;
    const big = Class === BigInt64Array || Class === BigUint64Array;
    for (const [op, element, integerOnly] of ELEMENT) {
      const a = sample(Class, 1), b = sample(Class, 2);
      if (integerOnly && float) {
        assertThrowsMpiError(
          () => op.Reduce_local(a, b),
          ErrorCode.ERR_OP,
          new RegExp(`${op.name} is not defined on ${Class.name}`),
        );
        continue;
      }
      const expected = sample(Class, 0);
      for (let i = 0; i < expected.length; i++) {
        (expected as unknown as Scalar[])[i] = element(
          (a as unknown as Scalar[])[i],
          (b as unknown as Scalar[])[i],
          big ? 1n : 1,
          big ? 0n : 0,
        );
      }
      const inout = b.slice();
      op.Reduce_local(a, inout);
      assert.deepStrictEqual(inout, expected, `${op.name} on ${Class.name}`);
      const lower = a.slice();
      op.reduceVectors("test", lower, b, lower);
      assert.deepStrictEqual(lower, expected, `${op.name} on ${Class.name} into the first operand`);
      assert.deepStrictEqual(op.combine(a, b), expected, `${op.name} on ${Class.name} as values`);
    }
  }
});

test("SUM, PROD, MAX and MIN are arithmetic on numbers and bigints", () => {
  assert.equal(SUM.combine(2, 3), 5);
  assert.equal(SUM.combine(2n ** 70n, 1n), 2n ** 70n + 1n);
  assert.equal(PROD.combine(6, 7), 42);
  assert.equal(PROD.combine(-3n, 5n), -15n);
  assert.equal(MAX.combine(-1, -2), -1);
  assert.equal(MIN.combine(10n, -10n), -10n);
  assert.ok(
    Number.isNaN(MAX.combine(NaN, 1)) && Number.isNaN(MAX.combine(1, NaN)),
    "a NaN wins, as in Math.max",
  );
  assert.ok(Number.isNaN(MIN.combine(NaN, 1)) && Number.isNaN(MIN.combine(1, NaN)));
});

test("SUM concatenates strings and MAX/MIN compare them", () => {
  assert.equal(SUM.combine("ab", "cd"), "abcd");
  assert.equal(MAX.combine("apple", "pear"), "pear");
  assert.equal(MIN.combine("apple", "pear"), "apple");
});

test("ops are element-wise on arrays, nested arrays and typed arrays", () => {
  assert.deepStrictEqual(SUM.combine([1, 2, 3], [10, 20, 30]), [11, 22, 33]);
  assert.deepStrictEqual(MAX.combine([[1, 5], [2n]], [[3, 4], [1n]]), [[3, 5], [2n]]);
  assert.deepStrictEqual(
    SUM.combine(Float64Array.of(0.5, 1), Float64Array.of(1, 2)),
    Float64Array.of(1.5, 3),
  );
  assert.deepStrictEqual(
    SUM.combine(Uint8Array.of(250), Uint8Array.of(10)),
    Uint8Array.of(4),
    "wraps as the element type",
  );
  const a = Int32Array.of(1, 2);
  SUM.combine(a, Int32Array.of(1, 1));
  assert.deepStrictEqual(a, Int32Array.of(1, 2), "value ops do not write their operands");
});

test("logical ops keep the operands' kind", () => {
  assert.equal(LAND.combine(true, false), false);
  assert.equal(LOR.combine(false, true), true);
  assert.equal(LXOR.combine(true, true), false);
  assert.equal(LAND.combine(2, 3), 1);
  assert.equal(LOR.combine(0, 0), 0);
  assert.equal(LXOR.combine(1n, 0n), 1n);
  assert.deepStrictEqual(LAND.combine([true, 1], [true, 0]), [true, 0]);
});

test("bitwise ops keep every bit of integers of any safe size", () => {
  assert.equal(BAND.combine(0b1100, 0b1010), 0b1000);
  assert.equal(BOR.combine(-1, 0), -1);
  assert.equal(BOR.combine(0x8000_0000, 1), 0x8000_0001, "uint32 values stay unsigned");
  assert.equal(BXOR.combine(2 ** 40, 2 ** 40 + 5), 5);
  assert.equal(BAND.combine(0xffff_ffff, 0xf0f0_f0f0), 0xf0f0_f0f0);
  assert.equal(BXOR.combine(1n << 100n, 1n), (1n << 100n) + 1n);
  assert.equal(BAND.combine(true, false), false);
  assertThrowsMpiError(
    () => BAND.combine(1.5, 1),
    ErrorCode.ERR_OP,
    /BAND cannot combine a number and a number/,
  );
  assertThrowsMpiError(
    () => BOR.combine(Float64Array.of(1), Float64Array.of(2)),
    ErrorCode.ERR_OP,
    /BOR is not defined on Float64Array/,
  );
});

test("MAXLOC and MINLOC pick the value and its index, the smaller index on ties", () => {
  assert.deepStrictEqual(MAXLOC.combine([3, 7], [5, 2]), [5, 2]);
  assert.deepStrictEqual(MAXLOC.combine([5, 7], [5, 2]), [5, 2]);
  assert.deepStrictEqual(MINLOC.combine([1, 0], [1, 4]), [1, 0]);
  assert.deepStrictEqual(MINLOC.combine(["b", 1], ["a", 2]), ["a", 2]);
  assert.deepStrictEqual(
    MAXLOC.combine([[1, 0], [9, 0]], [[2, 1], [3, 1]]),
    [[2, 1], [9, 0]],
    "element-wise on arrays of pairs",
  );
  // Typed arrays: interleaved (value, index) pairs.
  assert.deepStrictEqual(
    MAXLOC.combine(Float64Array.of(1, 0, 7, 0, 4, 0), Float64Array.of(2, 1, 7, 1, 3, 1)),
    Float64Array.of(2, 1, 7, 0, 4, 0),
  );
  assert.deepStrictEqual(
    MINLOC.combine(Int32Array.of(5, 3, 5, 9), Int32Array.of(5, 2, 6, 1)),
    Int32Array.of(5, 2, 5, 9),
  );
  assertThrowsMpiError(
    () => MAXLOC.combine(3, 4),
    ErrorCode.ERR_OP,
    /MAXLOC cannot combine a number and a number/,
  );
});

test("operands that do not fit together are errors naming the op and the operands", () => {
  assertThrowsMpiError(
    () => SUM.combine("a", 1),
    ErrorCode.ERR_OP,
    /combine: SUM cannot combine a string and a number/,
  );
  assertThrowsMpiError(
    () => SUM.combine(1, 1n),
    ErrorCode.ERR_OP,
    /SUM cannot combine a number and a bigint/,
  );
  assertThrowsMpiError(
    () => PROD.combine({}, {}),
    ErrorCode.ERR_OP,
    /PROD cannot combine an instance of Object and an instance of Object/,
  );
  assertThrowsMpiError(
    () => SUM.combine([1, 2], [1]),
    ErrorCode.ERR_COUNT,
    /SUM got arrays of 2 and 1 items/,
  );
  assertThrowsMpiError(
    () => SUM.combine(Float64Array.of(1), Float32Array.of(1)),
    ErrorCode.ERR_TYPE,
    /SUM cannot combine a Float64Array and a Float32Array/,
  );
  assertThrowsMpiError(
    () => SUM.combine(Int8Array.of(1), Int8Array.of(1, 2)),
    ErrorCode.ERR_COUNT,
    /SUM got operands of 1 and 2 elements/,
  );
  assertThrowsMpiError(
    () => SUM.reduceValues("allreduce", [1], 5),
    ErrorCode.ERR_OP,
    /^allreduce: SUM cannot combine an array and a number/,
  );
});

test("Op.Create makes an op from a function: whole values, element by element on buffers", () => {
  const concat = Op.Create((a: string, b: string) => `${a}|${b}`, false);
  assert.equal(concat.commute, false);
  assert.equal(concat.Is_commutative(), false);
  assert.equal(concat.combine("x", "y"), "x|y");
  const hypot = Op.Create((a: number, b: number) => Math.hypot(a, b));
  assert.equal(hypot.commute, true, "commutative by default");
  assert.equal(hypot.combine(3, 4), 5);
  const inout = Float64Array.of(4, 12);
  hypot.Reduce_local(Float64Array.of(3, 5), inout);
  assert.deepStrictEqual(inout, Float64Array.of(5, 13));
  assertThrowsMpiError(
    () => Op.Create(42 as never),
    ErrorCode.ERR_OP,
    /Op.Create: fn must be a function, not a number/,
  );
});

test("toOp takes an Op or a plain function (made once), and names the call otherwise", () => {
  assert.equal(toOp("reduce", SUM), SUM);
  const fn = (a: number, b: number) => a - b;
  const op = toOp("reduce", fn);
  assert.equal(toOp("reduce", fn), op);
  assert.equal(op.combine(5, 3), 2);
  assertThrowsMpiError(
    () => toOp("reduce", "SUM"),
    ErrorCode.ERR_OP,
    /^reduce: op must be an Op \(such as SUM\) or a function, not a string/,
  );
});

test("a Node Buffer reduces as the Uint8Array it is", () => {
  const inout = Buffer.from([1, 2, 3]);
  SUM.Reduce_local(Uint8Array.of(1, 1, 1), inout);
  assert.deepStrictEqual([...inout], [2, 3, 4]);
});
