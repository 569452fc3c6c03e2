/** Derived datatypes against the same layouts computed by hand; pack and unpack; resolution of buffer forms. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../lib/errors.ts";
import { BYTE, DOUBLE, INT, INT16_T, INT32_T } from "../../lib/datatypes/basic.ts";
import { Datatype, ORDER_C, ORDER_FORTRAN } from "../../lib/datatypes/datatype.ts";
import { resolveBuffer } from "../../lib/datatypes/typed_buffer.ts";
import { collectWriteBacks } from "../../lib/datatypes/staging.ts";
import { vBufferArg } from "../../lib/collectives/buffer_args.ts";
import { assertThrowsMpiError } from "../_helpers/assert_mpi_error.ts";

/** 0, 1, 2, ... so that a packed element says which element of the buffer it came from. */
function indices(length: number): Float64Array {
  return Float64Array.from({ length }, (_, i) => i);
}

/** The indices of the elements `count` elements of `type` pick out of a Float64Array of `length`. */
function picked(type: Datatype, length: number, count = 1): number[] {
  const packed = new Float64Array(type.Pack_size(count) / 8);
  const source = indices(length);
  const end = type.Pack(source, packed, 0);
  assert.equal(end, count * type.size);
  return Array.from(packed);
}

test("Create_vector picks blocks of blocklength every stride elements", () => {
  const type = DOUBLE.Create_vector(3, 2, 5).Commit();
  assert.deepEqual(picked(type, 12), [0, 1, 5, 6, 10, 11]);
  assert.equal(type.Get_size(), 6 * 8);
  assert.deepEqual(type.Get_extent(), [0, 12 * 8]); // from element 0 to the end of element 11
});

test("Create_hvector takes its stride in bytes", () => {
  const type = DOUBLE.Create_hvector(3, 1, 3 * 8).Commit();
  assert.deepEqual(picked(type, 7), [0, 3, 6]);
});

test("Create_indexed and Create_indexed_block place blocks at element displacements", () => {
  assert.deepEqual(picked(DOUBLE.Create_indexed([2, 1, 3], [0, 4, 7]).Commit(), 10), [0, 1, 4, 7, 8, 9]);
  assert.deepEqual(picked(DOUBLE.Create_indexed_block(2, [6, 1]).Commit(), 8), [6, 7, 1, 2]);
  assert.deepEqual(picked(DOUBLE.Create_hindexed([1, 2], [16, 40]).Commit(), 8), [2, 5, 6]);
  const type = DOUBLE.Create_indexed([2, 1, 3], [0, 4, 7]);
  assert.deepEqual(type.Get_extent(), [0, 80]);
});

test("a contiguous run of vectors steps by the vector's extent", () => {
  const column = DOUBLE.Create_vector(2, 1, 4); // extent: 5 doubles
  assert.deepEqual(picked(column.Create_contiguous(2).Commit(), 10), [0, 4, 5, 9]);
});

test("Create_resized makes consecutive columns of a row-major grid", () => {
  // A 3 x 4 grid; a column resized to one double steps to the next column.
  const column = DOUBLE.Create_vector(3, 1, 4).Create_resized(0, 8).Commit();
  assert.deepEqual(column.Get_extent(), [0, 8]);
  assert.deepEqual(column.Get_true_extent(), [0, (2 * 4 + 1) * 8]);
  assert.deepEqual(picked(column, 10, 2), [0, 4, 8, 1, 5, 9]); // two columns fit in 10 doubles
});

test("Create_subarray in C order: the last dimension varies fastest", () => {
  // sizes 4 x 5, the 2 x 3 block at (1, 1): element (i, j) is at i * 5 + j.
  const type = DOUBLE.Create_subarray([4, 5], [2, 3], [1, 1], ORDER_C).Commit();
  assert.deepEqual(picked(type, 20), [6, 7, 8, 11, 12, 13]);
  assert.deepEqual(type.Get_extent(), [0, 20 * 8]);
  const cube = DOUBLE.Create_subarray([2, 3, 4], [2, 1, 2], [0, 2, 1]).Commit(); // (i, j, k) at 12i + 4j + k
  assert.deepEqual(picked(cube, 24), [9, 10, 21, 22]);
});

test("Create_subarray in Fortran order: the first dimension varies fastest", () => {
  // sizes 4 x 5 column-major: element (i, j) is at i + 4 * j; the 2 x 3 block at (1, 2).
  const type = DOUBLE.Create_subarray([4, 5], [2, 3], [1, 2], ORDER_FORTRAN).Commit();
  assert.deepEqual(picked(type, 20), [9, 10, 13, 14, 17, 18]);
  assert.deepEqual(type.Get_extent(), [0, 20 * 8]);
});

