/**
 * Abort under direct launch (`srun -n 4 mpirun-deno script.ts`), where no launcher of ours can end the job:
 * rank 0 keeps every rank's rendezvous connection open after the world is known, and an abort travels through
 * it. A rank that aborts tells rank 0; rank 0 decides (the first abort it sees wins), tells every rank, waits
 * a moment for them to go, and exits too; every rank exits with the decided code, so that `srun` ends the step
 * with the code of the rank that aborted, as under Open MPI's `srun --mpi=pmix`.
 *
 * @module
 */

import type { Connection } from "../transport/connection.ts";
import { type AbortMessage, sendControl } from "./protocol.ts";

/**
 * How long rank 0 waits, after telling every rank to abort, for their connections to close before it exits:
 * a rank that sees rank 0 go before it reads the abort might otherwise report rank 0 lost, with another code.
 */
const RELAY_LINGER_MS = 1000;
/** How long a rank that asked rank 0 to abort waits for its answer before it exits with its own code. */
const ANSWER_WAIT_MS = 1500;

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
    if (this.#rank === 0 && this.#decided !== undefined && this.#connections.size === 0) {
      this.#exit(this.#decided);
    }
  }

  /** An abort message arrived on `connection`. */
  received(message: AbortMessage, connection: Connection): void {
    if (this.#rank !== 0) {
      this.#exit(message.code);
    } else if (this.#decided === undefined) {
      this.#decide(message);
    } else if (!connection.closed) {
      // A rank that failed because of the abort (a peer gone first): it ends with the step's code too.
      sendControl(connection, { ...message, code: this.#decided });
    }
  }

  /** Ends the step from this rank with `code`, after the reason has been written. */
  abort(code: number, reason: string): void {
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

  #decide(message: AbortMessage): void {
    if (this.#decided !== undefined) return;
    this.#decided = message.code;
    for (const connection of this.#connections) {
      if (!connection.closed) sendControl(connection, message);
    }
    if (this.#connections.size === 0) this.#exit(message.code);
    setTimeout(() => this.#exit(message.code), RELAY_LINGER_MS);
  }
}
