/**
 * `Prequest<T>`: a persistent request, as MPI's `MPI_Send_init`/`MPI_Recv_init` and MPI-4's persistent
 * collectives make: set up once, then started any number of times, each start after the previous one has
 * completed.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import { Request } from "./request.ts";
import { Status } from "./status.ts";

/** One start of a persistent operation: its result, and how to withdraw it (receives). */
export interface Started<T> {
  promise: Promise<T>;
  cancel?: () => boolean;
}

/**
 * A persistent request. It is inactive until {@linkcode Prequest.Start}; each start runs the operation once
 * more with the same arguments (the buffers' current contents), and the request is awaitable, testable and
 * cancellable as any {@linkcode Request} until that run completes. Waiting on an inactive request returns at
 * once. `Start` on a request whose run is still pending is an ERR_ARG error.
 *
 * @example A persistent self-message, started three times
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * const out = new Int32Array(1), into = new Int32Array(1);
 * const receive = comm.Recv_init(into, comm.rank, 5);
 * const send = comm.Send_init(out, comm.rank, 5);
 * for (let i = 0; i < 3; i++) {
 *   out[0] = i;
 *   MPI.Prequest.Startall([receive, send]);
 *   await MPI.Request.Waitall([receive, send]);
 *   assert.equal(into[0], i);
 * }
 * ```
 */
export class Prequest<T = void> extends Request<T> {
  #start: (status: Status) => Started<T>;
  #where: string;
  #started = false;

  /** @internal Made by the `*_init` calls of `Comm`; `start` runs the operation once, filling `status`. */
  constructor(where: string, start: (status: Status) => Started<T>) {
    super(Promise.resolve(undefined as T));
    this.#where = where;
    this.#start = start;
  }

  /** Starts the operation once more; ERR_ARG if the previous start has not completed. */
  Start(): void {
    if (this.#started && !this.done) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `Start: the persistent request of ${this.#where} is still active: wait for it before starting it again`,
      );
    }
    // A fresh status before the operation starts: it may fill it at once (a message that had arrived).
    this.status.copyFrom(new Status());
    const started = this.#start(this.status);
    this.#started = true;
    this.restart(started.promise, started.cancel);
  }

  /** Same as {@linkcode Prequest.Start}. */
  start(): void {
    this.Start();
  }

  /** Starts every request of `requests` in order; see {@linkcode Request.Startall}. */
  static override Startall(requests: readonly Request<unknown>[]): void {
    Request.Startall(requests);
  }

  /** Does nothing: a persistent request needs no freeing here (kept for mpi4py parity). */
  Free(): void {}
}