test("Create_struct on a DataView: members at their offsets, padding skipped, extent rounded up", () => {
  // struct { int32 a; /* 4 bytes padding */ double b; int16 c; /* 6 bytes padding */ }: 24 bytes in C.
  const record = Datatype.Create_struct([1, 1, 1], [0, 8, 16], [INT32_T, DOUBLE, INT16_T]).Commit();
  assert.equal(record.Get_size(), 4 + 8 + 2);
  assert.deepEqual(record.Get_extent(), [0, 24]);
  assert.deepEqual(record.Get_true_extent(), [0, 18]);
  const records = new DataView(new ArrayBuffer(48));
  for (let r = 0; r < 2; r++) {
    records.setInt32(r * 24, 100 + r, true);
    records.setFloat64(r * 24 + 8, 0.5 + r, true);
    records.setInt16(r * 24 + 16, -7 - r, true);
    records.setUint32(r * 24 + 4, 0xdeadbeef); // padding, which must not travel
  }
  const packed = new DataView(new ArrayBuffer(record.Pack_size(2)));
  assert.equal(record.Pack(records, packed, 0), 28);
  const expected = [[0, 100, 4], [4, 0.5, 8], [12, -7, 2], [14, 101, 4], [18, 1.5, 8], [26, -8, 2]];
  for (const [at, value, width] of expected) {
    const got = width === 4
      ? packed.getInt32(at, true)
      : width === 8
      ? packed.getFloat64(at, true)
      : packed.getInt16(at, true);
    assert.equal(got, value, `packed byte ${at}`);
  }
  const back = new DataView(new ArrayBuffer(48));
  assert.equal(record.Unpack(packed, 0, back, undefined), 28);
  assert.equal(back.getUint32(4), 0, "padding left alone");
  assert.equal(back.getFloat64(32, true), 1.5);
});

test("Pack and Unpack round-trip at successive positions, and keep every bit of a NaN", () => {
  const column = DOUBLE.Create_vector(4, 1, 3).Commit();
  const grid = indices(12);
  new DataView(grid.buffer).setUint32(3 * 8 + 4, 0x7ff00001, true); // a signalling NaN at element 3
  new DataView(grid.buffer).setUint32(3 * 8, 0x12345678, true);
  const packed = new Uint8Array(8 + column.Pack_size(1) + column.Pack_size(1));
  let position = column.Pack(grid, packed, 8);
  position = column.Pack(grid.subarray(2), packed, position);
  assert.equal(position, 8 + 64);
  const back = new Float64Array(12);
  const at = column.Unpack(packed, 8, back);
  column.Unpack(packed, at, back.subarray(2));
  const bits = (a: Float64Array) => Array.from(new Uint32Array(a.buffer));
  const expected = new Float64Array(12);
  for (const i of [0, 3, 6, 9, 2, 5, 8, 11]) expected[i] = grid[i];
  new Uint32Array(expected.buffer).set(new Uint32Array(grid.buffer, 24, 2), 6);
  assert.deepEqual(bits(back), bits(expected));
  assertThrowsMpiError(
    () => column.Pack(grid, new Uint8Array(31), 0),
    ErrorCode.ERR_TRUNCATE,
    /31 bytes of outbuf/,
  );
});

test("an uncommitted or freed datatype is refused by name; a basic one cannot be freed", () => {
  const column = DOUBLE.Create_vector(2, 1, 2);
  column.Set_name("column");
  assertThrowsMpiError(
    () => resolveBuffer([new Float64Array(4), 1, column], "Send", "buf"),
    ErrorCode.ERR_TYPE,
    /^Send: buf's datatype column is not committed/,
  );
  column.Commit().Free();
  assertThrowsMpiError(
    () => resolveBuffer([new Float64Array(4), 1, column], "Recv", "buf"),
    ErrorCode.ERR_TYPE,
    /^Recv: buf's datatype column has been freed/,
  );
  assertThrowsMpiError(() => column.Create_contiguous(2), ErrorCode.ERR_TYPE, /freed/);
  assertThrowsMpiError(() => INT.Free(), ErrorCode.ERR_TYPE, /MPI_INT is a basic datatype/);
});

