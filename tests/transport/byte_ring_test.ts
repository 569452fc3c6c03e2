/**
 * The byte ring on its own: what goes in comes out in order, across the end of the data area, for copies
 * small (byte by byte) and large (views), and a full ring takes nothing more.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteRing, RING_HEADER_BYTES } from "../../lib/transport/byte_ring.ts";

/** A producer and a consumer over one fresh memory of `capacity` data bytes. */
function pair(capacity: number): { producer: ByteRing; consumer: ByteRing } {
  const memory = new Uint8Array(RING_HEADER_BYTES + capacity);
  return { producer: new ByteRing(memory, capacity), consumer: new ByteRing(memory, capacity) };
}

/** `length` bytes counting up from `from` (mod 256). */
const bytes = (from: number, length: number) => Uint8Array.from({ length }, (_, i) => (from + i) & 255);

test("writes of every size from 1 to 300 bytes come out whole and in order, wrapping around", () => {
  const { producer, consumer } = pair(512);
  let written = 0;
  for (let size = 1; size <= 300; size++) {
    const message = bytes(written, size);
    assert.equal(producer.write(message), size, `write of ${size} bytes`);
    assert.equal(consumer.available(), size);
    const target = new Uint8Array(size + 7);
    assert.equal(consumer.read(target), size, `read of ${size} bytes`);
    assert.deepEqual(target.subarray(0, size), message, `${size} bytes at offset ${written % 512}`);
    written += size;
  }
  assert.equal(consumer.read(new Uint8Array(8)), 0, "an empty ring reads nothing");
});

test("a full ring takes only what fits, and reads in smaller pieces than were written", () => {
  const { producer, consumer } = pair(64);
  assert.equal(producer.write(bytes(0, 50)), 50);
  assert.equal(producer.write(bytes(50, 50)), 14, "only 14 bytes fit");
  assert.equal(producer.write(bytes(64, 1)), 0, "a full ring takes nothing");
  const first = new Uint8Array(10);
  assert.equal(consumer.read(first), 10);
  assert.deepEqual(first, bytes(0, 10));
  assert.equal(producer.write(bytes(64, 30)), 10, "room for the 10 bytes read");
  const rest = new Uint8Array(100);
  assert.equal(consumer.read(rest), 64);
  assert.deepEqual(rest.subarray(0, 64), bytes(10, 64), "across the end of the data area");
});

test("with atLeast, a write that does not fit whole waits for that much room, then goes in pieces", () => {
  const { producer, consumer } = pair(64);
  assert.equal(producer.write(bytes(0, 50)), 50);
  assert.equal(producer.write(bytes(50, 20), 16), 0, "14 bytes free: less than the 20 nor 16");
  assert.equal(producer.write(bytes(50, 10), 16), 10, "a write that fits whole goes in whatever atLeast is");
  consumer.read(new Uint8Array(30)); // 34 free now
  assert.equal(producer.write(bytes(60, 40), 16), 34, "enough room for a piece: as much as fits");
  const rest = new Uint8Array(64);
  assert.equal(consumer.read(rest), 64);
  assert.deepEqual(rest, bytes(30, 64), "the bytes come out in order");
});
