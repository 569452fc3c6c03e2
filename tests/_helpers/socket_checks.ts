/**
 * Checks shared by the socket tests (`tests/runtime/`): collecting what a socket receives without copying
 * chunks, and the "small, 16 MiB, small" write order.
 */

import assert from "node:assert/strict";
import type { SocketHandle } from "../../lib/runtime/runtime.ts";
import { concatBytes } from "../../lib/wire/buffers.ts";

/**
 * Keeps every chunk `socket` delivers, uncopied (a chunk must stay valid after the callback: frame payloads
 * are views of it), and joins them on demand.
 */
export function collect(socket: SocketHandle): { bytes: () => Uint8Array; received: () => number } {
  const chunks: Uint8Array[] = [];
  let received = 0;
  socket.onData((chunk) => {
    chunks.push(chunk);
    received += chunk.length;
  });
  return {
    received: () => received,
    bytes: () => new Uint8Array(concatBytes(chunks)), // a plain Uint8Array, even of one node:net Buffer
  };
}

/** Asserts that `bytes` are `small`, then `big` intact, then `small` again. */
export function assertSmallBigSmall(bytes: Uint8Array, small: Uint8Array, big: Uint8Array): void {
  assert.equal(bytes.length, 2 * small.length + big.length);
  assert.deepEqual(bytes.subarray(0, small.length), small);
  assert.ok(
    bytes.subarray(small.length, small.length + big.length).every((byte, i) => byte === big[i]),
    "the big write is intact",
  );
  assert.deepEqual(bytes.subarray(small.length + big.length), small);
}
