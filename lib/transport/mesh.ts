/**
 * The peer set of one rank: a listener for incoming connections and a lazily dialled connection to each peer.
 * A rank sends to a peer only on the connection it dialled itself and receives on the one the peer dialled,
 * so each direction is one ordered byte stream and simultaneous dials need no tie-break.
 *
 * @module
 */

import type { SocketHandle } from "../runtime/runtime.ts";
import type { FrameHeader } from "../wire/frame.ts";
import { FrameKind, HEADER_SIZE } from "../wire/frame.ts";
import { Connection } from "./connection.ts";
import { dialPeer, type PeerEndpoint, type PeerSockets } from "./endpoints.ts";
import { acceptHandshake, connectHandshake, dialUntilProven } from "./handshake.ts";
import { RefusalLog } from "./refusals.ts";
import { answerRing, offerRing, type RingMaker } from "./rings.ts";
import type { FrameHandler, FrameSink } from "./transport.ts";

/** What the mesh needs to know and whom it tells (the upcalls of {@linkcode FrameHandler}). */
export interface MeshOptions extends FrameHandler {
  /** This process's world rank. */
  rank: number;
  size: number;
  token: Uint8Array;
  /** Every rank's endpoint, indexed by rank (may be set later with `setPeers`). */
  peers?: PeerEndpoint[];
  /** The sockets to dial with (default: this process's, see `endpoints.ts`); tests pick each kind. */
  sockets?: PeerSockets;
  /** Diagnostics that must not disturb the job (refused strangers). */
  log(message: string): void;
  /** Where connections to ranks of this host may move onto rings in shared memory (see `rings.ts`). */
  rings?: RingMaker;
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
 * const listeners = await listenForPeers("127.0.0.1", (socket) => mesh.accept(socket));
 * ```
 */
export class Mesh implements FrameSink {
  #options: MeshOptions;
  #peers: PeerEndpoint[] | undefined;
  #outgoing: (Connection | QueuedFrame[] | undefined)[];
  #connections = new Set<Connection>();
  /** Open connections each peer dialled to this rank, by world rank. */
  #incoming: (Set<Connection> | undefined)[] = [];
  #closing = false;
  /** Connections being accepted (handshake, ring offer): a rank that ends lets them finish, then says BYE. */
  #accepting = new Set<Promise<void>>();
  /** Strangers refused: the first in full, then a summary at most every 2 s and when this rank is done. */
  #refusals: RefusalLog;

  constructor(options: MeshOptions) {
    this.#options = options;
    this.#peers = options.peers;
    this.#outgoing = new Array(options.size);
    this.#refusals = new RefusalLog(options.log);
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
    const accepting = acceptHandshake(connection, token, rank, (id) => id >= 0 && id < size && id !== rank)
      .then(
        (peer) =>
          answerRing(connection, this.#options.rings).then(
            () => this.#adopt(connection, peer, true),
            () => connection.destroy(),
          ),
        (error) => {
          connection.destroy();
          this.#refusals.handshakeFailed(socket.remoteAddress, error);
        },
      );
    this.#accepting.add(accepting);
    accepting.finally(() => this.#accepting.delete(accepting));
  }

  /**
   * Dials `peer` now if this rank has no connection to it yet, so that its death is noticed: a rank waiting
   * for a message from a peer it never sent to would otherwise not learn that the peer is gone.
   */
  watch(peer: number): void {
    if (peer === this.#options.rank || this.#outgoing[peer] !== undefined) return;
    this.#outgoing[peer] = [];
    this.#dial(peer).catch((error) => this.#dialFailed(peer, error));
  }

  /** Sends a frame to `peer`, dialling it first if needed. Frames to one peer go out in call order. */
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
   * closed and the connections being accepted have been answered. A rank calls it when its script is done: some runtimes report a write done while they still hold
   * its bytes, and would drop them if the process exited first.
   */
  shutdown(): Promise<void> {
    this.farewell();
    const closed: Promise<void>[] = [];
    for (const outgoing of this.#outgoing) {
      if (!(outgoing instanceof Connection) || outgoing.closed) continue;
      closed.push(new Promise((resolve) => outgoing.socket.onClose(() => resolve())));
      outgoing.close();
    }
    // Peers dialling this rank now get their handshake, then a BYE (see #adopt): not a close mid-way.
    return Promise.all([...closed, ...this.#accepting]).then(() => {});
  }

  /**
   * Tells every peer connected to this rank that its end is no failure (see `FrameKind.BYE`), once: when the
   * script is done, or as the process exits by itself (`process.exit`).
   */
  farewell(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#refusals.close();
    for (const connection of this.#connections) sendBye(connection);
  }

  /**
   * What this rank has sent that has not reached the kernel yet, per peer: frames still waiting for their
   * connection, and bytes queued on it. For the warning of a process that exits before they went out.
   */
  unsent(): { peer: number; frames: number; bytes: number }[] {
    const left: { peer: number; frames: number; bytes: number }[] = [];
    this.#outgoing.forEach((outgoing, peer) => {
      if (Array.isArray(outgoing) && outgoing.length > 0) {
        const bytes = outgoing.reduce((sum, frame) => sum + HEADER_SIZE + (frame.payload?.length ?? 0), 0);
        left.push({ peer, frames: outgoing.length, bytes });
      } else if (outgoing instanceof Connection && !outgoing.closed && (outgoing.socket.queued ?? 0) > 0) {
        left.push({ peer, frames: 0, bytes: outgoing.socket.queued! });
      }
    });
    return left;
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
    if (this.#closing) sendBye(connection);
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
    // No deadline on the peer: the connection proves its process alive, and only its end (refused, reset,
    // closed) proves it dead. A peer computing without yielding, or slowed by a loaded machine, answers once
    // it can; one that dropped this rank after its own deadline is dialled again (see dialUntilProven).
    let dialled: Connection | undefined;
    const connection = await dialUntilProven(
      async () => {
        dialled = undefined;
        return dialled = new Connection(await this.#connect(endpoint));
      },
      async (connection) => {
        await connectHandshake(connection, this.#options.token, this.#options.rank, peer, false);
        await offerRing(connection, this.#options.rings, peer);
      },
    ).catch((error) => {
      // A peer that spoke and then closed without a farewell died: one that ends normally completes the
      // handshakes under way first (see `shutdown`), and then says BYE.
      throw dialled && dialled.bytesHeard > 0 ? new LostMidHandshake(error) : error;
    });
    const queued = this.#outgoing[peer] as QueuedFrame[];
    this.#outgoing[peer] = connection;
    this.#adopt(connection, peer, false);
    for (const frame of queued) write(connection, frame.header, frame.payload, frame.headroom, frame.done);
  }

  /** Connects to `endpoint`: over its Unix socket when it has the same host name as this rank. */
  #connect(endpoint: PeerEndpoint): Promise<SocketHandle> {
    const self = this.#peers?.[this.#options.rank];
    const local = endpoint.hostname !== undefined && endpoint.hostname === self?.hostname;
    return dialPeer(endpoint, local, this.#options.sockets);
  }

  /**
   * A peer that cannot be dialled is gone. Its loss is reported now only if it has no connection open to this
   * rank: otherwise that connection's close reports it, after the peer's last frames (a peer that sent and
   * exited at once must not lose the messages still in this rank's socket).
   */
  #dialFailed(peer: number, error: Error): void {
    const queued = this.#outgoing[peer];
    this.#outgoing[peer] = undefined;
    const endpoint = this.#peers?.[peer];
    const why = `could not connect to ${endpoint?.host}:${endpoint?.port}: ${error.message}`;
    if (Array.isArray(queued)) { for (const frame of queued) frame.done(new Error(why)); }
    if ((this.#incoming[peer]?.size ?? 0) > 0) return;
    this.#options.onPeerLost(peer, why, !(error instanceof LostMidHandshake));
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

/**
 * A peer that closed the connection in the middle of the handshake or of the ring offer (see `rings.ts`),
 * after it had spoken: its process ran a moment before, so its loss fails ANY_SOURCE receives like the close
 * of an adopted connection without a farewell, unlike a peer that could not be reached at all.
 */
class LostMidHandshake extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = "LostMidHandshake";
  }
}

/** Tells the peer at the other end that this rank's script is done (see FrameKind.BYE). */
function sendBye(connection: Connection): void {
  if (connection.closed) return;
  const header = { length: 0, kind: FrameKind.BYE, flags: 0, context: 0, source: 0, tag: 0, seq: 0, size: 0 };
  connection.send(header, undefined, () => {});
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
