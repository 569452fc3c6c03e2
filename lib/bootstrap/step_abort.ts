/**
 * Abort under direct launch (`srun -n 4 mpirun-deno script.ts`), where no launcher of ours can end the job:
 * rank 0 keeps every rank's rendezvous connection open after the world is known, and an abort travels through
 * it. A rank that aborts tells rank 0; rank 0 decides (the first abort it sees wins) and tells every rank;
 * every rank exits with the decided code a moment after it learns it (so that no rank sees another's
 * connection close before it has read the abort), and `srun` ends the step with the code of the rank that
 * aborted, as under Open MPI's `srun --mpi=pmix`.
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
  readonly #connections = new Set<Connection>();
  #decided: number | undefined;

  /** `exit` ends this process with the step's code. */
  constructor(rank: number, exit: (code: number) => void) {
    this.#rank = rank;
    this.#exit = exit;
  }

  /** Adds a connection that carries aborts: to rank 0 on other ranks, to each rank on rank 0. */
  attach(connection: Connection): void {
    this.#connections.add(connection);
    connection.socket.unref();
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
      if (!connection.closed) sendControl(connection, { ...message, code: this.#decided });
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
    this.#decided = message.code;
    // From now on a failure here is the abort's consequence (a peer gone): it must not end this rank with
    // another code first, also in a script started without mpirun-deno's rank entry point.
    onUncaught(() => {});
    if (this.#rank === 0) {
      for (const connection of this.#connections) {
        if (!connection.closed) sendControl(connection, message);
      }
    }
    setTimeout(() => this.#exit(message.code), this.#rank === 0 ? RANK_ZERO_EXIT_DELAY_MS : EXIT_DELAY_MS);
  }
}
