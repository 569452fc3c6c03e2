/**
 * The byte ring on its own: what goes in comes out in order, across the end of the data area, for copies
 * small (byte by byte) and large (views); a full ring takes nothing more; records' headers and padding take
 * room; and a producer on another thread, writing as the consumer reads, loses and reorders nothing.
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

/** Reads everything waiting, in one call. */
function drain(consumer: ByteRing): Uint8Array {
  const target = new Uint8Array(1 << 16);
  return target.slice(0, consumer.read(target));
}

test("writes of every size from 1 to 300 bytes come out whole and in order, wrapping around", () => {
  const { producer, consumer } = pair(512);
  let written = 0;
  for (let size = 1; size <= 300; size++) {
    const message = bytes(written, size);
    assert.equal(producer.write(message), size, `write of ${size} bytes`);
    assert.ok(consumer.available() > 0, `${size} bytes wait`);
    const target = new Uint8Array(size + 7);
    assert.equal(consumer.read(target), size, `read of ${size} bytes`);
    assert.deepEqual(target.subarray(0, size), message, `${size} bytes after ${written}`);
    assert.equal(consumer.available(), 0, "nothing is left");
    written += size;
  }
  assert.equal(consumer.read(new Uint8Array(8)), 0, "an empty ring reads nothing");
});

test("headers and padding take room; a record read in part frees nothing until it is read whole", () => {
  const { producer, consumer } = pair(64);
  assert.equal(producer.write(bytes(0, 40)), 40, "a record of 48 bytes");
  assert.equal(producer.write(bytes(40, 50)), 4, "room for a header and 4 bytes, with a word kept free");
  assert.equal(producer.write(bytes(44, 1)), 0, "a full ring takes nothing");
  const first = new Uint8Array(10);
  assert.equal(consumer.available(), 40, "the first record");
  assert.equal(consumer.read(first), 10);
  assert.deepEqual(first, bytes(0, 10));
  assert.equal(consumer.available(), 30, "the rest of the first record");
  assert.equal(producer.write(bytes(44, 1)), 0, "a record read in part frees nothing");
  assert.deepEqual(drain(consumer), bytes(10, 34), "the rest, from both records");
  assert.equal(producer.write(bytes(44, 30)), 30, "written across the end of the data, in two records");
  assert.deepEqual(drain(consumer), bytes(44, 30), "and read back in order");
});

test("with atLeast, a write that does not fit whole waits for that much room, then goes in pieces", () => {
  const { producer, consumer } = pair(64);
  assert.equal(producer.write(bytes(0, 40)), 40);
  assert.equal(producer.write(bytes(40, 20), 16), 0, "room for 4 bytes: less than the 20 nor 16");
  assert.equal(producer.write(bytes(40, 4), 16), 4, "a write that fits whole goes in whatever atLeast is");
  assert.deepEqual(drain(consumer), bytes(0, 44));
  assert.equal(producer.write(bytes(44, 60), 16), 48, "enough room for a piece: as much as fits");
  assert.deepEqual(drain(consumer), bytes(44, 48), "the bytes come out in order");
});

test("a ring's size and memory are checked", () => {
  assert.throws(
    () => new ByteRing(new Uint8Array(RING_HEADER_BYTES + 48), 48),
    /does not fit/,
    "not a power of two",
  );
  assert.throws(() => new ByteRing(new Uint8Array(RING_HEADER_BYTES + 8), 8), /does not fit/, "too small");
  assert.throws(
    () => new ByteRing(new Uint8Array(RING_HEADER_BYTES + 32), 64),
    /does not fit/,
    "memory too short",
  );
});

/** A small seeded generator (mulberry32): the same runs every time. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

test("random writes and reads of every size keep the stream whole, in order, and never stall an empty ring", () => {
  const capacity = 256;
  const { producer, consumer } = pair(capacity);
  const next = random(7);
  let written = 0, read = 0;
  for (let step = 0; step < 20_000; step++) {
    if (next() < 0.5) {
      const length = 1 + Math.floor(next() * 300);
      const atLeast = 1 + Math.floor(next() * 64);
      const empty = written === read;
      const count = producer.write(bytes(written, length), atLeast);
      assert.ok(
        count === 0 || count === length || count >= atLeast,
        `wrote ${count} of ${length} (${atLeast})`,
      );
      if (empty && length <= capacity / 2 - 16) {
        assert.equal(count, length, "an empty ring takes a small write");
      }
      written += count;
    } else {
      assert.equal(consumer.available() > 0, written > read, `bytes wait: ${written - read}`);
      const target = new Uint8Array(1 + Math.floor(next() * 400));
      const count = consumer.read(target);
      assert.equal(
        count,
        Math.min(target.length, written - read),
        "a read takes what waits, up to its target",
      );
      assert.deepEqual(target.subarray(0, count), bytes(read, count), `bytes ${read} to ${read + count}`);
      read += count;
    }
  }
  assert.ok(written > 500_000, `the stream went round the ring many times (${written} bytes)`);
});

test("a producer on another thread: the consumer reads its whole stream in order while it writes", async () => {
  const capacity = 4096, total = 4 << 20;
  const memory = new Uint8Array(new SharedArrayBuffer(RING_HEADER_BYTES + capacity));
  const consumer = new ByteRing(memory, capacity);
  const worker = new Worker(new URL("./_ring_producer.ts", import.meta.url).href, { type: "module" });
  try {
    const started = new Promise((resolve, reject) => {
      worker.onmessage = resolve;
      worker.onerror = reject;
    });
    worker.postMessage({ memory, capacity, total, seed: 11 });
    await started;
    const target = new Uint8Array(1500), next = random(3);
    let read = 0, spins = 0;
    const deadline = performance.now() + 60_000;
    while (read < total) {
      const count = consumer.read(target.subarray(0, 1 + Math.floor(next() * target.length)));
      for (let i = 0; i < count; i++) {
        if (target[i] !== ((read + i) * 7 & 255)) assert.fail(`byte ${read + i} is ${target[i]}`);
      }
      read += count;
      if (count === 0 && ++spins % 4096 === 0 && performance.now() > deadline) {
        assert.fail(`stalled at ${read}`);
      }
    }
    assert.equal(read, total);
    assert.equal(consumer.available(), 0, "nothing more than the stream");
  } finally {
    worker.terminate();
  }
});
