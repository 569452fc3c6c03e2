/**
 * What a communicator is underneath the public `Comm`: its job, members, contexts, rank, name and state. The
 * point-to-point (p2p_calls.ts), collective (collective_calls.ts) and communicator-making (create.ts) modules
 * work on it, so that `Comm`'s methods only delegate.
 *
 * @module
 */

import type { SharedMemory } from "../collectives/shared.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import type { Collectives } from "../collectives/channel.ts";
import type { Engine } from "../p2p/engine.ts";
import type { Activities } from "./activity.ts";
import type { ContextIds, Contexts } from "./context.ts";

/** What every communicator of a process shares. */
export interface Job {
  engine: Engine;
  activities: Activities;
  /** Ends the whole job with `code`; never resolves. */
  abort(code: number, reason: string): Promise<never>;
  /** Host name of every world rank, indexed by world rank. */
  hostnames: readonly string[];
  /** This process's context ids, which new communicators agree on. */
  contextIds: ContextIds;
  /** Host-shared memory for the collectives of communicators within one host, where it can be mapped. */
  shared?: SharedMemory;
}

/** Whether a communicator may be used: `freed` by `Free`, `null` for `COMM_NULL`. */
export type CommState = "active" | "freed" | "null";

/** One communicator's state. `Comm` holds one and hands it to the modules that do the work. */
export class CommCore {
  readonly job: Job;
  /** World rank of each member, indexed by rank in this communicator. */
  readonly members: readonly number[];
  readonly contexts: Contexts;
  /** This process's rank in the communicator. */
  readonly rank: number;
  name: string;
  state: CommState = "active";
  /** This communicator's collective sequence, made on the first collective call. */
  collectives: Collectives | undefined;
  /** The collective an `AbortSignal` cancelled half-way, which leaves the sequence out of step. */
  cancelledCollective: string | undefined;

  constructor(job: Job, members: readonly number[], rank: number, contexts: Contexts, name: string) {
    this.job = job;
    this.members = members;
    this.contexts = contexts;
    this.rank = rank;
    this.name = name;
  }

  /** Number of ranks in the communicator. */
  get size(): number {
    return this.members.length;
  }

  /** Throws ERR_COMM, naming the call and the communicator, when this is COMM_NULL or has been freed. */
  live(where: string): void {
    if (this.state === "active") return;
    throw mpiError(
      ErrorCode.ERR_COMM,
      this.state === "null"
        ? `${where}: the communicator is COMM_NULL`
        : `${where}: communicator ${this.name} has been freed`,
    );
  }
}

/** The arguments a caller passed, without the trailing `undefined`s (positional calls that stop early). */
export function trim(args: unknown[]): unknown[] {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  return args.slice(0, end);
}
