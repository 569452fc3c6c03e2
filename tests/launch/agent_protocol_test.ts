import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AGENT_GREETING,
  AGENT_HEADER_BYTES,
  AgentFrameKind,
  AgentFrameReader,
  encodeAgentFrame,
  encodeJsonFrame,
  MAX_AGENT_PAYLOAD,
  payloadJson,
  payloadText,
  splitGreeting,
} from "../../lib/launch/agent_protocol.ts";
import { concatBytes } from "../../lib/wire/buffers.ts";

const frames = [
  encodeJsonFrame(AgentFrameKind.START, 0, { rank: 4, env: { A: "b\nc" } }),
  encodeAgentFrame(AgentFrameKind.STDOUT, 1, new Uint8Array([0, 255, 10])),
  encodeAgentFrame(AgentFrameKind.STDIN_END, 2),
  encodeAgentFrame(AgentFrameKind.SIGNAL, 0xffff_ffff, "SIGTERM"),
];
const stream = concatBytes(frames);

test("a frame is a 9-byte header (kind, index, length) and its payload", () => {
  const frame = encodeAgentFrame(AgentFrameKind.STDERR, 258, "hi");
  assert.equal(frame.length, AGENT_HEADER_BYTES + 2);
  assert.deepEqual([...frame.subarray(0, AGENT_HEADER_BYTES)], [18, 0, 0, 1, 2, 0, 0, 0, 2]);
});

test("frames fed byte by byte come out whole and in order", () => {
  const reader = new AgentFrameReader();
  const out = [];
  for (let i = 0; i < stream.length; i++) out.push(...reader.push(stream.subarray(i, i + 1)));
  assert.deepEqual(out.map((frame) => [frame.kind, frame.index]), [[1, 0], [17, 1], [3, 2], [
    4,
    0xffff_ffff,
  ]]);
  assert.deepEqual(payloadJson(out[0]), { rank: 4, env: { A: "b\nc" } });
  assert.deepEqual([...out[1].payload], [0, 255, 10]);
  assert.equal(out[2].payload.length, 0);
  assert.equal(payloadText(out[3]), "SIGTERM");
  assert.equal(reader.pending, 0);
});

test("coalesced frames and frames split anywhere decode the same", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const reader = new AgentFrameReader();
    const out = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))];
    assert.equal(out.length, 4, `cut at ${cut}`);
    assert.equal(payloadText(out[3]), "SIGTERM");
  }
});

test("a frame announcing more than the limit is refused", () => {
  const header = new Uint8Array(AGENT_HEADER_BYTES);
  new DataView(header.buffer).setUint32(5, MAX_AGENT_PAYLOAD + 1);
  assert.throws(() => new AgentFrameReader().push(header), /over the limit/);
});

test("what a login shell prints before the agent's greeting is told apart from the frames", () => {
  const noise = new TextEncoder().encode("Welcome!\nLast login: today\n");
  const bytes = concatBytes([noise, AGENT_GREETING, stream]);
  for (let cut = 0; cut < noise.length + AGENT_GREETING.length; cut++) {
    assert.equal(splitGreeting(bytes.subarray(0, cut)), undefined, `cut at ${cut}`);
  }
  const split = splitGreeting(bytes)!;
  assert.deepEqual(split.before, noise);
  assert.equal(split.after.length, stream.length);
  assert.equal(splitGreeting(concatBytes([AGENT_GREETING]))!.before.length, 0);
});
