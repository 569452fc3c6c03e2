/**
 * The mesh dials a peer on its own host over the peer's Unix domain socket, proving the job token there as on
 * TCP, and falls back to TCP when the peer is on another host or its socket cannot be reached.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import type { ListenerHandle, SocketHandle } from "../../lib/runtime/runtime.ts";
import { listen, listenUnix } from "../../lib/transport/sockets.ts";
import { newToken, parseToken } from "../../lib/transport/handshake.ts";
import type { PeerEndpoint } from "../../lib/transport/endpoints.ts";
import { Mesh } from "../../lib/transport/mesh.ts";
import { FrameKind } from "../../lib/wire/frame.ts";

const token = parseToken(newToken());

/** Rank 1 of a world of 2, listening on TCP and on a Unix socket; records which listener each dial reached. */
async function listeningPeer(peerToken = token) {
  const via: string[] = [];
  const tags: number[] = [];
  const refused: string[] = [];
  const mesh = new Mesh({
    rank: 1,
    size: 2,
    token: peerToken,
    onFrame: (_peer, header) => tags.push(header.tag),
    onPeerLost: () => {},
    log: (message) => refused.push(message),
  });
  const accept = (kind: string) => (socket: SocketHandle) => {
    via.push(kind);
    mesh.accept(socket);
  };
  const file = path.join(
    os.tmpdir(),
    `mpirun-deno-mesh-${process.pid}-${Math.random().toString(16).slice(2)}.sock`,
  );
  const listeners: ListenerHandle[] = [
    await listen("127.0.0.1", 0, accept("tcp")),
    await listenUnix(file, accept("unix")),
  ];
  return {
    via,
    tags,
    refused,
    endpoint: (hostname: string, unixPath: string | undefined = file): PeerEndpoint => ({
      host: "127.0.0.1",
      port: listeners[0].port,
      hostname,
      ...(unixPath ? { path: unixPath } : {}),
    }),
    close: () => {
      mesh.close();
      for (const listener of listeners) listener.close();
      fs.rmSync(file, { force: true });
    },
  };
}

function dialler(peers: PeerEndpoint[]): { mesh: Mesh; lost: string[] } {
  const lost: string[] = [];
  const mesh = new Mesh({
    rank: 0,
    size: 2,
    token,
    peers,
    onFrame: () => {},
    onPeerLost: (_peer, why) => lost.push(why),
    log: () => {},
  });
  return { mesh, lost };
}

function send(mesh: Mesh, tag: number): Promise<void> {
  const header = { length: 0, kind: FrameKind.EAGER, flags: 0, context: 0, source: 0, tag, seq: 0, size: 0 };
  return new Promise((resolve, reject) =>
    mesh.sendFrame(1, header, new Uint8Array([1, 2, 3]), false, (error) => error ? reject(error) : resolve())
  );
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

test("a peer with the same host name is dialled on its Unix socket, and proves the token there", async () => {
  const peer = await listeningPeer();
  const self: PeerEndpoint = { host: "127.0.0.1", port: 1, hostname: "node-a" };
  const { mesh } = dialler([self, peer.endpoint("node-a")]);
  await send(mesh, 7);
  await send(mesh, 8);
  await until(() => peer.tags.length === 2);
  assert.deepEqual(peer.via, ["unix"]);
  assert.deepEqual(peer.tags, [7, 8]);
  mesh.close();
  peer.close();
});

test("a peer on another host is dialled over TCP even when it has a Unix socket", async () => {
  const peer = await listeningPeer();
  const self: PeerEndpoint = { host: "127.0.0.1", port: 1, hostname: "node-a" };
  const { mesh } = dialler([self, peer.endpoint("node-b")]);
  await send(mesh, 9);
  await until(() => peer.tags.length === 1);
  assert.deepEqual(peer.via, ["tcp"]);
  mesh.close();
  peer.close();
});

test("a Unix socket that cannot be reached falls back to TCP", async () => {
  const peer = await listeningPeer();
  const self: PeerEndpoint = { host: "127.0.0.1", port: 1, hostname: "node-a" };
  const { mesh, lost } = dialler([
    self,
    peer.endpoint("node-a", path.join(os.tmpdir(), "mpirun-deno-missing.sock")),
  ]);
  await send(mesh, 10);
  await until(() => peer.tags.length === 1);
  assert.deepEqual(peer.via, ["tcp"]);
  assert.deepEqual(lost, []);
  mesh.close();
  peer.close();
});

test("a stranger with the wrong token is refused on the Unix socket too", async () => {
  const peer = await listeningPeer(parseToken(newToken()));
  const self: PeerEndpoint = { host: "127.0.0.1", port: 1, hostname: "node-a" };
  const { mesh, lost } = dialler([self, peer.endpoint("node-a")]);
  await assert.rejects(send(mesh, 11));
  await until(() => peer.refused.length === 1);
  assert.deepEqual(peer.via, ["unix"]);
  assert.match(peer.refused[0], /its proof of the job token is wrong/);
  assert.equal(lost.length, 1);
  assert.deepEqual(peer.tags, []);
  mesh.close();
  peer.close();
});
