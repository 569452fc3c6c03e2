/**
 * Abort under direct launch (`srun -n 4 mpirun-deno script.ts`), where no launcher of ours can end the job:
 * rank 0 keeps every rank's rendezvous connection open after the world is known, and an abort travels through
 * it. A rank that aborts tells rank 0; rank 0 decides (the first abort it sees wins) and tells every rank;
 * every rank exits with the decided code a moment after it learns it (so that no rank sees another's
 * connection close before it has read the abort), and `srun` ends the step with the code of the rank that
 * aborted, as under Open MPI's `srun --mpi=pmix`.
 *
 * The channel works during the rendezvous too: rank 0 attaches each rank's connection as soon as the rank has
 * proved the job token, takes an abort from any of them (also from a stand-in for a rank that died before it
 * joined: see `SlurmBootstrap.standIn`), tells every rank attached then or later, and holds its own exit
 * until every rank has been told or can no longer come.
 *
 * @module
 */

import { onUncaught } from "../runtime/host.ts";
import type { Connection } from "../transport/connection.ts";
import { type AbortMessage, sendControl } from "./protocol.ts";

/**
 * How long every rank waits, once it knows the step is aborting, before it exits: long enough for every other
 * rank to read the abort too, so that none sees a peer's connection close first and fails with another code.
 */
const EXIT_DELAY_MS = 1000;
/**
 * Rank 0 stays longer: a rank that failed because of the abort (a peer gone before it read the abort) asks
 * rank 0 to abort in turn, and is answered with the first abort's code.
 */
const RANK_ZERO_EXIT_DELAY_MS = 1500;
/** How long a rank that asked rank 0 to abort waits for its answer before it exits with its own code. */
const ANSWER_WAIT_MS = 2500;

/**
 * The abort channel of one rank of a directly launched step.
 *
 * @example
 * ```ts ignore
 * const hub = new StepAbort(rank, (code) => exitProcess(code));
 * hub.attach(connectionToRankZero); // rank > 0; rank 0 attaches one connection per rank
 * hub.abort(5, "Abort(5) called");
 * ```
 */
export class StepAbort {
  readonly #rank: number;
  readonly #exit: (code: number) => void;
  readonly #onDecided: (message: AbortMessage) => void;
  readonly #connections = new Set<Connection>();
  #decided: AbortMessage | undefined;
  #hold: Promise<void> = Promise.resolve();

  /**
   * `exit` ends this process with the step's code; `onDecided` runs once, when this rank learns that the
   * step ends and why (before it waits to exit).
   */
  constructor(
    rank: number,
    exit: (code: number) => void,
    onDecided: (message: AbortMessage) => void = () => {},
  ) {
    this.#rank = rank;
    this.#exit = exit;
    this.#onDecided = onDecided;
  }

  /** Has this rank learnt that the step ends? */
  get decided(): boolean {
    return this.#decided !== undefined;
  }

  /**
   * Adds a connection that carries aborts: to rank 0 on other ranks, to each rank on rank 0. On rank 0, a
   * connection attached after the step's end was decided is told at once.
   */
  attach(connection: Connection): void {
    this.#connections.add(connection);
    connection.socket.unref();
    if (this.#rank === 0 && this.#decided && !connection.closed) sendControl(connection, this.#decided);
  }

  /**
   * Rank 0: once the step's end is decided, exit only after `until` settles (every rank has been told, or
   * none can come any more), then after the usual delay.
   */
  holdExit(until: Promise<void>): void {
    this.#hold = until;
  }

  /** A connection closed: it carries nothing more. */
  detach(connection: Connection): void {
    this.#connections.delete(connection);
  }

  /** An abort message arrived on `connection`. */
  received(message: AbortMessage, connection: Connection): void {
    if (this.#rank === 0 && this.#decided !== undefined) {
      // Another abort after the first (often a failure the first one caused): that rank ends with the
      // first one's code too.
      if (!connection.closed) sendControl(connection, { ...message, code: this.#decided.code });
      return;
    }
    this.#decide(message);
  }

  /** Ends the step from this rank with `code`, after the reason has been written. */
  abort(code: number, reason: string): void {
    if (this.#decided !== undefined) return; // ending already, with the code decided first
    const message: AbortMessage = { t: "abort", rank: this.#rank, code, reason };
    if (this.#rank === 0) {
      this.#decide(message);
      return;
    }
    const [rankZero] = this.#connections;
    if (!rankZero || rankZero.closed) {
      this.#exit(code);
      return;
    }
    // Rank 0 answers with the code the step ends with (another rank's abort may have come first).
    sendControl(rankZero, message);
    setTimeout(() => this.#exit(code), ANSWER_WAIT_MS);
  }

  /** The step ends with `message.code`: rank 0 tells every rank; everyone exits after a short delay. */
  #decide(message: AbortMessage): void {
    if (this.#decided !== undefined) return;
    this.#decided = message;
    this.#onDecided(message);
    // From now on a failure here is the abort's consequence (a peer gone): it must not end this rank with
    // another code first, also in a script started without mpirun-deno's rank entry point.
    onUncaught(() => {});
    if (this.#rank !== 0) {
      setTimeout(() => this.#exit(message.code), EXIT_DELAY_MS);
      return;
    }
    for (const connection of this.#connections) {
      if (!connection.closed) sendControl(connection, message);
    }
    this.#held().then(() => setTimeout(() => this.#exit(message.code), RANK_ZERO_EXIT_DELAY_MS));
  }

  /** Settles once the exit is no longer held: by the hold in place now, or by one put in place meanwhile. */
  async #held(): Promise<void> {
    let hold: Promise<void>;
    do {
      hold = this.#hold;
      await hold;
    } while (hold !== this.#hold);
  }
}
