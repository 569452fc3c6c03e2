/**
 * The peer set of one rank: a listener for incoming connections and a lazily dialled connection to each peer.
 * A rank sends to a peer only on the connection it dialled itself and receives on the one the peer dialled,
 * so each direction is one ordered byte stream and simultaneous dials need no tie-break.
 *
 * @module
 */

import { connectPeer, connectUnix } from "../runtime/sockets.ts";
import type { SocketHandle } from "../runtime/runtime.ts";
import type { FrameHeader } from "../wire/frame.ts";
import { HEADER_SIZE } from "../wire/frame.ts";
import { CONNECT_TIMEOUT_MS } from "../wire/limits.ts";
import { Connection } from "./connection.ts";
import { acceptHandshake, connectHandshake } from "./handshake.ts";
import { logRefusal } from "./refusals.ts";

/** Where a peer listens. */
export interface PeerEndpoint {
  host: string;
  port: number;
  /** The peer's host name: a peer on this rank's host with a Unix socket `path` is dialled there. */
  hostname?: string;
  /** The Unix domain socket the peer also listens on, if any. */
  path?: string;
}

/** What the mesh needs to know and whom it tells. */
export interface MeshOptions {
  /** This process's world rank. */
  rank: number;
  size: number;
  token: Uint8Array;
  /** Every rank's endpoint, indexed by rank (may be set later with `setPeers`). */
  peers?: PeerEndpoint[];
  onFrame(peer: number, header: FrameHeader, payload: Uint8Array): void;
  onPeerLost(peer: number, why: string): void;
  /** Optional: where to assemble a frame's payload from `peer` (the receiver's buffer of a rendezvous). */
  payloadTarget?(peer: number, header: FrameHeader): Uint8Array | undefined;
  /** Diagnostics that must not disturb the job (refused strangers). */
  log(message: string): void;
}

type Done = (error?: Error | null) => void;

interface QueuedFrame {
  header: FrameHeader;
  payload: Uint8Array | undefined;
  headroom: boolean;
  done: Done;
}

/**
 * Connections to every peer of one rank.
 *
 * @example
 * ```ts ignore
 * const mesh = new Mesh({ rank, size, token, peers, onFrame, onPeerLost, log: console.error });
 * listener = await listen("127.0.0.1", 0, (socket) => mesh.accept(socket));
 * ```
 */
export class Mesh {
  #options: MeshOptions;
  #peers: PeerEndpoint[] | undefined;
  #outgoing: (Connection | QueuedFrame[] | undefined)[];
  #connections = new Set<Connection>();
  /** Open connections each peer dialled to this rank, by world rank. */
  #incoming: (Set<Connection> | undefined)[] = [];
  #closing = false;

  constructor(options: MeshOptions) {
    this.#options = options;
    this.#peers = options.peers;
    this.#outgoing = new Array(options.size);
  }

  /** Sets every rank's endpoint once the rendezvous has given them. */
  setPeers(peers: PeerEndpoint[]): void {
    this.#peers = peers;
  }

