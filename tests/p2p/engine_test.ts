import { test } from "node:test";
import assert from "node:assert/strict";
import { ANY_SOURCE, ANY_TAG } from "../../lib/constants.ts";
import { ErrorCode, MPIError } from "../../lib/errors.ts";
import { Engine, type Received, type SendOrder } from "../../lib/p2p/engine.ts";
import { COMPLETED } from "../../lib/p2p/completed.ts";
import { FrameFlag, FrameKind, HEADER_SIZE, readHeader, writeHeader } from "../../lib/wire/frame.ts";
import { DIRECT_MIN, EAGER_LIMIT, EAGER_WINDOW, SHARED_COPY_MIN } from "../../lib/wire/limits.ts";
import { memoryEngines } from "../_helpers/memory_mesh.ts";
import { loadLibc } from "../../lib/runtime/libc.ts";
import { CrossMemory } from "../../lib/transport/cross_memory.ts";
import process from "node:process";

function order(peer: number, tag: number, payload: Uint8Array, extra: Partial<SendOrder> = {}): SendOrder {
  return {
    peer,
    context: 0,
    source: 0,
    tag,
    payload,
    headroom: false,
    raw: true,
    sync: false,
    owned: false,
    ...extra,
  };
}

function pattern(source: number, tag: number) {
  return { context: 0, source, tag, peer: source < 0 ? -1 : source };
}

test("small messages go eagerly and large ones by rendezvous", async () => {
  const { engines, sent } = memoryEngines(2);
  const small = new Uint8Array(100).fill(1);
  const large = new Uint8Array(EAGER_LIMIT + 1).fill(2);
  const receives = [engines[1].receive(pattern(0, 1)), engines[1].receive(pattern(0, 2))];
  await Promise.all([engines[0].send(order(1, 1, small)), engines[0].send(order(1, 2, large))]);
  const [first, second] = await Promise.all(receives.map((handle) => handle.promise));
  assert.deepEqual(first!.payload, small);
  assert.deepEqual(second!.payload, large);
  assert.deepEqual(sent.map((frame) => frame.header.kind), [
    FrameKind.EAGER,
    FrameKind.RTS,
    FrameKind.CTS,
    FrameKind.RDATA,
  ]);
});

test("ssend resolves only after the receiver matched the message", async () => {
  const { engines } = memoryEngines(2);
  let done = false;
  const sending = engines[0].send(order(1, 0, Uint8Array.of(7), { sync: true })).then(() => done = true);
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.equal(done, false);
  const received = await engines[1].receive(pattern(0, 0)).promise;
  await sending;
  assert.equal(done, true);
  assert.deepEqual(received!.payload, Uint8Array.of(7));
});

test("a sender far ahead of its receiver leaves at most the eager window in the receiver's memory", async () => {
  const { engines, sent } = memoryEngines(2);
  const message = new Uint8Array(EAGER_LIMIT);
  const count = 4 * EAGER_WINDOW / EAGER_LIMIT;
  const sends = Array.from({ length: count }, (_, i) => engines[0].send(order(1, i, message)));
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 1));
  const eagerBytes = sent.filter((frame) => frame.header.kind === FrameKind.EAGER)
    .reduce((sum, frame) => sum + frame.payload.length, 0);
  assert.ok(
    eagerBytes <= EAGER_WINDOW,
    `${eagerBytes} eager bytes are waiting, the window is ${EAGER_WINDOW}`,
  );
  for (let i = 0; i < count; i++) assert.equal((await engines[1].receive(pattern(0, i)).promise)!.tag, i);
  await Promise.all(sends);
});

test("wildcards keep per-sender order", async () => {
  const { engines } = memoryEngines(3);
  const sends = [];
  for (let i = 0; i < 50; i++) {
    sends.push(engines[0].send(order(2, i % 3, Uint8Array.of(0, i))));
    sends.push(engines[1].send(order(2, i % 5, Uint8Array.of(1, i), { source: 1 })));
  }
  await Promise.all(sends);
  const next = [0, 0];
  for (let i = 0; i < 100; i++) {
    const message = (await engines[2].receive(pattern(ANY_SOURCE, ANY_TAG)).promise)!;
    const [from, index] = message.payload;
    assert.equal(index, next[from]++);
  }
});

