/**
 * How the mesh classifies a peer it could not finish connecting to. A peer that accepted the connection and
 * spoke, then closed it in the middle of the handshake, died: its loss is a failure (it fails ANY_SOURCE
 * receives). A peer that never said a word (a refused dial, a connection closed before any byte) may have
 * ended normally: it is only unreachable.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { SocketHandle } from "../../lib/runtime/runtime.ts";
import { listen } from "../../lib/transport/sockets.ts";
import { newToken, parseToken } from "../../lib/transport/handshake.ts";
import { Mesh } from "../../lib/transport/mesh.ts";

/** The acceptor's first words: the protocol's magic and a 16-byte nonce (see `handshake.ts`). */
const HELLO = new Uint8Array([...new TextEncoder().encode("MPIRDNO1"), ...new Uint8Array(16).fill(7)]);

interface Loss {
  peer: number;
  why: string;
  unreachable: boolean;
}

/** Rank 0 of 2 watches rank 1, whose listener does `onConnection` with each socket; resolves with the loss. */
async function watchPeer(onConnection: (socket: SocketHandle) => void, listening = true): Promise<Loss> {
  const listener = await listen("127.0.0.1", 0, onConnection);
  const port = listener.port;
  if (!listening) listener.close();
  // Nothing else keeps the event loop alive while the dial is under way.
  const keepAlive = setTimeout(() => {}, 30_000);
  try {
    return await new Promise<Loss>((resolve) => {
      const mesh = new Mesh({
        rank: 0,
        size: 2,
        token: parseToken(newToken()),
        peers: [{ host: "127.0.0.1", port: 1 }, { host: "127.0.0.1", port }],
        onFrame: () => {},
        onPeerLost: (peer, why, unreachable = false) => {
          mesh.close();
          resolve({ peer, why, unreachable });
        },
        log: () => {},
      });
      mesh.watch(1);
    });
  } finally {
    clearTimeout(keepAlive);
    if (listening) listener.close();
  }
}

test("a peer that spoke and then closed in the middle of the handshake is lost, not just unreachable", async () => {
  const loss = await watchPeer((socket) => {
    socket.write(HELLO);
    setTimeout(() => socket.destroy(), 50);
  });
  assert.equal(loss.peer, 1);
  assert.equal(loss.unreachable, false, `lost as a failure: ${loss.why}`);
  assert.match(loss.why, /closed after 0 of \d+ handshake bytes|errno 104/);
});

test("a peer that closed the connection before saying anything is only unreachable", async () => {
  const loss = await watchPeer((socket) => setTimeout(() => socket.destroy(), 50));
  assert.equal(loss.peer, 1);
  assert.equal(loss.unreachable, true, loss.why);
});

test("a peer whose port refuses the dial is only unreachable", async () => {
  const loss = await watchPeer(() => {}, false);
  assert.equal(loss.peer, 1);
  assert.equal(loss.unreachable, true, loss.why);
  assert.match(loss.why, /could not connect to 127\.0\.0\.1:\d+/);
});
