import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  bufferArg,
  checkLocalSize,
  copyVector,
  elementClass,
  equalBlocks,
  receivedVector,
  sizeMismatch,
  vBufferArg,
  vectorArg,
} from "../../lib/collectives/buffer_args.ts";
import { ErrorCode } from "../../lib/errors.ts";
import { assertThrowsMpiError } from "../_helpers/assert_mpi_error.ts";

test("bufferArg of a whole typed array is the array itself, with its bytes viewed alike", () => {
  const floats = Float64Array.of(1.5, -2, 3);
  const whole = bufferArg("Allreduce", floats, "sendbuf");
  assert.equal(whole.vector, floats);
  assert.equal(whole.elementSize, 8);
  assert.equal(whole.bytes.length, 24);
  assert.deepEqual([...new Float64Array(whole.bytes.buffer, whole.bytes.byteOffset, 3)], [1.5, -2, 3]);
  // A view into a larger buffer keeps its offset; a Uint8Array is its own bytes.
  const inner = new Int16Array(new ArrayBuffer(16), 4, 3);
  const innerArg = bufferArg("Bcast", inner, "buf");
  assert.equal(innerArg.vector, inner);
  assert.equal(innerArg.bytes.byteOffset, 4);
  assert.equal(innerArg.bytes.length, 6);
  const bytes = Uint8Array.of(7, 8);
  assert.equal(bufferArg("Bcast", bytes, "buf").bytes, bytes);
  // A subclass (Node's Buffer) and a DataView are viewed as standard arrays, not used as they are.
  const buffer = Buffer.from([1, 2, 3]);
  const fromBuffer = bufferArg("Bcast", buffer, "buf");
  assert.equal(fromBuffer.vector?.constructor, Uint8Array);
  assert.deepEqual([...fromBuffer.bytes], [1, 2, 3]);
  const view = bufferArg("Bcast", new DataView(new ArrayBuffer(4)), "buf");
  assert.equal(view.vector, undefined);
  assert.equal(view.bytes.length, 4);
  // vBufferArg keeps every field of a whole array's argument.
  const blocks = vBufferArg("Scatterv", [Float64Array.of(1, 2, 3, 4), [2, 2]], "sendbuf", 2);
  assert.equal(blocks.bytes.length, 32);
  assert.equal(blocks.elementSize, 8);
  assert.deepEqual(blocks.starts, [0, 16]);
});

test("bufferArg sees typed arrays, ArrayBuffers and [buf, count] as bytes and elements", () => {
  const floats = new Float64Array(6);
  const arg = bufferArg("Bcast", [floats, 2], "buf");
  assert.equal(arg.bytes.length, 16);
  assert.equal(arg.elementSize, 8);
  assert.ok(
    arg.vector instanceof Float64Array && arg.vector.length === 2 && arg.vector.buffer === floats.buffer,
  );
  const raw = bufferArg("Bcast", new ArrayBuffer(5), "buf");
  assert.equal(raw.bytes.length, 5);
  assert.equal(raw.vector, undefined);
  assertThrowsMpiError(
    () => vectorArg("Allreduce", new ArrayBuffer(8), "sendbuf"),
    ErrorCode.ERR_TYPE,
    /Allreduce: sendbuf must be a typed array for a reduction/,
  );
  assertThrowsMpiError(
    () => bufferArg("Bcast", "text", "buf"),
    ErrorCode.ERR_TYPE,
    /Bcast: buf must be a TypedArray/,
  );
});

