/**
 * Moving a connection between two ranks of one host onto a ring in shared memory (see `ring_socket.ts`),
 * right after the handshake has proven the job token, while both sides still read raw bytes:
 *
 * ```
 * dialler                                      acceptor
 *   0                        (no ring)   -->     reads 1 byte: 0
 *                                        <--     0
 *   1, n, name (n bytes)     (offer)     -->     maps /dev/shm/<name>, removes the name
 *                                        <--     1 (mapped) or 0 (could not)
 * ```
 *
 * The dialler waits for the answer either way before it sends frames: the acceptor reads frames only once
 * it has answered (until then its connection takes a few raw bytes at most).
 *
 * The dialler offers a ring only over a Unix socket through the C library (the peer runs on this host)
 * when shared memory is on (`MPIRUN_DENO_TRANSPORT` `auto` or `shm`). Either side falls back to the socket
 * on any failure, and the name is removed as soon as both have mapped it (or the offer failed), so nothing
 * is left under `/dev/shm` however the job ends.
 *
 * @module
 */

import type { SocketHandle } from "../runtime/runtime.ts";
import { ByteRing, RING_HEADER_BYTES } from "./byte_ring.ts";
import type { Connection } from "./connection.ts";
import { RingSocket, type SourceRegistry } from "./ring_socket.ts";
import type { HostSharedMemory } from "./shared_memory.ts";

/**
 * Bytes of each ring: enough for the frames of several small messages. Messages of 16 KiB or more between
 * ranks of one host are read straight from the sender's memory (see `DIRECT_MIN`), so only their short
 * requests pass here; a larger frame streams through in pieces.
 */
export const RING_CAPACITY = 64 * 1024;

/** What a rank needs to put its connections on rings. */
export interface RingMaker {
  shared: HostSharedMemory;
  reactor: SourceRegistry;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Can this socket's two ends share memory? Only a Unix socket through the C library tells its peer. */
function local(socket: SocketHandle): boolean {
  return socket.peerProcess !== undefined;
}

/** The dialler's side: offers a ring when it can, and moves the connection onto it if the peer maps it. */
export async function offerRing(
  connection: Connection,
  maker: RingMaker | undefined,
  peer: number,
): Promise<void> {
  if (!maker || !local(connection.socket)) return;
  const region = createRing(maker, peer);
  if (!region) {
    connection.writeRaw(Uint8Array.of(0));
    await connection.readBytes(1);
    return;
  }
  const name = encoder.encode(region.path.slice(region.path.lastIndexOf("/") + 1));
  connection.writeRaw(Uint8Array.of(1, name.length, ...name));
  try {
    const [mapped] = await connection.readBytes(1);
    if (mapped !== 1) return;
    const outbound = new ByteRing(region.bytes, RING_CAPACITY);
    connection.useSocket(new RingSocket(connection.socket, maker!.reactor, { outbound }));
  } finally {
    region.unlink();
  }
}

/** The acceptor's side: reads the dialler's offer, maps the ring if it can, and says whether it did. */
export async function answerRing(connection: Connection, maker: RingMaker | undefined): Promise<void> {
  if (!maker || !local(connection.socket)) return;
  const [offered] = await connection.readBytes(1);
  if (offered !== 1) {
    connection.writeRaw(Uint8Array.of(0));
    return;
  }
  const [length] = await connection.readBytes(1);
  const name = decoder.decode(await connection.readBytes(length));
  let memory: Uint8Array | undefined;
  if (maker && /^mpirun-deno-[\w-]+$/.test(name)) {
    try {
      const region = maker.shared.open(name, RING_HEADER_BYTES + RING_CAPACITY);
      region.unlink();
      memory = region.bytes;
    } catch {
      memory = undefined;
    }
  }
  connection.writeRaw(Uint8Array.of(memory ? 1 : 0));
  if (!memory) return;
  const inbound = new ByteRing(memory, RING_CAPACITY);
  connection.useSocket(new RingSocket(connection.socket, maker!.reactor, { inbound }));
}

function createRing(maker: RingMaker, peer: number) {
  try {
    return maker.shared.create(maker.shared.uniqueName(`r${peer}`), RING_HEADER_BYTES + RING_CAPACITY);
  } catch {
    return undefined;
  }
}
