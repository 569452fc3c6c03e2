/**
 * `Status`: who sent a received message, with which tag, and how many bytes it had.
 *
 * @module
 */

import { ANY_SOURCE, ANY_TAG, UNDEFINED } from "../constants.ts";

/**
 * The envelope of a received or probed message, as mpi4py's `MPI.Status`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI, Status } from "mpirun-deno";
 * const comm = MPI.COMM_WORLD;
 * if (comm.size > 1 && comm.rank === 1) await comm.send([1, 2, 3], 0, 4);
 * if (comm.size > 1 && comm.rank === 0) {
 *   const status = new Status();
 *   await comm.recv(MPI.ANY_SOURCE, MPI.ANY_TAG, status);
 *   assert.deepEqual([status.Get_source(), status.Get_tag()], [1, 4]);
 * }
 * ```
 */
export class Status {
  /** The sender's rank in the communicator of the receive. */
  source: number = ANY_SOURCE;
  /** The message's tag. */
  tag: number = ANY_TAG;
  /** The error code of the operation (0 for success). */
  error = 0;
  /** Bytes in the message's payload. */
  count = 0;
  /** Was the operation cancelled? */
  cancelled = false;

  /** The sender's rank. */
  Get_source(): number {
    return this.source;
  }

  /** The message's tag. */
  Get_tag(): number {
    return this.tag;
  }

  /** The error code of the operation. */
  Get_error(): number {
    return this.error;
  }

  /**
   * Bytes in the message, or with a datatype, its elements in the message (`UNDEFINED`, -32766, when the bytes
   * are not a whole number of them), as mpi4py's `Get_count(datatype)`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI, Status } from "mpirun-deno";
   * const status = new Status();
   * status.count = 24;
   * assert.deepEqual([status.Get_count(), status.Get_count(MPI.DOUBLE)], [24, 3]);
   * ```
   */
  Get_count(datatype?: { Get_size(): number }): number {
    if (datatype === undefined) return this.count;
    const size = datatype.Get_size();
    if (size === 0) return 0;
    return this.count % size === 0 ? this.count / size : UNDEFINED;
  }

  /** Elements of `bytesPerElement` bytes in the message, e.g. `Get_elements(8)` for a Float64Array. */
  Get_elements(bytesPerElement = 1): number {
    return Math.floor(this.count / bytesPerElement);
  }

  /** Was the operation cancelled? */
  Is_cancelled(): boolean {
    return this.cancelled;
  }

  /** Sets the source (for completeness with mpi4py). */
  Set_source(source: number): void {
    this.source = source;
  }

  /** Sets the tag (for completeness with mpi4py). */
  Set_tag(tag: number): void {
    this.tag = tag;
  }

  /** Copies every field from `other`. */
  copyFrom(other: Readonly<Status>): void {
    this.source = other.source;
    this.tag = other.tag;
    this.error = other.error;
    this.count = other.count;
    this.cancelled = other.cancelled;
  }
}
