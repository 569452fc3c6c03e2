/**
 * One suite over every socket implementation this runtime has (`node:net`, and the runtime's native sockets),
 * on TCP and on Unix domain sockets: order, large writes from the caller's bytes, write callbacks, graceful
 * end after queued writes, close reports.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { runtimeName } from "../../lib/runtime/detect.ts";
import * as bunNet from "../../lib/runtime/bun_net.ts";
import * as denoNet from "../../lib/runtime/deno_net.ts";
import * as nodeNet from "../../lib/runtime/node_net.ts";
import type { SocketHandle } from "../../lib/runtime/runtime.ts";
import { assertSmallBigSmall, collect } from "../_helpers/socket_checks.ts";
import type { SocketImplementation } from "../../lib/transport/sockets.ts";

const implementations: [string, SocketImplementation][] = [["node:net", nodeNet]];
if (runtimeName === "bun") implementations.push(["bun", bunNet]);
if (runtimeName === "deno") implementations.push(["deno", denoNet]);

/** A connected pair over TCP or a Unix socket: `client` dialled `server`. */
async function pair(
  net: SocketImplementation,
  unix: boolean,
): Promise<{ client: SocketHandle; server: SocketHandle; close: () => void }> {
  let accepted!: (socket: SocketHandle) => void;
  const serverSide = new Promise<SocketHandle>((resolve) => accepted = resolve);
  const file = path.join(
    os.tmpdir(),
    `mpirun-deno-test-${process.pid}-${Math.random().toString(16).slice(2)}.sock`,
  );
  const listener = unix ? await net.listenUnix(file, accepted) : await net.listen("127.0.0.1", 0, accepted);
  const client = unix ? await net.connectUnix(file) : await net.connect("127.0.0.1", listener.port);
  const server = await serverSide;
  return {
    client,
    server,
    close: () => {
      client.destroy();
      server.destroy();
      listener.close();
      if (unix) fs.rmSync(file, { force: true });
    },
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), `timed out waiting for ${what}`);
}

for (const [name, net] of implementations) {
  for (const unix of [false, true]) {
    const kind = `${name} ${unix ? "unix" : "tcp"}`;

    test(`${kind}: writes arrive whole and in order, and each write's callback runs`, async () => {
      const { client, server, close } = await pair(net, unix);
      const sink = collect(server);
      const big = new Uint8Array(16 << 20);
      for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 0xff;
      const small = new Uint8Array([1, 2, 3]);
      const done: string[] = [];
      client.write(small, () => done.push("small"));
      client.write(big, () => done.push("big"));
      client.write(small, () => done.push("small again"));
      await until(() => sink.received() === big.length + 6, "every byte");
      await until(() => done.length === 3, "every callback");
      assert.deepEqual(done, ["small", "big", "small again"]);
      assertSmallBigSmall(sink.bytes(), small, big);
      close();
    });

    test(`${kind}: end() sends queued bytes first, and both sides report the close`, async () => {
      const { client, server, close } = await pair(net, unix);
      const sink = collect(server);
      let serverClosed = false;
      let clientClosed = false;
      server.onClose(() => serverClosed = true);
      client.onClose(() => clientClosed = true);
      client.write(new Uint8Array(4 << 20).fill(7));
      client.end();
      await until(() => serverClosed && clientClosed, "both closes");
      assert.equal(sink.received(), 4 << 20);
      close();
    });

    test(`${kind}: data sent before the reader is set is kept for it`, async () => {
      const { client, server, close } = await pair(net, unix);
      server.write(new Uint8Array([9, 8, 7]));
      await new Promise((resolve) => setTimeout(resolve, 50));
      const sink = collect(client);
      await until(() => sink.received() === 3, "the early bytes");
      assert.deepEqual(sink.bytes(), new Uint8Array([9, 8, 7]));
      close();
    });
  }

  test(`${name}: a Linux abstract Unix socket (no file) carries bytes`, {
    skip: process.platform !== "linux",
  }, async () => {
    let accepted!: (socket: SocketHandle) => void;
    const serverSide = new Promise<SocketHandle>((resolve) => accepted = resolve);
    const listener = await net.listenUnix(`\0mpirun-deno-test-${process.pid}-${Math.random()}`, accepted);
    const client = await net.connectUnix(listener.host);
    const server = await serverSide;
    const sink = collect(server);
    client.write(new Uint8Array([5, 6, 7]));
    await until(() => sink.received() === 3, "the bytes");
    client.destroy();
    server.destroy();
    listener.close();
  });

  test(`${name}: closing a listener leaves its accepted connections open`, async () => {
    let accepted!: (socket: SocketHandle) => void;
    const serverSide = new Promise<SocketHandle>((resolve) => accepted = resolve);
    const listener = await net.listen("127.0.0.1", 0, accepted);
    const client = await net.connect("127.0.0.1", listener.port);
    const server = await serverSide;
    listener.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const sink = collect(client);
    server.write(new Uint8Array([1, 2]));
    await until(() => sink.received() === 2, "bytes after the listener closed");
    client.destroy();
    server.destroy();
  });

  test(`${name}: connecting where nobody listens rejects`, async () => {
    const listener = await net.listen("127.0.0.1", 0, () => {});
    const port = listener.port;
    listener.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await assert.rejects(net.connect("127.0.0.1", port));
  });
}
