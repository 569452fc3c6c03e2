/**
 * The producer thread of `byte_ring_test.ts`: writes `total` bytes (byte i is i * 7 mod 256) into the ring in
 * writes of random sizes and `atLeast`, spinning while it is full.
 */

import { ByteRing } from "../../lib/transport/byte_ring.ts";

interface Order {
  memory: Uint8Array;
  capacity: number;
  total: number;
  seed: number;
}

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
scope.onmessage = (event: MessageEvent<Order>) => {
  const { memory, capacity, total } = event.data;
  let seed = event.data.seed;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) | 0;
    return (seed >>> 8) / 2 ** 24;
  };
  const producer = new ByteRing(memory, capacity);
  const source = Uint8Array.from({ length: total + 2048 }, (_, i) => i * 7 & 255);
  scope.postMessage("started");
  for (let written = 0; written < total;) {
    const length = Math.min(total - written, 1 + Math.floor(next() * 2000));
    written += producer.write(source.subarray(written, written + length), 1 + Math.floor(next() * 512));
  }
};