  /** Takes an accepted socket: proves the token both ways, then reads its frames as coming from that peer. */
  accept(socket: SocketHandle): void {
    socket.unref();
    const connection = new Connection(socket);
    const { rank, size, token } = this.#options;
    acceptHandshake(connection, token, rank, (id) => id >= 0 && id < size && id !== rank).then(
      (peer) => this.#adopt(connection, peer, true),
      (error) => {
        connection.destroy();
        logRefusal(this.#options.log, socket.remoteAddress, error.message);
      },
    );
  }

  /** Sends a frame to `peer`, dialling it first if needed. Frames to one peer go out in call order. */
  /**
   * Dials `peer` now if this rank has no connection to it yet, so that its death is noticed: a rank waiting
   * for a message from a peer it never sent to would otherwise not learn that the peer is gone.
   */
  watch(peer: number): void {
    if (peer === this.#options.rank || this.#outgoing[peer] !== undefined) return;
    this.#outgoing[peer] = [];
    this.#dial(peer).catch((error) => this.#dialFailed(peer, error));
  }

  sendFrame(
    peer: number,
    header: FrameHeader,
    payload: Uint8Array | undefined,
    headroom: boolean,
    done: Done,
  ): void {
    if (peer === this.#options.rank) {
      this.#loopback(header, payload, headroom, done);
      return;
    }
    const outgoing = this.#outgoing[peer];
    if (outgoing instanceof Connection) {
      write(outgoing, header, payload, headroom, done);
      return;
    }
    if (outgoing) {
      outgoing.push({ header, payload, headroom, done });
      return;
    }
    this.#outgoing[peer] = [{ header, payload, headroom, done }];
    this.#dial(peer).catch((error) => this.#dialFailed(peer, error));
  }

  /**
   * Ends every connection this rank dialled once its queued bytes are written, and resolves when they have all
   * closed. A rank calls it when its script is done: some runtimes report a write done while they still hold
   * its bytes, and would drop them if the process exited first.
   */
  shutdown(): Promise<void> {
    this.#closing = true;
    const closed: Promise<void>[] = [];
    for (const outgoing of this.#outgoing) {
      if (!(outgoing instanceof Connection) || outgoing.closed) continue;
      closed.push(new Promise((resolve) => outgoing.socket.onClose(() => resolve())));
      outgoing.close();
    }
    return Promise.all(closed).then(() => {});
  }

  /**
   * The process id of `peer` as this process sees it, when a connection with it can tell (a Unix socket
   * through the C library: the peer runs on this host); undefined otherwise.
   */
  peerProcess(peer: number): number | undefined {
    const outgoing = this.#outgoing[peer];
    if (outgoing instanceof Connection && !outgoing.closed) return outgoing.socket.peerProcess;
    for (const connection of this.#incoming[peer] ?? []) return connection.socket.peerProcess;
    return undefined;
  }

  /** Closes every connection (the process is ending). */
  close(): void {
    this.#closing = true;
    for (const connection of this.#connections) connection.destroy();
  }

  /**
   * Reads frames from a proven connection. `incoming` connections carry the peer's messages; the one this rank
   * dialled carries only control frames back. When a peer exits, both close, in either order: the loss is
   * reported by the incoming one's close, which comes after every message on it, so a message the peer sent
   * just before it exited is still received.
   */
  #adopt(connection: Connection, peer: number, incoming: boolean): void {
    this.#connections.add(connection);
    if (incoming) (this.#incoming[peer] ??= new Set()).add(connection);
    connection.startFrames({
      onFrame: (header, payload) => this.#options.onFrame(peer, header, payload),
      payloadTarget: (header) => this.#options.payloadTarget?.(peer, header),
      onClose: (error) => {
        this.#connections.delete(connection);
        if (incoming) this.#incoming[peer]?.delete(connection);
        if (this.#closing) return;
        if (!incoming && (this.#incoming[peer]?.size ?? 0) > 0) return;
        this.#options.onPeerLost(peer, error ? error.message : "its connection closed");
      },
    });
  }

  async #dial(peer: number): Promise<void> {
    const endpoint = this.#peers?.[peer];
    if (!endpoint) throw new Error(`no address is known for rank ${peer}`);
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
    let socket: SocketHandle | undefined = await this.#dialUnix(endpoint);
    for (let delay = 10; !socket; delay = Math.min(delay * 2, 500)) {
      try {
        socket = await connectPeer(endpoint.host, endpoint.port);
      } catch (error) {
        // Every peer listened before the rendezvous ended, so a refusal means the peer is gone: no retries.
        const refused = (error as { code?: string }).code === "ECONNREFUSED" ||
          /refused/i.test(String(error));
        if (refused || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    socket.unref();
    const connection = new Connection(socket);
    await connectHandshake(connection, this.#options.token, this.#options.rank, peer);
    const queued = this.#outgoing[peer] as QueuedFrame[];
    this.#outgoing[peer] = connection;
    this.#adopt(connection, peer, false);
    for (const frame of queued) write(connection, frame.header, frame.payload, frame.headroom, frame.done);
  }

  /**
   * A peer on this host that listens on a Unix domain socket is dialled there (no TCP/IP stack: shorter
   * round trips, more bandwidth). Any failure falls back to TCP: the host names may match across containers.
   */
  async #dialUnix(endpoint: PeerEndpoint): Promise<SocketHandle | undefined> {
    const self = this.#peers?.[this.#options.rank];
    const local = endpoint.hostname !== undefined && endpoint.hostname === self?.hostname;
    if (!endpoint.path || !local) return undefined;
    try {
      return await connectUnix(endpoint.path);
    } catch {
      return undefined;
    }
  }

  #dialFailed(peer: number, error: Error): void {
    const queued = this.#outgoing[peer];
    this.#outgoing[peer] = undefined;
    const endpoint = this.#peers?.[peer];
    const why = `could not connect to ${endpoint?.host}:${endpoint?.port}: ${error.message}`;
    if (Array.isArray(queued)) { for (const frame of queued) frame.done(new Error(why)); }
    this.#options.onPeerLost(peer, why);
  }

  #loopback(header: FrameHeader, payload: Uint8Array | undefined, headroom: boolean, done: Done): void {
    const body = payload === undefined
      ? new Uint8Array(0)
      : (headroom ? payload.subarray(HEADER_SIZE) : payload).slice();
    const copy = { ...header, length: body.length };
    queueMicrotask(() => {
      done();
      this.#options.onFrame(this.#options.rank, copy, body);
    });
  }
}

function write(
  connection: Connection,
  header: FrameHeader,
  payload: Uint8Array | undefined,
  headroom: boolean,
  done: Done,
): void {
  if (headroom) connection.sendWithHeadroom(header, payload!, done);
  else connection.send(header, payload, done);
}
