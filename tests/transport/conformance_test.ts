/**
 * The FrameSink conformance suite (`_conformance.ts`) over every implementation: the socket mesh over the
 * runtime's own TCP and Unix sockets, over `node:net`, over the C library's TCP and Unix sockets (the FFI
 * reactor, where it can be bound), over rings in shared memory beside those Unix sockets, and the in-memory
 * mesh the engine's tests use.
 */

import process from "node:process";
import * as bunNet from "../../lib/runtime/bun_net.ts";
import * as denoNet from "../../lib/runtime/deno_net.ts";
import { runtimeName } from "../../lib/runtime/detect.ts";
import * as nodeNet from "../../lib/runtime/node_net.ts";
import type { SocketHandle } from "../../lib/runtime/runtime.ts";
import {
  listenForPeers,
  type PeerEndpoint,
  type PeerListeners,
  type PeerSockets,
  processSockets,
} from "../../lib/transport/endpoints.ts";
import { newToken, parseToken } from "../../lib/transport/handshake.ts";
import { Mesh } from "../../lib/transport/mesh.ts";
import type { RingMaker } from "../../lib/transport/rings.ts";
import { HostSharedMemory } from "../../lib/transport/shared_memory.ts";
import { peerReactor } from "../../lib/transport/sockets.ts";
import type { FrameHandler } from "../../lib/transport/transport.ts";
import { MemoryMesh } from "../_helpers/memory_mesh.ts";
import { runConformance, type TestWorld, type TransportUnderTest } from "./_conformance.ts";

/** Ranks of a socket mesh in this process, each with its own listeners, dialling with `sockets`. */
function meshOver(
  name: string,
  sockets: PeerSockets,
  via: "tcp" | "unix",
  skip: string | false = false,
  rings?: RingMaker,
): TransportUnderTest {
  return {
    name,
    skip,
    via,
    async open(size: number, handlers: FrameHandler[]): Promise<TestWorld> {
      const token = parseToken(newToken());
      const accepted: string[] = [];
      const meshes: Mesh[] = [];
      const listeners: PeerListeners[] = [];
      const accepts: SocketHandle[][] = [];
      const endpoints: PeerEndpoint[] = [];
      // Tell which listener each connection reached (the TCP one or the Unix one), and keep the sockets a
      // rank accepted: a rank that ends closes them all, proven or not.
      const counting = (rank: number, kind: string) =>
      (accept: (socket: SocketHandle) => void) =>
      (
        socket: SocketHandle,
      ) => {
        accepted.push(kind);
        accepts[rank].push(socket);
        accept(socket);
      };
      for (let rank = 0; rank < size; rank++) {
        const mesh = new Mesh({
          rank,
          size,
          token,
          sockets,
          onFrame: (peer, header, payload) => handlers[rank].onFrame(peer, header, payload),
          onPeerLost: (peer, why, unreachable) => handlers[rank].onPeerLost(peer, why, unreachable),
          log: () => {},
          rings,
        });
        accepts.push([]);
        const listening = await listenForPeers("127.0.0.1", (socket) => mesh.accept(socket), {
          ...sockets,
          listen: (host, port, accept) => sockets.listen(host, port, counting(rank, "tcp")(accept)),
          listenUnix: (path, accept) => sockets.listenUnix(path, counting(rank, "unix")(accept)),
        });
        meshes.push(mesh);
        listeners.push(listening);
        // Same host name: dialled on the Unix socket; one host per rank: over TCP.
        endpoints.push({ ...listening, hostname: via === "unix" ? "host" : `host-${rank}` });
      }
      for (const mesh of meshes) mesh.setPeers(endpoints);
      const close = (rank: number) => {
        meshes[rank].close();
        listeners[rank].close();
        for (const socket of accepts[rank]) socket.destroy();
      };
      return {
        sinks: meshes,
        accepted,
        // What a rank does at exit (`openPeers`): end its connections once their bytes are out, then go.
        kill: async (rank) => {
          await meshes[rank].shutdown();
          close(rank);
        },
        close: () => meshes.forEach((_, rank) => close(rank)),
      };
    },
  };
}

/** The runtime's own sockets, as `MPIRUN_DENO_SOCKETS=native` picks them. */
const native: PeerSockets = runtimeName === "bun" ? bunNet : denoNet;
const noFfi = peerReactor ? false : "the C library cannot be bound here";

runConformance(meshOver(`mesh over ${runtimeName}'s TCP`, native, "tcp"));
runConformance(meshOver(`mesh over ${runtimeName}'s Unix sockets`, native, "unix"));
runConformance(meshOver("mesh over node:net TCP", nodeNet, "tcp"));
runConformance(meshOver("mesh over the C library's TCP (FFI reactor)", processSockets, "tcp", noFfi));
runConformance(
  meshOver(
    "mesh over the C library's Unix sockets (FFI reactor)",
    processSockets,
    "unix",
    noFfi || (process.platform !== "linux" && "abstract Unix sockets are Linux's"),
  ),
);

runConformance(
  meshOver(
    "mesh over rings in shared memory beside the C library's Unix sockets",
    processSockets,
    "unix",
    noFfi || (process.platform !== "linux" && "abstract Unix sockets are Linux's"),
    peerReactor && { shared: new HostSharedMemory(peerReactor.libc, process.pid), reactor: peerReactor },
  ),
);

runConformance({
  name: "in-memory mesh (tests/_helpers/memory_mesh.ts)",
  open(size: number, handlers: FrameHandler[]): Promise<TestWorld> {
    const mesh = new MemoryMesh(size, (rank) => handlers[rank]);
    return Promise.resolve({ sinks: mesh.sinks, kill: (rank) => mesh.kill(rank), close: () => {} });
  },
});
