/**
 * Typed errors of mpirun-deno. Every layer imports this module; it imports nothing.
 *
 * @module
 */

/**
 * The error classes of MPI that mpirun-deno raises, as `MPIError.code`.
 *
 * @example Telling a truncation from other failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { ErrorCode, MPIError } from "mpirun-deno";
 * const err = new MPIError(ErrorCode.ERR_TRUNCATE, "Recv: message of 16 bytes does not fit 8");
 * assert.equal(err.code, ErrorCode.ERR_TRUNCATE);
 * ```
 */
export const ErrorCode = {
  SUCCESS: 0,
  ERR_BUFFER: 1,
  ERR_COUNT: 2,
  ERR_TYPE: 3,
  ERR_TAG: 4,
  ERR_COMM: 5,
  ERR_RANK: 6,
  ERR_ROOT: 7,
  ERR_GROUP: 8,
  ERR_OP: 9,
  ERR_ARG: 12,
  ERR_TRUNCATE: 15,
  ERR_OTHER: 16,
  ERR_INTERN: 17,
  /** No memory for a message (Open MPI's MPI_ERR_NO_MEM). */
  ERR_NO_MEM: 39,
  ERR_PEER_LOST: 75,
  ERR_ABORTED: 76,
  /** A call given an `AbortSignal` was cancelled by it (`cause` is the signal's reason). */
  ERR_CANCELLED: 77,
} as const;

/** One of the values of {@linkcode ErrorCode}. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

const codeNames = new Map<number, string>(Object.entries(ErrorCode).map(([name, value]) => [value, name]));

/**
 * The name of an error code, such as `"ERR_RANK"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorCodeName, ErrorCode } from "mpirun-deno";
 * assert.equal(errorCodeName(ErrorCode.ERR_RANK), "ERR_RANK");
 * ```
 */
export function errorCodeName(code: number): string {
  return codeNames.get(code) ?? `ERR_UNKNOWN(${code})`;
}

/**
 * The error every MPI call rejects with. `code` says what class of failure it is; the message names the
 * rank, the call and the argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MPI, MPIError } from "mpirun-deno";
 * await assert.rejects(
 *   MPI.COMM_WORLD.send("x", 99),
 *   (err) => err instanceof MPIError && err.codeName === "ERR_RANK",
 * );
 * ```
 */
export class MPIError extends Error {
  /** The MPI error class, one of {@linkcode ErrorCode}. */
  readonly code: ErrorCode;

  /** An error of class `code`; `message` names the rank and the argument, `options.cause` what led to it. */
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MPIError";
    this.code = code;
  }

  /** The name of {@linkcode MPIError.code}, such as `"ERR_TRUNCATE"`. */
  get codeName(): string {
    return errorCodeName(this.code);
  }

  /** The MPI error class, as mpi4py's `Exception.Get_error_class()`. */
  Get_error_class(): number {
    return this.code;
  }

  /** The MPI error code, as mpi4py's `Exception.Get_error_code()`. */
  Get_error_code(): number {
    return this.code;
  }
}

/** A process-wide prefix for messages: `rank 3` inside a rank, `mpirun-deno` in the launcher. */
let messagePrefix = "";

/** Sets the prefix that {@linkcode mpiError} puts before every message (done once by the bootstrap). */
export function setErrorPrefix(prefix: string): void {
  messagePrefix = prefix;
}

/**
 * Builds an {@linkcode MPIError} whose message starts with the rank, e.g.
 * `rank 2: recv: source 7 is out of range for a communicator of size 4`.
 */
export function mpiError(code: ErrorCode, message: string, options?: ErrorOptions): MPIError {
  return new MPIError(code, messagePrefix ? `${messagePrefix}: ${message}` : message, options);
}
