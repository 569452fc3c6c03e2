/**
 * Moving a connection between two ranks of one host onto a ring in shared memory (see `ring_socket.ts`),
 * right after the handshake has proven the job token, while both sides still read raw bytes:
 *
 * ```
 * dialler                                      acceptor
 *   0                        (no ring)   -->     reads 1 byte: 0
 *                                        <--     0
 *   1, n, address (n bytes)  (offer)     -->     maps the region at the address
 *                                        <--     1 (mapped) or 0 (could not)
 * ```
 *
 * The dialler waits for the answer either way before it sends frames: the acceptor reads frames only once
 * it has answered (until then its connection takes a few raw bytes at most).
 *
 * The dialler offers a ring only over a Unix socket through the C library (the peer runs on this host)
 * when shared memory is on (`MPIRUN_DENO_TRANSPORT` `auto` or `shm`). Either side falls back to the socket
 * on any failure. The region is a file in memory with no name (see `shared_memory.ts`), which the dialler
 * closes once the acceptor has answered, so nothing is left behind however the job ends. The acceptor opens
 * it through the `/proc` link of the process at the other end of the socket, as it names that process
 * (`SO_PEERCRED`); where it cannot name it (the dialler runs in a PID namespace inside its own), it refuses.
 *
 * @module
 */

import type { SocketHandle } from "../runtime/runtime.ts";
import { ByteRing, RING_HEADER_BYTES } from "./byte_ring.ts";
import type { Connection } from "./connection.ts";
import { RingSocket, type SourceRegistry } from "./ring_socket.ts";
import { addressThrough, type HostSharedMemory } from "./shared_memory.ts";

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

/**
 * Do both ends of this socket take part in the exchange? Both ends of a Unix socket through the C library do,
 * alike: not "can this end name the other process", which differs between two PID namespaces (the outer one
 * names the inner process, not the other way round), and would leave one end offering a ring to another that
 * reads the offer as frames.
 */
function local(socket: SocketHandle): boolean {
  return socket.sameHost === true;
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
  const address = encoder.encode(region.address);
  connection.writeRaw(Uint8Array.of(1, address.length, ...address));
  let used = false;
  try {
    const [mapped] = await connection.readBytes(1);
    if (mapped !== 1) return;
    const outbound = new ByteRing(region.bytes, RING_CAPACITY);
    connection.useSocket(new RingSocket(connection.socket, maker!.reactor, { outbound }));
    used = true;
  } finally {
    // Mapped on both sides: nobody else may open it. Refused (or the peer is gone): nobody needs it.
    if (used) region.unlink();
    else region.release();
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
  const address = decoder.decode(await connection.readBytes(length));
  let memory: Uint8Array | undefined;
  // Only a region of the process at the other end of this socket.
  // Through this end's own name for the dialler (`SO_PEERCRED`, right across PID namespaces), not the one
  // the dialler wrote; none where this end cannot name it.
  const dialler = connection.socket.peerProcess;
  const region = dialler === undefined ? undefined : addressThrough(address, dialler);
  if (region) {
    try {
      memory = maker.shared.open(region, RING_HEADER_BYTES + RING_CAPACITY).bytes;
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
    return maker.shared.create(`r${peer}`, RING_HEADER_BYTES + RING_CAPACITY);
  } catch {
    return undefined;
  }
}
