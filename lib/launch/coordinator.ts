/**
 * The rendezvous server of a job. Every rank connects, proves the job token, and says `hello` with the
 * address it listens on; once all have, every rank gets the `world` (all addresses, indexed by rank). The
 * connections then stay open for the life of the job: a rank may `abort` the job through it, answers `report`
 * requests, and exits when it closes, so that no rank outlives its launcher.
 *
 * @module
 */

import type { AbortMessage, ControlMessage, HelloMessage, PeerAddress } from "../bootstrap/protocol.ts";
import { decodeControl, sendControl } from "../bootstrap/protocol.ts";
import { listen } from "../runtime/node_net.ts";
import type { ListenerHandle, SocketHandle } from "../runtime/runtime.ts";
import { Connection } from "../transport/connection.ts";
import { acceptHandshake, COORDINATOR_ID } from "../transport/handshake.ts";
import { RefusalLog } from "../transport/refusals.ts";
import { FrameKind } from "../wire/frame.ts";
import type { FrameHeader } from "../wire/frame.ts";

/** Largest control message a rank may send (a `blocked` report of many pending operations fits easily). */
const MAX_CONTROL_BYTES = 1024 * 1024;

/** What a coordinator needs, and whom it tells. */
export interface CoordinatorOptions {
  /** Address to listen on; port 0 (the default) picks a free one. */
  host: string;
  port?: number;
  /** Number of ranks. */
  size: number;
  /** The job token. */
  token: Uint8Array;
  /** One line about a refused connection or a protocol mistake (no prefix, no newline). */
  log(line: string): void;
  /** A rank said hello. */
  onHello?(hello: HelloMessage): void;
  /** Every rank said hello and was sent the world. */
  onWorld?(peers: readonly PeerAddress[]): void;
  /** A rank asked to end the job. */
  onAbort?(message: AbortMessage): void;
  /** A rank sent what it measured for `--report`. */
  onProfile?(rank: number, profile: unknown): void;
}

/** Answers to a {@linkcode Coordinator.requestReports} round: lines per rank, and who did not answer. */
export interface Reports {
  lines: Map<number, string[]>;
  /** Ranks connected to the coordinator that did not answer in time. */
  silent: number[];
  /** Ranks that were not connected (not yet, or no more). */
  unconnected: number[];
}

/**
 * The rendezvous server.
 *
 * @example
 * ```ts ignore
 * const coordinator = await Coordinator.start({ host: "127.0.0.1", size: 4, token, log: console.error });
 * console.log(coordinator.address); // "127.0.0.1:40123"
 * // ... spawn ranks with MPIRUN_DENO_COORDINATOR=coordinator.address ...
 * coordinator.close();
 * ```
 */
export class Coordinator {
  #options: CoordinatorOptions;
  #listener: ListenerHandle | undefined;
  #pending = new Set<Connection>();
  #ranks = new Map<number, Connection>();
  #hellos: (HelloMessage | undefined)[];
  #helloCount = 0;
  #worldSent = false;
  #closed = false;
  #listening = true;
  #refusals: RefusalLog;
  #reportRound:
    | { round: number; lines: Map<number, string[]>; waiting: Set<number>; done: () => void }
    | undefined;
  /** Report requests made so far: the number of the last one. */
  #reportRounds = 0;

  private constructor(options: CoordinatorOptions) {
    this.#options = options;
    this.#refusals = new RefusalLog(options.log);
    this.#hellos = new Array(options.size).fill(undefined);
  }

