/**
 * A connection builds small frames in a buffer it reuses while its socket copies every byte before `write`
 * returns; a socket that queues some of them keeps that buffer, and later frames must not overwrite it.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { SocketBase } from "../../lib/runtime/socket_base.ts";
import { Connection } from "../../lib/transport/connection.ts";
import { type FrameHeader, FrameKind } from "../../lib/wire/frame.ts";

/** A socket whose kernel takes at most `take` bytes per write until `flush`; what it took is kept in order. */
class Stingy extends SocketBase {
  readonly remoteAddress = "stingy";
  readonly localAddress = "127.0.0.1";
  readonly taken: number[] = [];
  take: number;

  constructor(take: number) {
    super();
    this.take = take;
  }

  /** Lets the kernel take everything queued. */
  flush(): void {
    this.take = Infinity;
    this.flushPending();
  }

  protected writeNow(bytes: Uint8Array): number {
    const count = Math.min(this.take, bytes.length);
    this.taken.push(...bytes.subarray(0, count));
    return count;
  }

  protected finishEnd(): void {
    this.markClosed(undefined);
  }

  destroy(): void {
    this.markClosed(undefined);
  }

  ref(): void {}
  unref(): void {}
}

const header = (tag: number): FrameHeader => ({
  length: 0,
  kind: FrameKind.EAGER,
  flags: 0,
  context: 0,
  source: 0,
  tag,
  seq: 0,
  size: 0,
});

/** The frames of `bytes`, as [tag, payload] pairs, read back with a connection over a loopback. */
function framesOf(bytes: number[]): [number, number[]][] {
  const frames: [number, number[]][] = [];
  const reader = new Stingy(0);
  const connection = new Connection(reader);
  connection.startFrames({
    onFrame: (frame, payload) => frames.push([frame.tag, [...payload]]),
    onClose: () => {},
  });
  (reader as unknown as { deliver(chunk: Uint8Array): void }).deliver(Uint8Array.from(bytes));
  return frames;
}

// Payloads of 10-50 bytes make frames of arrays of their own on Bun (in the reused buffer on Deno); of 300-1500
// bytes, frames in the reused buffer everywhere. A frame without a payload comes last.
for (const step of [10, 300]) {
  for (const take of [Infinity, 0, 50]) {
    test(`frames of ${step}-${step * 5} bytes arrive intact when the socket takes ${take} bytes per write until flushed`, () => {
      const socket = new Stingy(take);
      const connection = new Connection(socket);
      const completed: number[] = [];
      for (let tag = 1; tag <= 5; tag++) {
        connection.send(header(tag), new Uint8Array(tag * step).fill(tag), () => completed.push(tag));
      }
      connection.send(header(6), undefined, () => completed.push(6));
      socket.flush();
      assert.deepEqual(completed, [1, 2, 3, 4, 5, 6]);
      assert.deepEqual(
        framesOf(socket.taken),
        [...[1, 2, 3, 4, 5].map((tag) => [tag, new Array(tag * step).fill(tag)]), [6, []]],
      );
    });
  }
}
