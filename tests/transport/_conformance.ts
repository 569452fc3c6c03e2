/**
 * One suite for every {@linkcode FrameSink}: what `lib/transport/transport.ts` promises the engine, checked
 * the same way over each implementation (as hono's `runTest` runs one suite over every router). A transport
 * under test builds a few connected ranks in this process and can end one of them as a process would.
 *
 * Covered: per-peer order of whole frames (empty, small, large, with and without headroom; several senders
 * at once), `done` once per frame and only when the payload may be reused, sending to oneself, the loss of a
 * peer reported after its last frame, `watch` reporting a peer that never sent, and `done(error)` with a loss
 * report for a frame to a peer that is gone.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { FrameHandler, FrameSink } from "../../lib/transport/transport.ts";
import { type FrameHeader, FrameKind, HEADER_SIZE } from "../../lib/wire/frame.ts";

/** Ranks built by a transport under test. */
export interface TestWorld {
  /** Rank r's sink. */
  sinks: FrameSink[];
  /**
   * Ends rank `rank` as a rank whose script is done and that exits: what it sent goes out (as `openPeers`
   * makes sure at exit), then its connections close and nobody can reach it any more.
   */
  kill(rank: number): void | Promise<void>;
  /** Frees everything (every test ends with it). */
  close(): void;
  /** How each accepted connection arrived ("tcp", "unix"), where the transport can tell. */
  accepted?: string[];
}

/** A transport to run the suite over. */
export interface TransportUnderTest {
  name: string;
  /** Why this transport cannot run here, or false. */
  skip?: string | false;
  /** How its connections should arrive (checked against {@linkcode TestWorld.accepted}). */
  via?: string;
  /** Builds `size` ranks that reach each other; rank r's frames and losses go to `handlers[r]`. */
  open(size: number, handlers: FrameHandler[]): Promise<TestWorld>;
}

type Event =
  | { kind: "frame"; from: number; tag: number; payload: Uint8Array }
  | { kind: "lost"; from: number; unreachable: boolean };

/** Records every upcall of one rank, in order. */
class Recorder implements FrameHandler {
  events: Event[] = [];

  onFrame(peer: number, header: FrameHeader, payload: Uint8Array): void {
    // A rank that ends says BYE first (see `Mesh.farewell`): the engine's business, not the suite's.
    if (header.kind === FrameKind.BYE) return;
    // The view stays valid, but copy it anyway: the test may compare it long after.
    this.events.push({ kind: "frame", from: peer, tag: header.tag, payload: payload.slice() });
  }

  onPeerLost(peer: number, _why: string, unreachable = false): void {
    this.events.push({ kind: "lost", from: peer, unreachable });
  }

  frames(from: number): { tag: number; payload: Uint8Array }[] {
    return this.events.flatMap((event) => event.kind === "frame" && event.from === from ? [event] : []);
  }

  lost(from: number): number {
    return this.events.findIndex((event) => event.kind === "lost" && event.from === from);
  }
}

/** The bytes of frame `tag` of `length` bytes from rank `from`: different for every frame. */
function pattern(from: number, tag: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + tag * 7 + from) & 255;
  return bytes;
}

/** Frame sizes that cross every path: empty (no payload), tiny, a socket's coalescing limit, large. */
const SIZES = [0, 1, 100, 70_000, 1 << 20];

interface Sent {
  /** Resolves once `done` ran, with its error if any. */
  done: Promise<Error | undefined>;
  /** How many times `done` ran. */
  calls: () => number;
}

/**
 * Sends frame `tag` of `length` bytes from `from` to `to`; with `headroom`, from a buffer with free space for
 * the header. Once `done` runs, the payload is overwritten: a transport that still needed it corrupts the frame.
 */
function send(
  sinks: FrameSink[],
  from: number,
  to: number,
  tag: number,
  length: number,
  headroom = false,
): Sent {
  const body = pattern(from, tag, length);
  let payload: Uint8Array | undefined;
  if (length === 0) payload = undefined;
  else if (headroom) {
    payload = new Uint8Array(HEADER_SIZE + length);
    payload.set(body, HEADER_SIZE);
  } else payload = body;
  const header: FrameHeader = {
    length,
    kind: FrameKind.EAGER,
    flags: 0,
    context: 0,
    source: from,
    tag,
    seq: tag,
    size: length,
  };
  let calls = 0;
  const done = new Promise<Error | undefined>((resolve) => {
    sinks[from].sendFrame(to, header, payload, headroom && payload !== undefined, (error) => {
      calls++;
      payload?.fill(0xee);
      resolve(error ?? undefined);
    });
  });
  return { done, calls: () => calls };
}

/** Waits until `condition` holds; fails after 20 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Lets a transport's pending callbacks run (to catch a second `done`, or a late frame). */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}

function assertFrames(recorder: Recorder, from: number, expected: { tag: number; length: number }[]): void {
  const frames = recorder.frames(from);
  assert.deepEqual(
    frames.map((frame) => frame.tag),
    expected.map((frame) => frame.tag),
    `order from ${from}`,
  );
  frames.forEach((frame, i) => {
    const want = pattern(from, expected[i].tag, expected[i].length);
    assert.equal(frame.payload.length, want.length, `length of frame ${frame.tag} from ${from}`);
    assert.ok(frame.payload.every((byte, j) => byte === want[j]), `bytes of frame ${frame.tag} from ${from}`);
  });
}