  /** Starts listening. */
  static async start(options: CoordinatorOptions): Promise<Coordinator> {
    const coordinator = new Coordinator(options);
    coordinator.#listener = await listen(
      options.host,
      options.port ?? 0,
      (socket) => coordinator.#accept(socket),
    );
    return coordinator;
  }

  /** The host the coordinator listens on. */
  get host(): string {
    return this.#listener!.host;
  }

  /** The port the coordinator listens on. */
  get port(): number {
    return this.#listener!.port;
  }

  /** `host:port`, as ranks find it in `MPIRUN_DENO_COORDINATOR` (IPv6 hosts in brackets). */
  get address(): string {
    return this.host.includes(":") ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  /** Has every rank said hello (and been sent the world)? */
  get worldSent(): boolean {
    return this.#worldSent;
  }

  /** The hello of `rank`, once it has said it. */
  hello(rank: number): HelloMessage | undefined {
    return this.#hellos[rank];
  }

  /**
   * Asks every connected rank what it is blocked in, and waits up to `waitMs` for the answers.
   */
  requestReports(waitMs: number): Promise<Reports> {
    const round = ++this.#reportRounds;
    const lines = new Map<number, string[]>();
    const waiting = new Set<number>();
    const unconnected: number[] = [];
    for (let rank = 0; rank < this.#options.size; rank++) {
      const connection = this.#ranks.get(rank);
      if (connection === undefined || connection.closed) {
        unconnected.push(rank);
        continue;
      }
      waiting.add(rank);
      sendControl(connection, { t: "report", round });
    }
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      const done = () => {
        clearTimeout(timer);
        this.#reportRound = undefined;
        resolve({ lines, silent: [...waiting].sort((a, b) => a - b), unconnected });
      };
      if (waiting.size === 0) return done();
      this.#reportRound = { round, lines, waiting, done };
      timer = setTimeout(done, waitMs);
    });
  }

  /** Stops listening and closes every connection: ranks that still run take it as the end of the job. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening();
    for (const connection of [...this.#pending, ...this.#ranks.values()]) connection.destroy();
    this.#pending.clear();
    this.#reportRound?.done();
    this.#refusals.close();
  }

  #stopListening(): void {
    const listener = this.#listener;
    if (listener === undefined || this.#listening === false) return;
    this.#listening = false;
    listener.close();
  }

  #accept(socket: SocketHandle): void {
    if (this.#closed || this.#worldSent) {
      socket.destroy();
      return;
    }
    const connection = new Connection(socket);
    this.#pending.add(connection);
    const size = this.#options.size;
    acceptHandshake(connection, this.#options.token, COORDINATOR_ID, (id) => id >= 0 && id < size)
      .then((rank) => {
        this.#pending.delete(connection);
        if (this.#closed) return connection.destroy();
        if (this.#ranks.has(rank)) {
          connection.destroy();
          return this.#refusals.refused(socket.remoteAddress, `a second connection from rank ${rank}`);
        }
        this.#ranks.set(rank, connection);
        connection.startFrames({
          onFrame: (header, payload) => this.#onFrame(rank, connection, header, payload),
          onClose: () => {},
        }, MAX_CONTROL_BYTES);
      })
      .catch((error: Error) => {
        this.#pending.delete(connection);
        connection.destroy();
        if (!this.#closed) this.#refusals.handshakeFailed(socket.remoteAddress, error);
      });
  }

  #onFrame(rank: number, connection: Connection, header: FrameHeader, payload: Uint8Array): void {
    let message: ControlMessage;
    try {
      if (header.kind !== FrameKind.CONTROL) throw new Error(`unexpected frame kind ${header.kind}`);
      message = decodeControl(payload);
    } catch (error) {
      this.#options.log(`rank ${rank} sent a bad control message: ${(error as Error).message}`);
      return;
    }
    switch (message.t) {
      case "hello":
        return this.#onHello(rank, connection, message);
      case "abort":
        return this.#options.onAbort?.({ ...message, rank });
      case "profile":
        return this.#options.onProfile?.(rank, message.profile);
      case "blocked": {
        const round = this.#reportRound;
        // An answer to an earlier request that came after its wait ended says nothing about this one.
        if (!round || message.round !== round.round || !round.waiting.delete(rank)) return;
        round.lines.set(rank, Array.isArray(message.lines) ? message.lines.map(String) : []);
        if (round.waiting.size === 0) round.done();
        return;
      }
      default:
        this.#options.log(`rank ${rank} sent ${JSON.stringify(message.t)}, which only the launcher sends`);
    }
  }

  #onHello(rank: number, connection: Connection, hello: HelloMessage): void {
    if (hello.rank !== rank || this.#hellos[rank] !== undefined) {
      this.#options.log(`rank ${rank} sent a hello for rank ${hello.rank}, or a second one; dropped it`);
      this.#ranks.delete(rank);
      connection.destroy();
      return;
    }
    this.#hellos[rank] = hello;
    this.#helloCount++;
    this.#options.onHello?.(hello);
    if (this.#helloCount < this.#options.size) return;
    const peers: PeerAddress[] = this.#hellos.map((entry) => {
      const { host, port, hostname, pid, path } = entry!;
      return { host, port, hostname, pid, ...(path ? { path } : {}) };
    });
    this.#worldSent = true;
    this.#stopListening();
    for (const peer of this.#ranks.values()) sendControl(peer, { t: "world", peers });
    this.#options.onWorld?.(peers);
  }
}
