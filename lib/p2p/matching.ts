/**
 * Matching of messages to receives: the posted-receive queue and the unexpected-message queue, with MPI's
 * wildcards and its non-overtaking rule (messages from one sender on one communicator match in the order
 * sent). Pure: no I/O, no timers.
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG } from "../constants.ts";

/** The envelope of a message: which communicator context, which sender (rank in it), which tag. */
export interface Envelope {
  context: number;
  source: number;
  tag: number;
}

/** A message that has arrived (whole, or announced by a rendezvous request). */
export interface Arrival extends Envelope {
  /** World rank of the sending process. */
  peer: number;
  /** Is the payload raw buffer bytes (not an encoded value)? */
  raw: boolean;
  /** The payload of an eager message; `undefined` for a rendezvous request. */
  payload: Uint8Array | undefined;
  /** Payload size in bytes. */
  size: number;
  /** Rendezvous sequence number (meaningful when `payload` is undefined). */
  seq: number;
  /** Where the message lies in the sender's memory, when the receiver may read it there (see `DirectCopy`). */
  address?: number;
  /** Where the sender's claim words for a shared copy lie in its memory (see `p2p/share_claims.ts`). */
  claim?: number;
}

/** What a receive or probe looks for. `source`/`tag` may be ANY_SOURCE/ANY_TAG. */
export interface Pattern extends Envelope {
  /** World rank of `source`, or -1 for ANY_SOURCE: lets a lost peer fail the receives that wait for it. */
  peer: number;
  /**
   * For ANY_SOURCE: the world ranks of the communicator, any of which could send the message; the failure of
   * one fails the receive (MPI-4's MPI_ERR_PROC_FAILED for ANY_SOURCE). Without it, only `peer` counts.
   */
  members?: readonly number[];
}

/** Does `arrival` match `pattern`? */
export function matches(pattern: Envelope, arrival: Envelope): boolean {
  return pattern.context === arrival.context &&
    (pattern.source === ANY_SOURCE || pattern.source === arrival.source) &&
    (pattern.tag === ANY_TAG || pattern.tag === arrival.tag);
}

/**
 * The two queues. A receive first looks through the unexpected messages in arrival order; an arrival first
 * looks through the posted receives in posting order. Either way the earliest candidate wins, which is what
 * keeps MPI's ordering rules.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MatchQueues } from "./matching.ts";
 * const queues = new MatchQueues<{ context: number; source: number; tag: number; peer: number }>();
 * queues.post({ context: 0, source: -1, tag: 7, peer: -1 });
 * const arrival = { context: 0, source: 2, tag: 7, peer: 2, raw: false, payload: new Uint8Array(1), size: 1, seq: 0 };
 * assert.notEqual(queues.takePosted(arrival), undefined);
 * ```
 */
export class MatchQueues<R extends Pattern> {
  #posted: R[] = [];
  #unexpected: Arrival[] = [];

  /** Receives waiting for a message. */
  get posted(): readonly R[] {
    return this.#posted;
  }

  /** Messages waiting for a receive. */
  get unexpected(): readonly Arrival[] {
    return this.#unexpected;
  }

  /** Removes and returns the earliest posted receive that `arrival` matches. */
  takePosted(arrival: Arrival): R | undefined {
    const posted = this.#posted;
    for (let i = 0; i < posted.length; i++) {
      if (matches(posted[i], arrival)) return i === 0 ? posted.shift() : posted.splice(i, 1)[0];
    }
    return undefined;
  }

  /** Removes and returns the earliest unexpected message that `pattern` matches. */
  takeUnexpected(pattern: Envelope): Arrival | undefined {
    const unexpected = this.#unexpected;
    for (let i = 0; i < unexpected.length; i++) {
      if (matches(pattern, unexpected[i])) return i === 0 ? unexpected.shift() : unexpected.splice(i, 1)[0];
    }
    return undefined;
  }

  /** The earliest unexpected message that `pattern` matches, left in place (for probe). */
  peekUnexpected(pattern: Envelope): Arrival | undefined {
    for (const arrival of this.#unexpected) if (matches(pattern, arrival)) return arrival;
    return undefined;
  }

  /** Removes `arrival` itself from the unexpected messages; false if it is no longer there. */
  removeUnexpected(arrival: Arrival): boolean {
    const index = this.#unexpected.indexOf(arrival);
    if (index < 0) return false;
    this.#unexpected.splice(index, 1);
    return true;
  }

  /** Queues a receive that found no unexpected message. */
  post(receive: R): void {
    this.#posted.push(receive);
  }

  /** Queues a message that found no posted receive. */
  addUnexpected(arrival: Arrival): void {
    this.#unexpected.push(arrival);
  }

  /** Withdraws a posted receive; false if it already matched. */
  withdraw(receive: R): boolean {
    const index = this.#posted.indexOf(receive);
    if (index < 0) return false;
    this.#posted.splice(index, 1);
    return true;
  }

  /** Removes and returns every posted receive for which `predicate` holds. */
  takePostedWhere(predicate: (receive: R) => boolean): R[] {
    const taken = this.#posted.filter(predicate);
    if (taken.length > 0) this.#posted = this.#posted.filter((receive) => !predicate(receive));
    return taken;
  }
}
