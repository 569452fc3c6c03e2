/**
 * The collectives' own line to the point-to-point engine. Each communicator has one {@linkcode Collectives}
 * sequence; every collective call takes the next number and uses it as the tag of all its messages on the
 * communicator's collective context. Every rank calls collectives in the same order, so the numbers agree;
 * several collectives in flight never mix, and none ever matches user point-to-point traffic (which lives on
 * another context).
 *
 * Within one call, messages between two ranks are sent and received in program order, so the engine's
 * non-overtaking rule is all the matching a collective needs.
 *
 * @module
 */

import { TAG_UB } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import type { Engine } from "../p2p/engine.ts";

/** This rank's place in the communicator, as the argument checks of a collective need it. */
export interface Shape {
  rank: number;
  size: number;
}

/**
 * A collective call whose arguments have been checked, waiting for its channel. Checks run before the
 * channel is opened, so a call that fails them takes no sequence number.
 */
export type Run<T> = (channel: Channel) => Promise<T>;

/** What a communicator hands the collectives: who is in it, and where its collective traffic goes. */
export interface CollectiveHost {
  engine: Engine;
  /** World rank of each member, indexed by rank in the communicator. */
  members: readonly number[];
  /** This process's rank in the communicator. */
  rank: number;
  /** The communicator's collective context id. */
  context: number;
}

/**
 * The collective sequence of one communicator.
 *
 * @example
 * ```ts ignore
 * const collectives = new Collectives({ engine, members: [0, 1], rank: 0, context: 1 });
 * const channel = collectives.open("bcast", false); // tag 0; the next call gets tag 1
 * ```
 */
export class Collectives {
  readonly #host: CollectiveHost;
  #next = 0;

  constructor(host: CollectiveHost) {
    this.#host = host;
  }

  /**
   * Opens the channel of the next collective call. `raw` says whether the call moves buffer bytes (the
   * capitalised methods) or encoded values; a peer in the other kind of call is an ERR_TYPE error.
   */
  open(where: string, raw: boolean): Channel {
    const tag = this.#next;
    this.#next = tag === TAG_UB ? 0 : tag + 1;
    return new Channel(this.#host, where, tag, raw);
  }
}

/** The messages of one collective call: one tag, one context, one kind (raw bytes or encoded values). */
export class Channel {
  /** The call, for error messages, such as `"Allreduce"`. */
  readonly where: string;
  /** This process's rank in the communicator. */
  readonly rank: number;
  /** Number of ranks in the communicator. */
  readonly size: number;
  /** The call's sequence number, used as the tag of its messages. */
  readonly tag: number;
  readonly #host: CollectiveHost;
  readonly #raw: boolean;

  constructor(host: CollectiveHost, where: string, tag: number, raw: boolean) {
    this.#host = host;
    this.where = where;
    this.rank = host.rank;
    this.size = host.members.length;
    this.tag = tag;
    this.#raw = raw;
  }

  /**
   * Sends `bytes` to rank `to`. With `owned`, `bytes` is never written again (an encoding, a received
   * message being forwarded) and the engine may let go of the caller before the bytes are on the wire;
   * otherwise the promise resolves only once `bytes` may be changed.
   */
  send(to: number, bytes: Uint8Array, owned: boolean): Promise<void> {
    return this.#host.engine.send({
      peer: this.#host.members[to],
      context: this.#host.context,
      source: this.rank,
      tag: this.tag,
      payload: bytes,
      headroom: false,
      raw: this.#raw,
      sync: false,
      owned,
    });
  }

  /**
   * Receives the next message of this call from rank `from`. A large message is assembled straight into
   * `into` when given (see {@linkcode landedIn}); otherwise the payload is wherever the transport put it.
   */
  async receive(from: number, into?: Uint8Array): Promise<Uint8Array> {
    const host = this.#host;
    const message = await host.engine.receive({
      context: host.context,
      source: from,
      tag: this.tag,
      peer: host.members[from],
    }, into).promise;
    if (message === undefined) {
      throw mpiError(ErrorCode.ERR_INTERN, `${this.where}: the receive from rank ${from} was withdrawn`);
    }
    if (message.raw !== this.#raw) {
      const mine = this.#raw ? "a buffer collective (capitalised method)" : "a value collective";
      const theirs = message.raw ? "a buffer collective" : "a value collective";
      throw mpiError(
        ErrorCode.ERR_TYPE,
        `${this.where}: rank ${from} is in ${theirs} while this rank called ${mine}; every rank must make the same call`,
      );
    }
    return message.payload;
  }

  /** Sends `bytes` to `to` and receives from `from` (into `into`, if given) at once. */
  async exchange(
    to: number,
    bytes: Uint8Array,
    owned: boolean,
    from: number,
    into?: Uint8Array,
  ): Promise<Uint8Array> {
    const [received] = await Promise.all([this.receive(from, into), this.send(to, bytes, owned)]);
    return received;
  }
}

/** Did a received payload land in `target` itself (so no copy is needed)? */
export function landedIn(payload: Uint8Array, target: Uint8Array): boolean {
  return payload.buffer === target.buffer && payload.byteOffset === target.byteOffset;
}
