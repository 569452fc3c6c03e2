/**
 * Who copies the first half of a shared copy (see `SHARED_COPY_MIN` in `wire/limits.ts`): the sender, if it
 * comes to it while the receiver is still reading the second half, else the receiver itself, so that a
 * receive never waits for a sender busy outside MPI calls. Two words per send in the sender's memory decide
 * it, with Dekker's handshake across the two processes:
 *
 * - the sender stores `CLAIMED` in its state word, then loads the revocation word: 0 lets it write;
 * - the receiver, its own half read, stores 1 in the revocation word (`process_vm_writev`), then loads the
 *   state word (`process_vm_readv`): `IDLE` means the sender will not write, so the receiver copies the
 *   first half too; `CLAIMED` means it is writing, and its answer is awaited; `WRITTEN` means it is done.
 *
 * Each side's store comes before its load with a full barrier between (a sequentially consistent
 * `Atomics.store`; the system calls), so at least one side sees the other's store: they never both copy into
 * a receive that has completed.
 *
 * @module
 */

import type { DirectCopy } from "../transport/transport.ts";

/** The sender's state word: it has not come to its half yet. */
export const IDLE = 0;
/** ... it claimed its half and is writing it. */
export const CLAIMED = 1;
/** ... its half is in the receiver's buffer. */
export const WRITTEN = 2;
/** ... it will not write (revoked, or its write failed). */
export const SKIPPED = 3;

/** Words of the pool: two per send, the first pair kept for the receiver's scratch words. */
const WORDS = 16 * 1024;

/**
 * The claim words of this rank's shared sends, and the receiver's side of the handshake.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CLAIMED, ShareClaims } from "./share_claims.ts";
 * const claims = new ShareClaims();
 * const slot = claims.take()!;
 * assert.equal(claims.claim(slot), true); // nobody revoked it: the sender writes
 * assert.equal(claims.state(slot), CLAIMED);
 * claims.release(slot);
 * ```
 */
export class ShareClaims {
  #words = new Int32Array(WORDS);
  #free: number[] = [];
  #next = 1;

  /** A free slot for one send (its words reset), or undefined when all are in use. */
  take(): number | undefined {
    const slot = this.#free.pop() ?? (this.#next < WORDS / 2 ? this.#next++ : undefined);
    if (slot === undefined) return undefined;
    Atomics.store(this.#words, 2 * slot + 1, 0);
    Atomics.store(this.#words, 2 * slot, IDLE);
    return slot;
  }

  /** Gives `slot` back once its send has completed (the receiver touches its words no more). */
  release(slot: number): void {
    this.#free.push(slot);
  }

  /** The address of `slot`'s words, for the receiver (state word first, then the revocation word). */
  addressOf(slot: number, direct: DirectCopy): number {
    return direct.addressOf(new Uint8Array(this.#words.buffer, 8 * slot, 8));
  }

  /** The sender claims its half: true if the receiver has not revoked it (then it must write, then `finish`). */
  claim(slot: number): boolean {
    Atomics.store(this.#words, 2 * slot, CLAIMED);
    if (Atomics.load(this.#words, 2 * slot + 1) === 0) return true;
    Atomics.store(this.#words, 2 * slot, SKIPPED);
    return false;
  }

  /** The sender's half is written (or its write failed). */
  finish(slot: number, written: boolean): void {
    Atomics.store(this.#words, 2 * slot, written ? WRITTEN : SKIPPED);
  }

  /** The state word of `slot` (for tests). */
  state(slot: number): number {
    return Atomics.load(this.#words, 2 * slot);
  }

  /**
   * The receiver's side: revokes the sender's half at `address` (the sender `pid`'s words) and returns the
   * sender's state then, or undefined if the words could not be reached (then only its answer tells).
   */
  revoke(direct: DirectCopy, pid: number, address: number): number | undefined {
    const scratch = this.#words;
    Atomics.store(scratch, 0, 1);
    if (!direct.write(pid, address + 4, new Uint8Array(scratch.buffer, 0, 4))) return undefined;
    // A full barrier: the revocation is visible before the state is read.
    Atomics.store(scratch, 1, -1);
    if (!direct.read(pid, address, new Uint8Array(scratch.buffer, 4, 4))) return undefined;
    return Atomics.load(scratch, 1);
  }
}
