/**
 * Context ids: every communicator has two, one for its point-to-point traffic and one for its collectives,
 * and the engine matches a message only against receives on the same context. So traffic on one
 * communicator never matches receives on another, even with the same tags and ranks.
 *
 * How members agree on a new communicator's ids. Each process keeps the lowest id above every id it has
 * ever used (`next`). Making a communicator is a collective on its parent: every member of the parent
 * proposes its `next`, the highest proposal wins (an allreduce MAX, or carried in `Split`'s allgather), and
 * every member moves its `next` past the winner. The winner is above every id held by any member, so no
 * process ever has two communicators on one id; the agreement runs on the parent's collective context and
 * sequence, so agreements on different parents never meet, and those on one parent run in call order.
 *
 * Within one process, agreements run one at a time, in the order they were called: two in flight at once
 * (on two parents that share this process) would both propose the same `next` and could both win with it.
 * So communicators whose making is in flight at once on parents that share ranks must be started in the same
 * order on every rank (as MPI's blocking `Comm_dup` requires); on disjoint parents, or one after another,
 * any order works. Ids are never reused after `Free`; 2^32 of them last any job.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";

/** The context ids of one communicator: one for point-to-point traffic, one for collectives. */
export interface Contexts {
  p2p: number;
  collective: number;
}

/** Context ids of the predefined communicators; new communicators take ids from `FIRST_FREE_CONTEXT` on. */
export const WORLD_CONTEXTS = { p2p: 0, collective: 1 } as const;
/** See {@linkcode WORLD_CONTEXTS}. */
export const SELF_CONTEXTS = { p2p: 2, collective: 3 } as const;
/** The first context id that `Dup`/`Split`/`Create` may hand out. */
export const FIRST_FREE_CONTEXT = 4;

/** Ids each communicator takes: `p2p` is the agreed id, `collective` the next. */
const IDS_PER_COMMUNICATOR = 2;

/** The context field of a frame is an unsigned 32-bit number. */
const LAST_CONTEXT = 2 ** 32 - 1;

/**
 * One process's context ids: those below `first` belong to the predefined communicators, the rest are
 * handed out by agreement.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ContextIds } from "./context.ts";
 * const ids = new ContextIds(4);
 * // A one-member "allreduce MAX": the proposal wins.
 * const { contexts } = await ids.agree(async (proposal) => proposal, (highest) => highest);
 * assert.deepEqual(contexts, { p2p: 4, collective: 5 });
 * ```
 */
export class ContextIds {
  /** The first id that agreement may hand out. */
  readonly first: number;
  #next: number;
  /** Settles when the agreement before the next one has finished. */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(first: number) {
    this.first = first;
    this.#next = first;
  }

  /** Is `context` one of the predefined communicators' (COMM_WORLD, COMM_SELF)? */
  isPredefined(context: number): boolean {
    return context < this.first;
  }

  /**
   * Takes this process's turn in agreeing on a new communicator's ids. `exchange` gets this process's
   * proposal and runs the collective that meets every member's; `highest` picks the winning proposal out of
   * its result. Call it synchronously in the collective call, so that turns follow call order.
   */
  agree<R>(
    exchange: (proposal: number) => Promise<R>,
    highest: (result: R) => number,
  ): Promise<{ result: R; contexts: Contexts }> {
    const turn = this.#turn.then(async () => {
      const proposal = this.#next;
      const result = await exchange(proposal);
      const agreed = highest(result);
      if (!Number.isInteger(agreed) || agreed < proposal) {
        throw mpiError(
          ErrorCode.ERR_INTERN,
          `context agreement gave ${agreed}, below this rank's ${proposal}`,
        );
      }
      if (agreed + IDS_PER_COMMUNICATOR - 1 > LAST_CONTEXT) {
        throw mpiError(ErrorCode.ERR_INTERN, "the job has used up its 2^32 communicator context ids");
      }
      this.#next = agreed + IDS_PER_COMMUNICATOR;
      return { result, contexts: { p2p: agreed, collective: agreed + 1 } };
    });
    this.#turn = turn.catch(() => {});
    return turn;
  }
}