test("a cancelled receive resolves with undefined and matches nothing", async () => {
  const { engines } = memoryEngines(2);
  const handle = engines[1].receive(pattern(0, 3));
  assert.equal(handle.cancel(), true);
  assert.equal(await handle.promise, undefined);
  await engines[0].send(order(1, 3, Uint8Array.of(9)));
  assert.deepEqual((await engines[1].receive(pattern(0, 3)).promise)!.payload, Uint8Array.of(9));
});

test("a lost peer fails the receives that wait for it with ERR_PEER_LOST", async () => {
  const { engines } = memoryEngines(3);
  const fromLost = engines[0].receive(pattern(1, 0));
  const fromOther = engines[0].receive(pattern(2, 0));
  engines[0].onPeerLost(1, "its connection closed");
  await assert.rejects(fromLost.promise, (error: MPIError) => {
    assert.equal(error.code, ErrorCode.ERR_PEER_LOST);
    assert.match(error.message, /rank 1 is gone \(its connection closed\)/);
    return true;
  });
  await assert.rejects(engines[0].send(order(1, 0, Uint8Array.of(1))), MPIError);
  await engines[2].send(order(0, 0, Uint8Array.of(5), { source: 2 }));
  assert.deepEqual((await fromOther.promise)!.payload, Uint8Array.of(5));
});

test("a receive with a completion settles with its result, or fails with what it throws, or is told it failed", async () => {
  const { engines } = memoryEngines(3);
  const events: string[] = [];
  const completion = (name: string) => ({
    finish(message: Received | undefined) {
      events.push(`${name} finish ${message ? message.payload.join() : "withdrawn"}`);
      if (name === "bad") throw new Error("finish refused it");
      return `${name}:${message?.payload.length ?? "none"}`;
    },
    failed(error: unknown) {
      events.push(`${name} failed ${(error as Error).message}`);
    },
  });
  const good = engines[0].receiveWith(pattern(1, 1), undefined, completion("good"))!;
  const bad = engines[0].receiveWith(pattern(1, 2), undefined, completion("bad"))!;
  const withdrawn = engines[0].receiveWith(pattern(1, 3), undefined, completion("withdrawn"))!;
  const lost = engines[0].receiveWith(pattern(2, 4), undefined, completion("lost"))!;
  await engines[1].send(order(0, 1, Uint8Array.of(1, 2), { source: 1 }));
  await engines[1].send(order(0, 2, Uint8Array.of(3), { source: 1 }));
  assert.equal(await good.promise, "good:2");
  await assert.rejects(bad.promise, /finish refused it/);
  assert.equal(withdrawn.cancel(), true);
  assert.equal(withdrawn.cancel(), false, "a settled receive cannot be withdrawn again");
  assert.equal(await withdrawn.promise, "withdrawn:none");
  engines[0].onPeerLost(2, "its connection closed");
  await assert.rejects(lost.promise, (error: MPIError) => error.code === ErrorCode.ERR_PEER_LOST);
  assert.deepEqual(events, [
    "good finish 1,2",
    "bad finish 3",
    "withdrawn finish withdrawn",
    "lost failed rank 2 is gone (its connection closed)",
  ]);
  // A message that has arrived already is finished before the receive returns, and nothing else takes it.
  await engines[1].send(order(0, 5, Uint8Array.of(7), { source: 1 }));
  const early = engines[0].receiveWith(pattern(1, 5), undefined, completion("early"));
  assert.equal(events.at(-1), "early finish 7");
  assert.equal(early.cancel(), false, "a settled receive cannot be withdrawn");
  assert.equal(await early.promise, "early:1");
  assert.equal(
    engines[0].receive(pattern(1, 5)).cancel(),
    true,
    "the message was taken: a second receive waits",
  );
});

