import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameKind, HEADER_SIZE, writeHeader } from "../../lib/wire/frame.ts";
import type { FrameHeader } from "../../lib/wire/frame.ts";
import { FrameError, FrameReader } from "../../lib/wire/frame_reader.ts";

function frame(kind: number, payload: Uint8Array, tag = 0): Uint8Array {
  const bytes = new Uint8Array(HEADER_SIZE + payload.length);
  const header: FrameHeader = {
    length: payload.length,
    kind,
    flags: 0,
    context: 3,
    source: 1,
    tag,
    seq: 9,
    size: 0,
  };
  writeHeader(bytes, header);
  bytes.set(payload, HEADER_SIZE);
  return bytes;
}

function stream(): { bytes: Uint8Array; payloads: Uint8Array[] } {
  const payloads = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(1000).map((_, i) => i & 255)];
  const parts = payloads.map((payload, i) => frame(FrameKind.EAGER, payload, i));
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return { bytes, payloads };
}

test("frame header fields round-trip", () => {
  const bytes = frame(FrameKind.RTS, new Uint8Array(0), -5);
  const [decoded] = new FrameReader(10).push(bytes);
  assert.equal(decoded.header.kind, FrameKind.RTS);
  assert.equal(decoded.header.tag, -5);
  assert.equal(decoded.header.context, 3);
  assert.equal(decoded.header.source, 1);
  assert.equal(decoded.header.seq, 9);
});

test("frames fed byte by byte come out whole and in order", () => {
  const { bytes, payloads } = stream();
  const reader = new FrameReader(4096);
  const frames = [];
  for (let i = 0; i < bytes.length; i++) frames.push(...reader.push(bytes.subarray(i, i + 1)));
  assert.equal(frames.length, payloads.length);
  frames.forEach((frame, i) => {
    assert.equal(frame.header.tag, i);
    assert.deepEqual([...frame.payload], [...payloads[i]]);
  });
  assert.equal(reader.buffered, 0);
});

test("frames coalesced in one chunk and split at every offset come out the same", () => {
  const { bytes, payloads } = stream();
  for (let cut = 0; cut <= bytes.length; cut += 7) {
    const reader = new FrameReader(4096);
    const frames = [...reader.push(bytes.subarray(0, cut)), ...reader.push(bytes.subarray(cut))];
    assert.equal(frames.length, payloads.length, `cut at ${cut}`);
    frames.forEach((frame, i) => assert.deepEqual([...frame.payload], [...payloads[i]]));
  }
});

test("a frame longer than the limit is refused before its payload is allocated", () => {
  const header = new Uint8Array(HEADER_SIZE);
  writeHeader(header, {
    length: 2 ** 31,
    kind: FrameKind.EAGER,
    flags: 0,
    context: 0,
    source: 0,
    tag: 0,
    seq: 0,
    size: 0,
  });
  assert.throws(() => new FrameReader(1024).push(header), (error: Error) => {
    assert.ok(error instanceof FrameError);
    assert.match(error.message, /announces 2147483648 bytes, more than the limit of 1024/);
    return true;
  });
});

test("an unknown frame kind is refused", () => {
  assert.throws(() => new FrameReader(1024).push(frame(99, new Uint8Array(1))), /unknown frame kind 99/);
});

test("feed hands each frame over as it completes, and the frames before a bad one", () => {
  const { bytes, payloads } = stream();
  const bad = frame(99, new Uint8Array(1));
  const chunk = new Uint8Array(bytes.length + bad.length);
  chunk.set(bytes);
  chunk.set(bad, bytes.length);
  const seen: { tag: number; payload: number[] }[] = [];
  const reader = new FrameReader(4096);
  assert.throws(
    () =>
      reader.feed(chunk, {
        onFrame: (header, payload) => seen.push({ tag: header.tag, payload: [...payload] }),
      }),
    /unknown frame kind 99/,
  );
  assert.deepEqual(seen, payloads.map((payload, tag) => ({ tag, payload: [...payload] })));
});
