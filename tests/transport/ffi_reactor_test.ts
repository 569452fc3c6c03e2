/**
 * Unix domain and TCP sockets through the C library (`lib/transport/ffi_reactor.ts`), on real sockets in this
 * process: order and integrity of large writes the kernel takes in parts, write callbacks, reads straight into
 * a given buffer, graceful end, refused connections, the peer's process, and the reactor's single `poll(2)`
 * sleep. The tests pump the
 * reactor themselves, as a waiting rank does.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { setImmediate } from "node:timers";
import { FfiReactor } from "../../lib/transport/ffi_reactor.ts";
import { loadLibc } from "../../lib/runtime/libc.ts";
import type { SocketHandle } from "../../lib/runtime/runtime.ts";
import { assertSmallBigSmall, collect } from "../_helpers/socket_checks.ts";
import { peerReactor } from "../../lib/transport/sockets.ts";

const libc = loadLibc();
const skip = process.platform !== "linux" ? "the C library is bound on Linux only" : false;

test("the C library binds on Linux, and rank-to-rank sockets use it by default", { skip }, () => {
  assert.ok(libc, "loadLibc() returned undefined");
  assert.ok(peerReactor instanceof FfiReactor, "sockets.ts did not choose the FFI reactor");
});

/** Pumps `reactor` (as a waiting rank does) until `done()` holds; fails after 10 s. */
async function pumpUntil(reactor: FfiReactor, done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    reactor.pump();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A connected pair of sockets of `kind` through `reactor`. */
async function pair(
  reactor: FfiReactor,
  kind: "unix" | "tcp" = "unix",
): Promise<{ client: SocketHandle; server: SocketHandle; close(): void }> {
  let server: SocketHandle | undefined;
  let listener;
  let connecting: Promise<SocketHandle>;
  if (kind === "unix") {
    const path = `\0mpirun-deno-ffi-test-${process.pid}-${Math.random().toString(16).slice(2)}`;
    listener = reactor.listenUnix(path, (socket) => server = socket);
    connecting = reactor.connectUnix(path);
  } else {
    listener = reactor.listenTcp("127.0.0.1", 0, (socket) => server = socket);
    assert.ok(listener.port > 0, "port 0 picked no port");
    connecting = reactor.connectTcp("127.0.0.1", listener.port);
  }
  let client: SocketHandle | undefined;
  connecting.then((socket) => client = socket);
  await pumpUntil(reactor, () => server !== undefined && client !== undefined, "the connection");
  return {
    client: client!,
    server: server!,
    close() {
      client!.destroy();
      server!.destroy();
      listener.close();
    },
  };
}

for (const kind of ["unix", "tcp"] as const) {
  test(`ffi ${kind}: writes the kernel takes in parts arrive whole and in order, each callback once`, {
    skip,
  }, async () => {
    const reactor = new FfiReactor(libc!);
    const { client, server, close } = await pair(reactor, kind);
    const sink = collect(server);
    const big = new Uint8Array(16 << 20);
    for (let i = 0; i < big.length; i += 4093) big[i] = (i * 7) & 0xff;
    const done: string[] = [];
    const small = new Uint8Array([1, 2, 3]);
    assert.equal(client.write(small, () => done.push("small")), true);
    assert.deepEqual(done, ["small"], "a write the kernel takes at once is done at once");
    assert.equal(
      client.write(big, () => done.push("big")),
      false,
      "16 MiB cannot fit the socket: backpressure",
    );
    client.write(small, () => done.push("small again"));
    assert.ok(reactor.backlog > 0);
    await pumpUntil(reactor, () => sink.received() === big.length + 6 && done.length === 3, "every byte");
    assert.deepEqual(done, ["small", "big", "small again"]);
    assert.equal(reactor.backlog, 0);
    assertSmallBigSmall(sink.bytes(), small, big);
    close();
  });

  test(`ffi ${kind}: a reader's buffer (readInto) receives the bytes in place`, { skip }, async () => {
    const reactor = new FfiReactor(libc!);
    const { client, server, close } = await pair(reactor, kind);
    const target = new Uint8Array(1 << 20);
    let landed = 0;
    server.readInto!(() => landed < target.length ? target.subarray(landed) : undefined);
    let inPlace = true;
    server.onData((chunk) => {
      if (chunk.buffer !== target.buffer || chunk.byteOffset !== landed) inPlace = false;
      landed += chunk.length;
    });
    const payload = new Uint8Array(target.length).map((_, i) => i % 251);
    client.write(payload);
    await pumpUntil(reactor, () => landed === payload.length, "the payload");
    assert.ok(inPlace, "a chunk landed outside the reader's buffer");
    assert.deepEqual(target, payload);
    close();
  });
}

test("ffi: a Unix socket knows the process at its other end; a TCP socket does not claim one", {
  skip,
}, async () => {
  const reactor = new FfiReactor(libc!);
  const unix = await pair(reactor, "unix");
  assert.equal(unix.client.peerProcess, process.pid);
  assert.equal(unix.server.peerProcess, process.pid);
  unix.close();
  const tcp = await pair(reactor, "tcp");
  assert.equal(tcp.client.peerProcess, undefined);
  assert.match(tcp.client.remoteAddress, /^127\.0\.0\.1:\d+$/);
  assert.equal(tcp.server.localAddress, "127.0.0.1");
  tcp.close();
});

test("ffi tcp: connecting where nobody listens rejects as refused", { skip }, async () => {
  const reactor = new FfiReactor(libc!);
  const listener = reactor.listenTcp("127.0.0.1", 0, () => {});
  const port = listener.port;
  listener.close(); // now nobody listens on `port`
  let outcome: unknown;
  reactor.connectTcp("127.0.0.1", port).then(() => outcome = "connected", (error) => outcome = error);
  await pumpUntil(reactor, () => outcome !== undefined, "the refusal");
  const error = outcome as Error & { code?: string };
  assert.equal(error.code, "ECONNREFUSED", String(outcome));
  assert.match(error.message, /connect to 127\.0\.0\.1:\d+ failed .*refused/);
});

test("ffi unix: end() writes what is queued first, then both sides report the close", { skip }, async () => {
  const reactor = new FfiReactor(libc!);
  const { client, server, close } = await pair(reactor);
  const sink = collect(server);
  let serverClosed: Error | undefined | null = null;
  let clientClosed: Error | undefined | null = null;
  server.onClose((error) => serverClosed = error);
  client.onClose((error) => clientClosed = error);
  client.write(new Uint8Array(4 << 20).fill(7));
  client.end();
  assert.equal(clientClosed, null, "the client closed before its queued bytes were written");
  await pumpUntil(reactor, () => serverClosed !== null && clientClosed !== null, "both closes");
  assert.equal(sink.received(), 4 << 20);
  assert.equal(serverClosed, undefined, "a graceful end is no error");
  assert.equal(clientClosed, undefined);
  let late: Error | null | undefined = null;
  assert.equal(client.write(new Uint8Array(1), (error) => late = error), false);
  assert.match(String(late), /closed/);
  close();
});

test("ffi unix: bytes that arrive before the reader is set are kept for it", { skip }, async () => {
  const reactor = new FfiReactor(libc!);
  const { client, server, close } = await pair(reactor);
  server.write(new Uint8Array([9, 8, 7]));
  for (let i = 0; i < 5; i++) reactor.pump();
  const sink = collect(client);
  await pumpUntil(reactor, () => sink.received() === 3, "the early bytes");
  assert.deepEqual(sink.bytes(), new Uint8Array([9, 8, 7]));
  close();
});

test("ffi unix: connecting where nobody listens rejects as refused", { skip }, async () => {
  const reactor = new FfiReactor(libc!);
  await assert.rejects(
    reactor.connectUnix(`\0mpirun-deno-nobody-${process.pid}-${Math.random()}`),
    (error: Error & { code?: string }) => error.code === "ECONNREFUSED" && /refused/.test(error.message),
  );
});

test(
  "ffi unix: sleep() blocks in poll(2) until bytes arrive, and no longer than asked",
  { skip },
  async () => {
    const reactor = new FfiReactor(libc!);
    const { client, server, close } = await pair(reactor);
    const sink = collect(server);
    const start = performance.now();
    assert.equal(reactor.sleep(30), false, "nothing was sent, yet sleep() delivered");
    const slept = performance.now() - start;
    assert.ok(slept >= 25, `sleep(30) returned after ${slept.toFixed(1)} ms`);
    client.write(new Uint8Array([4]));
    assert.equal(reactor.sleep(1000), true);
    assert.equal(sink.received(), 1);
    close();
  },
);

/** A ring's stand-in for the reactor: a source that never has anything (the test watches the socket beneath). */
const emptySource = { pump: () => false, beforeSleep: () => false, afterSleep: () => {}, queued: 0 };

/** Pumps `reactor` until `done()` holds, up to `limit` passes; returns the passes it took. */
function passesUntil(reactor: FfiReactor, done: () => boolean, limit: number): number {
  for (let passes = 1; passes <= limit; passes++) {
    reactor.pump();
    if (done()) return passes;
  }
  return Infinity;
}

test(
  "ffi: with sources, a socket that carries messages is still polled every 16 passes",
  { skip },
  async () => {
    const reactor = new FfiReactor(libc!);
    const carrying = await pair(reactor);
    const quiet = await pair(reactor);
    reactor.addSource(emptySource, quiet.server);
    const carried = collect(carrying.server);
    carrying.client.write(new Uint8Array([1]));
    const passes = passesUntil(reactor, () => carried.received() === 1, 1024);
    assert.ok(passes <= 16, `a byte on a socket that carries messages took ${passes} passes`);
    reactor.removeSource(emptySource, quiet.server);
    carrying.close();
    quiet.close();
  },
);

test("ffi: sockets beneath sources are polled less often, but their bytes and close still arrive", {
  skip,
}, async () => {
  const reactor = new FfiReactor(libc!);
  const quiet = await pair(reactor);
  reactor.addSource(emptySource, quiet.server);
  reactor.addSource(emptySource, quiet.client);
  const woken = collect(quiet.server);
  quiet.client.write(new Uint8Array([2]));
  const passes = passesUntil(reactor, () => woken.received() === 1, 1024);
  assert.ok(passes <= 256, `a byte beneath a source took ${passes} passes`);
  let closed: Error | undefined | null = null;
  quiet.server.onClose((error) => closed = error);
  quiet.client.destroy();
  const closing = passesUntil(reactor, () => closed !== null, 1024);
  assert.ok(closing <= 256, `the close beneath a source took ${closing} passes`);
  reactor.removeSource(emptySource, quiet.server);
  reactor.removeSource(emptySource, quiet.client);
  quiet.close();
});