const libc = loadLibc();
const ownPid = (globalThis as { Deno?: { pid: number } }).Deno?.pid ?? process.pid;

test("a large message between ranks of one host is read from the sender's memory: RTS, then DONE", {
  skip: libc === undefined && "no C library through FFI here",
}, async () => {
  const { engines, sent } = memoryEngines(2, { copy: new CrossMemory(libc!), peerProcess: ownPid });
  const large = new Uint8Array(EAGER_LIMIT * 3 + 5).map((_, i) => i * 7);
  const into = new Uint8Array(large.length + 100);
  const receiving = engines[1].receive(pattern(0, 4), into.subarray(50));
  await engines[0].send(order(1, 4, large.subarray(3), { raw: true }));
  const message = await receiving.promise;
  assert.deepEqual(message!.payload, large.subarray(3));
  assert.equal(message!.payload.buffer, into.buffer, "the bytes landed in the receiver's own buffer");
  assert.deepEqual(sent.map((frame) => frame.header.kind), [FrameKind.RTS, FrameKind.DONE]);
  // Below the eager limit too, from DIRECT_MIN bytes on; below that, eagerly.
  sent.length = 0;
  for (const size of [DIRECT_MIN, DIRECT_MIN - 1]) {
    const receiving = engines[1].receive(pattern(0, 5));
    await engines[0].send(order(1, 5, large.subarray(0, size)));
    assert.deepEqual((await receiving.promise)!.payload, large.subarray(0, size));
  }
  assert.deepEqual(sent.map((frame) => frame.header.kind), [FrameKind.RTS, FrameKind.DONE, FrameKind.EAGER]);
});

test(
  "from SHARED_COPY_MIN bytes on, the receiver offers the sender the first half, and reads it if the sender is late",
  {
    skip: libc === undefined && "no C library through FFI here",
  },
  async () => {
    // Frames between these engines go by microtasks, so the sender only sees the offer after the receiver has
    // read its half: the receiver revokes it and reads the first half too. (Between processes an idle sender
    // writes it meanwhile; tests/spmd/p2p_shared_copy.ts checks both with real ranks.)
    const { engines, sent } = memoryEngines(2, { copy: new CrossMemory(libc!), peerProcess: ownPid });
    const large = new Uint8Array(SHARED_COPY_MIN + 4097).map((_, i) => (i * 13) ^ (i >> 9));
    const kinds = () =>
      sent.map((
        frame,
      ) => [frame.from, frame.header.kind, frame.header.flags & FrameFlag.SHARE, frame.header.size]);
    const half = Math.floor(large.length / 2);
    // The first direct message from a peer is read whole: it shows that reads from that peer work.
    for (
      const expected of [
        [[0, FrameKind.RTS, 0, large.length], [1, FrameKind.DONE, 0, 0]],
        [
          [0, FrameKind.RTS, 0, large.length],
          [1, FrameKind.CTS, FrameFlag.SHARE, half],
          [1, FrameKind.DONE, 0, 0],
          [0, FrameKind.RDATA, FrameFlag.SHARE, 0],
        ],
      ]
    ) {
      sent.length = 0;
      const into = new Uint8Array(large.length + 64);
      const receiving = engines[1].receive(pattern(0, 4), into.subarray(64));
      await engines[0].send(order(1, 4, large, { raw: true }));
      const message = (await receiving.promise)!;
      assert.deepEqual(message.payload, large);
      assert.equal(message.payload.buffer, into.buffer, "the bytes landed in the receiver's own buffer");
      assert.deepEqual(into.subarray(0, 64), new Uint8Array(64), "nothing was written before the buffer");
      assert.deepEqual(kinds(), expected);
    }
    assert.equal(sent[0].payload.length, 16, "the RTS carries the message's address and the claim words'");
    // A value (no buffer) gets a buffer of its size; one byte under the threshold is read whole.
    for (const size of [SHARED_COPY_MIN, SHARED_COPY_MIN - 1]) {
      sent.length = 0;
      const receiving = engines[1].receive(pattern(0, 5));
      await engines[0].send(order(1, 5, large.subarray(1, size + 1)));
      assert.deepEqual((await receiving.promise)!.payload, large.subarray(1, size + 1));
      assert.equal(sent.length, size === SHARED_COPY_MIN ? 4 : 2);
    }
  },
);