async function withWorld(
  transport: TransportUnderTest,
  size: number,
  body: (world: TestWorld, recorders: Recorder[]) => Promise<void>,
): Promise<void> {
  const recorders = Array.from({ length: size }, () => new Recorder());
  // Sockets of a mesh do not keep the process alive (a rank's pending operations do): hold it while we wait.
  const alive = setInterval(() => {}, 1000);
  const world = await transport.open(size, recorders);
  try {
    await body(world, recorders);
  } finally {
    world.close();
    clearInterval(alive);
  }
}

/** Registers the conformance suite for `transport`. */
export function runConformance(transport: TransportUnderTest): void {
  const skip = transport.skip ?? false;
  const name = (what: string) => `${transport.name}: ${what}`;

  test(
    name("frames from each sender arrive whole and in send order"),
    { skip },
    () =>
      withWorld(transport, 3, async (world, recorders) => {
        const plan = Array.from({ length: 40 }, (_, tag) => ({ tag, length: SIZES[tag % SIZES.length] }));
        const sent: Sent[] = [];
        // Ranks 0 and 2 send to rank 1 at once, interleaved, half of them from a buffer with headroom.
        for (const { tag, length } of plan) {
          sent.push(send(world.sinks, 0, 1, tag, length, tag % 2 === 0));
          sent.push(send(world.sinks, 2, 1, tag, length, tag % 2 === 1));
        }
        await until(
          () => recorders[1].frames(0).length + recorders[1].frames(2).length === 2 * plan.length,
          "80 frames",
        );
        assertFrames(recorders[1], 0, plan);
        assertFrames(recorders[1], 2, plan);
        for (const { done } of sent) assert.equal(await done, undefined);
        if (transport.via !== undefined) {
          assert.ok(world.accepted && world.accepted.length > 0, "no connection was accepted");
          assert.deepEqual(new Set(world.accepted), new Set([transport.via]), "how the connections arrived");
        }
      }),
  );

  test(
    name("done runs once per frame, once the payload may be reused"),
    { skip },
    () =>
      withWorld(transport, 2, async (world, recorders) => {
        const plan = Array.from(
          { length: 12 },
          (_, tag) => ({ tag, length: tag % 3 === 0 ? 8 << 20 : 64 + tag }),
        );
        // Each payload is overwritten as soon as its done runs: the frames must arrive intact all the same.
        const sent = plan.map(({ tag, length }) => send(world.sinks, 0, 1, tag, length, tag % 2 === 0));
        for (const { done } of sent) assert.equal(await done, undefined);
        await until(() => recorders[1].frames(0).length === plan.length, "12 frames");
        await settle();
        assertFrames(recorders[1], 0, plan);
        assert.deepEqual(sent.map(({ calls }) => calls()), plan.map(() => 1), "done calls per frame");
      }),
  );

  test(
    name("a rank sends to itself, in order, alongside frames to others"),
    { skip },
    () =>
      withWorld(transport, 2, async (world, recorders) => {
        const plan = Array.from({ length: 10 }, (_, tag) => ({ tag, length: SIZES[tag % SIZES.length] }));
        const sent: Sent[] = [];
        for (const { tag, length } of plan) {
          sent.push(send(world.sinks, 0, 0, tag, length, tag % 2 === 0));
          sent.push(send(world.sinks, 0, 1, tag, length));
        }
        await until(() => recorders[0].frames(0).length === plan.length, "10 frames to itself");
        await until(() => recorders[1].frames(0).length === plan.length, "10 frames to the other rank");
        await settle();
        assertFrames(recorders[0], 0, plan);
        assertFrames(recorders[1], 0, plan);
        for (const { done, calls } of sent) {
          assert.equal(await done, undefined);
          assert.equal(calls(), 1);
        }
      }),
  );

  test(
    name("the loss of a peer is reported after its last frame"),
    { skip },
    () =>
      withWorld(transport, 3, async (world, recorders) => {
        const plan = Array.from({ length: 30 }, (_, tag) => ({ tag, length: SIZES[tag % SIZES.length] }));
        // Rank 0 has a connection of its own to rank 1 too, so both directions close when rank 1 ends.
        await send(world.sinks, 0, 1, 99, 1).done;
        const sent = plan.map(({ tag, length }) => send(world.sinks, 1, 0, tag, length));
        for (const { done } of sent) assert.equal(await done, undefined);
        await world.kill(1);
        await until(() => recorders[0].lost(1) >= 0, "the loss of rank 1");
        await settle();
        assertFrames(recorders[0], 1, plan);
        const lastFrame = recorders[0].events.findLastIndex((event) =>
          event.kind === "frame" && event.from === 1
        );
        assert.ok(recorders[0].lost(1) > lastFrame, "the loss came before a frame of the lost rank");
      }),
  );

  test(
    name("watch reports the loss of a peer that never sent a frame"),
    { skip },
    () =>
      withWorld(transport, 2, async (world, recorders) => {
        world.sinks[0].watch?.(1);
        await settle(); // the watch may dial meanwhile
        await world.kill(1);
        await until(() => recorders[0].lost(1) >= 0, "the loss of rank 1");
        assert.deepEqual(recorders[0].frames(1), []);
      }),
  );

  test(
    name("a frame to a peer that is gone fails its done once, and the loss is reported"),
    { skip },
    () =>
      withWorld(transport, 2, async (world, recorders) => {
        await world.kill(1);
        await settle();
        const sent = send(world.sinks, 0, 1, 1, 100);
        const error = await sent.done;
        assert.ok(error instanceof Error, "done had no error");
        await until(() => recorders[0].lost(1) >= 0, "the loss of rank 1");
        await settle();
        assert.equal(sent.calls(), 1);
      }),
  );
}
