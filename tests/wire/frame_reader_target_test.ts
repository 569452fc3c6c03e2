import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameKind, HEADER_SIZE, writeHeader } from "../../lib/wire/frame.ts";
import { FrameReader } from "../../lib/wire/frame_reader.ts";

function frame(payload: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(bytes, {
    length: payload.length,
    kind: FrameKind.RDATA,
    flags: 0,
    context: 0,
    source: 1,
    tag: 0,
    seq: 4,
    size: 0,
  });
  bytes.set(payload, HEADER_SIZE);
  return bytes;
}

const payload = new Uint8Array(1000).map((_, i) => i & 255);

test("a payload that spans chunks is assembled in the buffer the target names", () => {
  const into = new Uint8Array(1200);
  const reader = new FrameReader(1 << 20, (header) => header.seq === 4 ? into : undefined);
  const bytes = frame(payload);
  assert.deepEqual(reader.push(bytes.subarray(0, 100)), []);
  const [done] = reader.push(bytes.subarray(100));
  assert.equal(done.payload.buffer, into.buffer);
  assert.equal(done.payload.byteOffset, 0);
  assert.deepEqual(done.payload, payload);
});

test("a target too small for the payload is ignored", () => {
  const into = new Uint8Array(999);
  const reader = new FrameReader(1 << 20, () => into);
  const bytes = frame(payload);
  reader.push(bytes.subarray(0, 40));
  const [done] = reader.push(bytes.subarray(40));
  assert.notEqual(done.payload.buffer, into.buffer);
  assert.deepEqual(done.payload, payload);
  assert.ok(into.every((byte) => byte === 0));
});

test("bytes a socket read straight into pendingPayload are not copied again", () => {
  const reader = new FrameReader(1 << 20);
  const bytes = frame(payload);
  reader.push(bytes.subarray(0, HEADER_SIZE + 10));
  const pending = reader.pendingPayload!;
  assert.equal(pending.length, 990);
  pending.set(bytes.subarray(HEADER_SIZE + 10, HEADER_SIZE + 500));
  assert.deepEqual(reader.push(pending.subarray(0, 490)), []);
  const rest = reader.pendingPayload!;
  assert.equal(rest.length, 500);
  rest.set(bytes.subarray(HEADER_SIZE + 500));
  const [done] = reader.push(rest);
  assert.deepEqual(done.payload, payload);
  assert.equal(reader.pendingPayload, undefined);
});