test("when neither the claim words nor the receiver's half can be written, the socket brings the message", {
  skip: libc === undefined && "no C library through FFI here",
}, async () => {
  const memory = new CrossMemory(libc!);
  let reads = 0;
  // Reads work for the first message only; writes never: the second message falls back to the socket.
  const failing = {
    addressOf: memory.addressOf.bind(memory),
    read: (pid: number, address: number, target: Uint8Array) =>
      ++reads === 1 && memory.read(pid, address, target),
    write: () => false,
  };
  const { engines, sent } = memoryEngines(2, { copy: failing, peerProcess: ownPid }, 256 * 1024);
  const large = new Uint8Array(SHARED_COPY_MIN * 2).map((_, i) => i * 31);
  for (let tag = 1; tag <= 3; tag++) {
    sent.length = 0;
    const into = new Uint8Array(large.length);
    const receiving = engines[1].receive(pattern(0, tag), into);
    await engines[0].send(order(1, tag, large, { raw: true }));
    const message = (await receiving.promise)!;
    assert.deepEqual(message.payload, large, `message ${tag}`);
    assert.equal(message.payload.buffer, into.buffer);
    const steps = sent.map((frame) => frame.header.kind).filter((kind, i, all) => kind !== all[i - 1]);
    assert.deepEqual(
      steps,
      [
        [FrameKind.RTS, FrameKind.DONE],
        [FrameKind.RTS, FrameKind.CTS, FrameKind.RDATA, FrameKind.CTS, FrameKind.RDATA],
        [FrameKind.RTS, FrameKind.CTS, FrameKind.RDATA],
      ][tag - 1],
      `message ${tag}`,
    );
  }
});

test(
  "when the sender's memory cannot be read, it is cleared to send over the socket, and stops offering it",
  {
    skip: libc === undefined && "no C library through FFI here",
  },
  async () => {
    // A process id that is not running: process_vm_readv fails (ESRCH), as it would without permission.
    const { engines, sent } = memoryEngines(2, { copy: new CrossMemory(libc!), peerProcess: 2 ** 22 + 1 });
    const large = new Uint8Array(EAGER_LIMIT + 1).fill(9);
    for (const tag of [1, 2]) {
      const receiving = engines[1].receive(pattern(0, tag));
      await engines[0].send(order(1, tag, large));
      assert.deepEqual((await receiving.promise)!.payload, large);
    }
    assert.deepEqual(sent.map((frame) => [frame.header.kind, frame.payload.length]), [
      [FrameKind.RTS, 8],
      [FrameKind.CTS, 0],
      [FrameKind.RDATA, large.length],
      [FrameKind.RTS, 0],
      [FrameKind.CTS, 0],
      [FrameKind.RDATA, large.length],
    ]);
  },
);