test("bad constructor arguments name the call and the argument", () => {
  assertThrowsMpiError(
    () => DOUBLE.Create_vector(-1, 1, 1),
    ErrorCode.ERR_COUNT,
    /Create_vector: count is -1/,
  );
  assertThrowsMpiError(
    () => DOUBLE.Create_subarray([4, 4], [2, 3], [0, 2]),
    ErrorCode.ERR_ARG,
    /dimension 1: subsize 3 at start 2 does not fit size 4/,
  );
  assertThrowsMpiError(() => DOUBLE.Create_subarray([4], [2], [0], 7), ErrorCode.ERR_ARG, /order 7/);
  assertThrowsMpiError(
    () => Datatype.Create_struct([1, 1], [0], [INT, DOUBLE]),
    ErrorCode.ERR_ARG,
    /same length \(got 2, 1, 2\)/,
  );
});

test("a contiguous datatype form is a view of the user's memory; a strided one is staged and written back", () => {
  const data = indices(8);
  const whole = resolveBuffer([data, DOUBLE], "Send", "buf");
  assert.equal(whole.bytes.buffer, data.buffer);
  assert.equal(whole.bytes.length, 64);
  const three = resolveBuffer([data, 3, DOUBLE.Create_contiguous(1).Commit()], "Send", "buf");
  assert.equal(three.bytes.buffer, data.buffer);
  assert.equal(three.bytes.length, 24);
  const evens = DOUBLE.Create_vector(4, 1, 2).Commit();
  const [view, writeBacks] = collectWriteBacks(() => resolveBuffer([data, 1, evens], "Recv", "recvbuf"));
  assert.notEqual(view.bytes.buffer, data.buffer);
  assert.deepEqual(Array.from(view.array as Float64Array), [0, 2, 4, 6]);
  (view.array as Float64Array).set([10, 12, 14, 16]);
  assert.equal(writeBacks.length, 1);
  writeBacks[0]();
  assert.deepEqual(Array.from(data), [10, 1, 12, 3, 14, 5, 16, 7]);
  const [, sendWriteBacks] = collectWriteBacks(() => resolveBuffer([data, 1, evens], "Gather", "sendbuf"));
  assert.equal(sendWriteBacks.length, 0, "a send buffer is never written back");
});

test("datatype forms check their count against the buffer", () => {
  const evens = DOUBLE.Create_vector(4, 1, 2).Commit();
  assertThrowsMpiError(
    () => resolveBuffer([new Float64Array(8), 2, evens], "Send", "buf"),
    ErrorCode.ERR_COUNT,
    /^Send: 2 elements of the datatype in buf span bytes 0 to 112, outside the 64 bytes of the buffer/,
  );
  assertThrowsMpiError(
    () => resolveBuffer([new Uint8Array(10), DOUBLE], "Send", "buf"),
    ErrorCode.ERR_COUNT,
    /10 bytes/,
  );
  assertThrowsMpiError(
    () => resolveBuffer([new Float64Array(2), -1, DOUBLE], "Send", "buf"),
    ErrorCode.ERR_COUNT,
  );
  assert.equal(resolveBuffer([new Uint8Array(10), BYTE], "Send", "buf").bytes.length, 10);
  // [buf, datatype] takes as many whole elements as fit.
  assert.equal(resolveBuffer([new Float64Array(9), evens], "Send", "buf").bytes.length, 32);
});

test("v-buffers with a datatype: counts in elements, displacements in extents, blocks packed by rank", () => {
  const pair = INT.Create_indexed_block(1, [0, 2]).Create_resized(0, 12).Commit(); // ints 0 and 2 of 3
  const source = Int32Array.from({ length: 18 }, (_, k) => k);
  const [arg, writeBacks] = collectWriteBacks(() =>
    vBufferArg("Scatterv", [source, [1, 2], [4, 1], pair], "sendbuf", 2)
  );
  assert.deepEqual(Array.from(arg.vector as Int32Array), [12, 14, 3, 5, 6, 8]);
  assert.deepEqual([arg.starts, arg.lengths], [[0, 8], [8, 16]]);
  assert.equal(writeBacks.length, 0);
  const contiguous = vBufferArg("Gatherv", [source, [2, 3], [5, 0], INT], "recvbuf", 2);
  assert.equal(contiguous.bytes.buffer, source.buffer, "a basic datatype's blocks stay in the user's array");
  assert.deepEqual([contiguous.starts, contiguous.lengths], [[20, 0], [8, 12]]);
  assertThrowsMpiError(
    () => vBufferArg("Gatherv", [source, [2, 3], [5, 0], pair], "recvbuf", 2),
    ErrorCode.ERR_COUNT,
    /the block of rank 0 in recvbuf span bytes 60 to 84, outside the 72 bytes/,
  );
});
