/**
 * A connection between two ranks of one host whose messages travel through a {@linkcode ByteRing} in shared
 * memory instead of the kernel: the Unix socket it was made on stays open beside it, to tell each side when
 * the other is gone (its close), to carry the few frames that go back the other way, and to wake a consumer
 * that sleeps in `poll(2)` (one byte, written only when the consumer said it sleeps). A rank sends only on
 * the connection it dialled (see `Mesh`), so each ring has one producer, the dialler, and one consumer.
 *
 * The consumer checks its rings on every pass of the reactor without a system call (see `PolledSource` in
 * `ffi_reactor.ts`); that is where the time goes from about 2.5 µs one way over a Unix socket to well under.
 *
 * @module
 */

import type { PolledSource } from "./ffi_reactor.ts";
import type { SocketHandle } from "../runtime/runtime.ts";
import { SocketBase, type WriteDone } from "../runtime/socket_base.ts";
import type { ByteRing } from "./byte_ring.ts";

/** Where ring sockets register to be pumped: the C library's reactor. */
export interface SourceRegistry {
  /** `beneath`: the socket the source's messages no longer travel on. */
  addSource(source: PolledSource, beneath?: SocketHandle): void;
  removeSource(source: PolledSource, beneath?: SocketHandle): void;
  /** Set by the rank's progress loop: call it when bytes wait to be written. */
  onBacklog: () => void;
}

/** The byte that wakes a sleeping consumer. */
const DOORBELL = Uint8Array.of(1);

/**
 * The smallest piece of a write that does not fit whole that goes into a nearly full ring: smaller pieces
 * wait for the consumer to free more (see `ByteRing.write`).
 */
const MIN_PIECE = 4096;

/** Bytes one pump may deliver before the other sources get their turn. */
const READ_BUDGET = 1 << 20;
/** The target of the reads after a pump's first: the records of a stream, taken in one read. */
const READ_BATCH = 64 * 1024;

/**
 * One side of a ring connection: the producer (it writes into `outbound`) or the consumer (it reads
 * `inbound`). What the other side writes on the socket reaches the producer as data; the consumer takes
 * the socket's bytes as wake-ups only.
 *
 * @example
 * ```ts ignore
 * const socket = new RingSocket(unixSocket, reactor, { outbound: ring });
 * socket.write(frame); // into the ring; the consumer reads it on its next pass
 * ```
 */
export class RingSocket extends SocketBase implements PolledSource {
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly #inner: SocketHandle;
  readonly #registry: SourceRegistry;
  readonly #inbound: ByteRing | undefined;
  readonly #outbound: ByteRing | undefined;

  constructor(
    inner: SocketHandle,
    registry: SourceRegistry,
    rings: { inbound?: ByteRing; outbound?: ByteRing },
  ) {
    super();
    this.#inner = inner;
    this.#registry = registry;
    this.#inbound = rings.inbound;
    this.#outbound = rings.outbound;
    this.remoteAddress = `${inner.remoteAddress} (shared memory)`;
    this.localAddress = inner.localAddress;
    inner.onData((chunk) => {
      if (!this.#inbound) this.deliver(chunk);
    });
    inner.onClose((error) => {
      // Everything the producer wrote before it went is in the ring: deliver it before the close.
      if (this.#inbound) { while (this.#readRing()); }
      this.#registry.removeSource(this, inner);
      this.markClosed(error);
    });
    registry.addSource(this, inner);
  }

  /** Always: a ring joins two processes of one host. */
  readonly sameHost = true;

  /** The process at the other end (see `SocketHandle.peerProcess`). */
  get peerProcess(): number | undefined {
    return this.#inner.peerProcess;
  }

  /**
   * Bytes written and not yet taken: the ring's queue, or for a consumer (whose frames go on the socket) the
   * socket's. NaN when the socket cannot tell: it equals no count, so a caller comparing counts before and
   * after a write takes the bytes as held (see `Connection.send`).
   */
  override get queued(): number {
    return this.#outbound ? super.queued : this.#inner.queued ?? Number.NaN;
  }

  override write(data: Uint8Array, done?: WriteDone): boolean {
    // A consumer's few frames back (farewells) go on the socket.
    if (!this.#outbound) return this.#inner.write(data, done);
    return super.write(data, done);
  }

  pump(): boolean {
    if (this.closed) return false;
    if (this.pending.length > 0) this.flushPending();
    return this.#inbound ? this.#readRing() : false;
  }

  beforeSleep(): boolean {
    const inbound = this.#inbound;
    if (!inbound || this.closed) return false;
    inbound.consumerSleeping = true;
    return inbound.available() > 0;
  }

  afterSleep(): void {
    if (this.#inbound) this.#inbound.consumerSleeping = false;
  }

  destroy(): void {
    this.#inner.destroy();
  }

  unref(): void {
    this.#inner.unref();
  }

  ref(): void {
    this.#inner.ref();
  }

  protected writeNow(bytes: Uint8Array): number {
    const ring = this.#outbound!;
    const count = ring.write(bytes, MIN_PIECE);
    if (count > 0 && ring.consumerSleeping) this.#inner.write(DOORBELL);
    return count;
  }

  protected override queuedWrite(): void {
    this.#registry.onBacklog();
  }

  protected finishEnd(): void {
    this.#inner.end();
  }

  /** Delivers what the ring holds, up to a budget; true if anything was delivered. */
  #readRing(): boolean {
    const ring = this.#inbound!;
    // Most passes of a waiting rank find the ring empty: they make no read target (a view, garbage) for it.
    let available = ring.available();
    if (available === 0) return false;
    // The first read takes the first record, in a target of its size: filled whole, it is delivered without a
    // second view (a ping-pong's frame, in an array of its own). Records that wait behind it (a stream) are
    // taken together, as many as a large target holds, and delivered as one chunk.
    for (
      let budget = READ_BUDGET, wanted = available;
      budget > 0 && available > 0;
      available = ring.available(), wanted = Math.max(available, READ_BATCH)
    ) {
      const target = this.readTarget(wanted);
      const count = ring.read(target);
      if (count === 0) break; // cannot be (the bytes were there, the target has room): never spin on it
      budget -= count;
      this.received(target, count);
    }
    return true;
  }
}