test("a message larger than a chunk travels as ordered RDATA chunks that land in the receive's buffer", async () => {
  const { engines, sent } = memoryEngines(2, undefined, 1000);
  const message = new Uint8Array(EAGER_LIMIT + 3500);
  for (let i = 0; i < message.length; i++) message[i] = (i * 7) & 255;
  const into = new Uint8Array(message.length + 10);
  const receiving = engines[1].receive(pattern(0, 4), into);
  await engines[0].send(order(1, 4, message));
  const got = (await receiving.promise)!;
  assert.deepEqual(got.payload, message);
  assert.equal(got.payload.buffer, into.buffer, "assembled in the receive's own buffer");
  const chunks = sent.filter((frame) => frame.header.kind === FrameKind.RDATA);
  const count = Math.ceil(message.length / 1000);
  assert.equal(chunks.length, count);
  assert.deepEqual(
    chunks.map((frame) => frame.header.size),
    Array.from({ length: count }, (_, i) => i * 1000),
  );
  assert.ok(chunks.every((frame) => frame.payload.length <= 1000));
  // Without a buffer (a value), the chunks are assembled into one of the message's size.
  const value = engines[1].receive(pattern(0, 5));
  await engines[0].send(order(1, 5, message, { sync: true }));
  assert.deepEqual((await value.promise)!.payload, message);
});

test("a chunk that does not continue its message is a protocol error that loses the peer", async () => {
  const controls: number[] = [];
  const engine = new Engine(
    1,
    2,
    {
      sendFrame: (_peer, header, _payload, _headroom, done) => {
        controls.push(header.kind);
        done();
      },
    },
    undefined,
    undefined,
    1000,
  );
  const rts = { length: 0, kind: FrameKind.RTS, flags: 1, context: 0, source: 0, tag: 6, seq: 3, size: 5000 };
  engine.onFrame(0, rts, new Uint8Array(0));
  const receiving = engine.receive(pattern(0, 6));
  assert.deepEqual(controls, [FrameKind.CTS]);
  const chunk = { ...rts, kind: FrameKind.RDATA, length: 1000, size: 0 };
  engine.onFrame(0, chunk, new Uint8Array(1000));
  engine.onFrame(0, { ...chunk, size: 2000 }, new Uint8Array(1000));
  await assert.rejects(
    receiving.promise,
    /rank 0 is gone \(it sent bytes 2000\.\.3000 of a 5000-byte message out of order\)/,
  );
});

test("writeHeader carries sizes up to 2^53 in 64 bits and refuses a length that does not fit 32 bits", () => {
  const header = { length: 0, kind: FrameKind.RTS, flags: 0, context: 0, source: 0, tag: 0, seq: 0, size: 0 };
  const bytes = new Uint8Array(HEADER_SIZE);
  for (const size of [0, 2 ** 32 - 1, 2 ** 32, 3 * 2 ** 30 + 7, 2 ** 32 + 100, Number.MAX_SAFE_INTEGER]) {
    writeHeader(bytes, { ...header, size });
    assert.equal(readHeader(bytes).size, size);
  }
  assert.throws(() => writeHeader(bytes, { ...header, length: 2 ** 32 }), RangeError);
  assert.throws(() => writeHeader(bytes, { ...header, size: 2 ** 53 }), RangeError);
});

test("an eager send resolves only once the sink has written its bytes", async () => {
  const written: (() => void)[] = [];
  const engine = new Engine(0, 2, {
    sendFrame: (_peer, _header, _payload, _headroom, done) => written.push(() => done()),
  });
  for (const owned of [false, true]) {
    let resolved = false;
    const sending = engine.send(order(1, 0, Uint8Array.of(1, 2, 3), { owned })).then(() => resolved = true);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    assert.equal(resolved, false, `owned: ${owned}`);
    written.shift()!();
    await sending;
    assert.equal(resolved, true);
  }
});

test("an eager send the sink writes before returning gets COMPLETED; one it fails at once rejects naming the peer", async () => {
  let failNext = false;
  const engine = new Engine(0, 3, {
    sendFrame: (_peer, _header, _payload, _headroom, done) =>
      done(failNext ? new Error("connection reset by peer") : null),
  });
  const sent = engine.send(order(1, 0, Uint8Array.of(1)));
  assert.equal(sent, COMPLETED);
  await sent;
  failNext = true;
  await assert.rejects(engine.send(order(2, 0, Uint8Array.of(2))), (error: MPIError) => {
    assert.match(error.message, /rank 2/);
    assert.match(error.message, /connection reset by peer/);
    return true;
  });
});