test("vBufferArg turns counts and displacements in elements into byte ranges, checked against the buffer", () => {
  const arg = vBufferArg("Scatterv", [new Float64Array(15), [4, 4, 4, 3]], "sendbuf", 4);
  assert.deepStrictEqual(arg.starts, [0, 32, 64, 96]);
  assert.deepStrictEqual(arg.lengths, [32, 32, 32, 24]);
  const gaps = vBufferArg("Gatherv", [new Int16Array(10), [1, 2], [8, 0]], "recvbuf", 2);
  assert.deepStrictEqual(gaps.starts, [16, 0]);
  assert.deepStrictEqual(gaps.lengths, [2, 4]);
  assertThrowsMpiError(
    () => vBufferArg("Scatterv", [new Float64Array(4), [1, 2]], "sendbuf", 3),
    ErrorCode.ERR_COUNT,
    /sendbuf counts has 2 entries, expected one per rank \(3\)/,
  );
  assertThrowsMpiError(
    () => vBufferArg("Scatterv", [new Float64Array(4), [2, 3]], "sendbuf", 2),
    ErrorCode.ERR_COUNT,
    /the block of rank 1 in sendbuf \(displacement 2, count 3\) ends past the 4 elements of the buffer/,
  );
  assertThrowsMpiError(
    () => vBufferArg("Gatherv", [new Float64Array(4), [1, -1]], "recvbuf", 2),
    ErrorCode.ERR_COUNT,
    /recvbuf counts\[1\] is -1/,
  );
  assertThrowsMpiError(
    () => vBufferArg("Gatherv", new Float64Array(4), "recvbuf", 2),
    ErrorCode.ERR_ARG,
    /recvbuf must be \[buf, counts\] or \[buf, counts, displs\]/,
  );
});

test("equalBlocks splits a buffer per rank or names the sizes", () => {
  assert.equal(equalBlocks("Gather", bufferArg("Gather", new Int32Array(12), "recvbuf"), "recvbuf", 4), 12);
  assertThrowsMpiError(
    () => equalBlocks("Gather", bufferArg("Gather", new Int32Array(10), "recvbuf"), "recvbuf", 4),
    ErrorCode.ERR_COUNT,
    /Gather: recvbuf has 10 elements, not a multiple of the communicator size 4/,
  );
});

test("size errors: ERR_TRUNCATE when more arrives than fits, ERR_COUNT when less", () => {
  const longer = sizeMismatch("Bcast", "root 0", 32, 16, "buf");
  assert.equal(longer.code, ErrorCode.ERR_TRUNCATE);
  assert.match(longer.message, /Bcast: root 0 sent 32 bytes, more than the 16 bytes of buf/);
  const shorter = sizeMismatch("Bcast", "root 0", 8, 16, "buf");
  assert.equal(shorter.code, ErrorCode.ERR_COUNT);
  assert.match(shorter.message, /Bcast: root 0 sent 8 bytes, but buf holds 16 bytes/);
  checkLocalSize("Allreduce", "sendbuf", 8, 8, "recvbuf");
  assertThrowsMpiError(
    () => checkLocalSize("Allreduce", "sendbuf", 24, 16, "recvbuf"),
    ErrorCode.ERR_TRUNCATE,
    /sendbuf has 24 bytes, but recvbuf holds 16 bytes/,
  );
  assertThrowsMpiError(
    () => checkLocalSize("Allreduce", "sendbuf", 8, 16, "recvbuf"),
    ErrorCode.ERR_COUNT,
    /sendbuf has 8 bytes, but recvbuf holds 16 bytes/,
  );
});

test("received bytes become a typed view when aligned and an aligned copy when not", () => {
  const backing = new Uint8Array(8 * 3 + 1);
  new Float64Array(backing.buffer, 8, 2).set([1.5, 2.5]);
  const aligned = receivedVector(backing.subarray(8, 24), Float64Array.of(0));
  assert.equal(aligned.buffer, backing.buffer);
  assert.deepStrictEqual(aligned, Float64Array.of(1.5, 2.5));
  const shifted = new Uint8Array(backing.length);
  shifted.set(backing.subarray(8, 24), 1);
  const copy = receivedVector(shifted.subarray(1, 17), Float64Array.of(0));
  assert.notEqual(copy.buffer, shifted.buffer);
  assert.deepStrictEqual(copy, Float64Array.of(1.5, 2.5));
});

test("element classes are the standard ones, a Node Buffer counting as Uint8Array", () => {
  assert.equal(elementClass(Buffer.alloc(2)), Uint8Array);
  assert.equal(elementClass(new Uint8ClampedArray(1)), Uint8ClampedArray);
  const copy = copyVector(Buffer.from([1, 2]));
  assert.equal(copy.constructor, Uint8Array);
  assert.deepStrictEqual([...copy], [1, 2]);
});
