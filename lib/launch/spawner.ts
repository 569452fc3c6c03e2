/**
 * The Spawner interface: how the launcher starts the rank processes of a job, and what it hears back. One
 * backend per file (`spawn_local.ts`; ssh and Slurm backends implement the same interface), chosen in
 * `main.ts`. Everything else (rendezvous, output, supervision) is backend-agnostic.
 *
 * @module
 */

import type { RankPlacement } from "./plan.ts";

/** A signal the launcher sends to ranks. */
export type RankSignal = "SIGINT" | "SIGTERM" | "SIGHUP" | "SIGKILL";

/** How a rank process ended: exactly one of `code` and `signal` is set. */
export interface ExitStatus {
  code: number | null;
  /** Name of the signal that killed it, such as `"SIGKILL"`. */
  signal: string | null;
}

/** One rank to start. */
export interface RankLaunch {
  placement: RankPlacement;
  command: string;
  args: readonly string[];
  /** The rank's whole environment. */
  env: Record<string, string>;
  cwd: string;
  /** Rank 0 reads the launcher's standard input; every other rank gets end-of-file at once. */
  stdin: "launcher" | "none";
}

/** Which output stream of a rank. */
export type OutputStream = "stdout" | "stderr";

/** What a backend reports about the ranks it started. Calls arrive in order for each rank and stream. */
export interface SpawnEvents {
  /** Bytes a rank wrote. The chunk is the callee's to keep. */
  onOutput(rank: number, stream: OutputStream, chunk: Uint8Array): void;
  /** A rank's stream reached its end (or was cut off after the rank's death); nothing more will come. */
  onOutputEnd(rank: number, stream: OutputStream): void;
  /** A rank process ended. */
  onExit(rank: number, status: ExitStatus): void;
  /** A rank could not be started at all; `onExit` is not called for it, its streams still end. */
  onSpawnError(rank: number, error: Error): void;
}

/** The ranks a backend has started. */
export interface RunningJob {
  /** Process id of a rank as the backend knows it (`undefined` when it has none, e.g. not started yet). */
  pid(rank: number): number | undefined;
  /** Sends `signal` to every rank (and everything it started) that may still run. */
  signal(signal: RankSignal): void;
  /**
   * Kills every rank and everything it started, at once and synchronously, so that it can run in a process
   * `exit` handler. Safe to call more than once, and after the ranks have exited.
   */
  killAll(): void;
  /**
   * Stops reading the ranks' output for now (the launcher's own output is backed up); their writes then wait.
   * Backends that cannot omit it.
   */
  pauseOutput?(): void;
  /** Reads the ranks' output again after {@linkcode RunningJob.pauseOutput}. */
  resumeOutput?(): void;
}

/**
 * A way of starting ranks. `start` must not throw for a single rank's failure: it reports it through
 * {@linkcode SpawnEvents.onSpawnError}.
 *
 * @example A backend that starts nothing (every rank fails)
 * ```ts
 * import type { RankLaunch, RunningJob, SpawnEvents, Spawner } from "./spawner.ts";
 * class NoSpawner implements Spawner {
 *   readonly name = "none";
 *   start(ranks: readonly RankLaunch[], events: SpawnEvents): RunningJob {
 *     for (const { placement } of ranks) {
 *       events.onSpawnError(placement.rank, new Error("not available"));
 *       events.onOutputEnd(placement.rank, "stdout");
 *       events.onOutputEnd(placement.rank, "stderr");
 *     }
 *     return { pid: () => undefined, signal: () => {}, killAll: () => {} };
 *   }
 * }
 * ```
 */
export interface Spawner {
  /** The backend's name, as `--launcher` spells it. */
  readonly name: string;
  /** Starts every rank in `ranks`; reports their output and ends through `events`. */
  start(ranks: readonly RankLaunch[], events: SpawnEvents): RunningJob;
  /**
   * This machine's address that the hosts of `placements` reach (where the coordinator listens when ranks
   * run elsewhere); `undefined` when the backend cannot tell. Backends that start ranks only here omit it.
   */
  localAddress?(placements: readonly RankPlacement[]): Promise<string | undefined>;
}
