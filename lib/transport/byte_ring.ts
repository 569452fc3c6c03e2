/**
 * A single-producer, single-consumer byte ring in memory shared by two processes of one host: the producer
 * copies bytes in and publishes its index, the consumer copies them out and publishes its own, both with
 * `Atomics` (the sequentially consistent order that makes a flag and an index safe to read across
 * processes). Pure: it knows nothing of how the memory was mapped.
 *
 * ```
 * byte 0     tail: bytes ever written (producer), wrapping as an int32
 * byte 128   head: bytes ever read (consumer)
 * byte 256   the consumer sleeps in poll(2): the producer must wake it after writing
 * byte 4096  the data, `capacity` bytes (a power of two)
 * ```
 *
 * The indices are 128 bytes apart, not 64: Intel's L2 prefetcher fetches cache lines in aligned pairs, so two
 * indices on neighbouring lines would still pass between the cores together.
 *
 * @module
 */

const TAIL = 0;
const HEAD = 32;
const SLEEPING = 64;
/**
 * Copies of up to this many bytes go byte by byte: cheaper than the views (objects) that `set` needs, for
 * the frames of small messages (a header and a few bytes).
 */
const SMALL_COPY = 64;
/** Where the data starts: the indices sit in cache lines of their own before it. */
export const RING_HEADER_BYTES = 4096;

/**
 * One direction of a pair of ranks.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteRing, RING_HEADER_BYTES } from "./byte_ring.ts";
 * const memory = new Uint8Array(RING_HEADER_BYTES + 16);
 * const producer = new ByteRing(memory, 16), consumer = new ByteRing(memory, 16);
 * assert.equal(producer.write(Uint8Array.of(1, 2, 3)), 3);
 * const target = new Uint8Array(8);
 * assert.equal(consumer.read(target), 3);
 * assert.deepEqual([...target.subarray(0, 3)], [1, 2, 3]);
 * ```
 */
export class ByteRing {
  readonly capacity: number;
  readonly #words: Int32Array;
  readonly #data: Uint8Array;
  readonly #mask: number;

  /** A ring over `memory` (zeroed when new), whose data part holds `capacity` bytes, a power of two. */
  constructor(memory: Uint8Array, capacity: number) {
    if (capacity & (capacity - 1) || memory.length < RING_HEADER_BYTES + capacity) {
      throw new RangeError(`a ring of ${capacity} bytes does not fit ${memory.length} bytes of memory`);
    }
    this.capacity = capacity;
    this.#mask = capacity - 1;
    this.#words = new Int32Array(memory.buffer, memory.byteOffset, RING_HEADER_BYTES / 4);
    this.#data = memory.subarray(RING_HEADER_BYTES, RING_HEADER_BYTES + capacity);
  }

  /** Bytes written and not read yet. */
  available(): number {
    return (Atomics.load(this.#words, TAIL) - Atomics.load(this.#words, HEAD)) | 0;
  }

  /**
   * Producer: copies as much of `bytes` as there is room for; returns the count (0 when full). With
   * `atLeast`, writes nothing unless all of `bytes` fit or `atLeast` bytes do: a ring that the consumer is
   * draining then takes a sender's queue in a few large pieces, not in as many small ones as the consumer's
   * reads free.
   */
  write(bytes: Uint8Array, atLeast = 1): number {
    const words = this.#words;
    const tail = Atomics.load(words, TAIL);
    const free = this.capacity - ((tail - Atomics.load(words, HEAD)) | 0);
    const count = Math.min(free, bytes.length);
    if (count === 0 || (count < bytes.length && count < atLeast)) return 0;
    const data = this.#data, mask = this.#mask;
    if (count <= SMALL_COPY) {
      for (let i = 0; i < count; i++) data[(tail + i) & mask] = bytes[i];
    } else {
      const at = tail & mask;
      const first = Math.min(count, this.capacity - at);
      data.set(first === bytes.length ? bytes : bytes.subarray(0, first), at);
      if (count > first) data.set(bytes.subarray(first, count), 0);
    }
    Atomics.store(words, TAIL, (tail + count) | 0);
    return count;
  }

  /** Consumer: copies up to `target.length` bytes out; returns the count (0 when empty). */
  read(target: Uint8Array): number {
    const words = this.#words;
    const head = Atomics.load(words, HEAD);
    const count = Math.min((Atomics.load(words, TAIL) - head) | 0, target.length);
    if (count === 0) return 0;
    const data = this.#data, mask = this.#mask;
    if (count <= SMALL_COPY) {
      for (let i = 0; i < count; i++) target[i] = data[(head + i) & mask];
    } else {
      const at = head & mask;
      const first = Math.min(count, this.capacity - at);
      target.set(data.subarray(at, at + first));
      if (count > first) target.set(data.subarray(0, count - first), first);
    }
    Atomics.store(words, HEAD, (head + count) | 0);
    return count;
  }

  /** Does the consumer sleep (so that a producer must wake it)? */
  get consumerSleeping(): boolean {
    return Atomics.load(this.#words, SLEEPING) !== 0;
  }

  /** Consumer: says that it sleeps, or no longer does. */
  set consumerSleeping(sleeping: boolean) {
    Atomics.store(this.#words, SLEEPING, sleeping ? 1 : 0);
  }
}
