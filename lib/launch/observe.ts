/**
 * What the launcher tells about a running job besides its output: the `--events` stream, the live state of
 * every rank on SIGUSR1 (and on the first Ctrl-C, before the ranks get it), and the blocked-call report of
 * `--timeout`. `main.ts` calls one {@linkcode JobObserver} at each step of the job.
 *
 * @module
 */

import process from "node:process";
import type { AbortMessage, HelloMessage } from "../bootstrap/protocol.ts";
import type { Reports } from "./coordinator.ts";
import { type EventSink, NO_EVENTS, openEventFile } from "./events.ts";
import { UsageError } from "./options.ts";
import type { ExitStatus } from "./spawner.ts";

/** How long ranks get to say what they are doing for a live-state report (SIGUSR1, Ctrl-C). */
export const LIVE_WAIT_MS = 1000;

/**
 * One line per rank from the answers to a report request: the calls it is blocked in, or `idle` when it is
 * in none; a rank that did not answer was busy (a long computation holds its event loop). Ranks that have
 * ended are left out.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatReports } from "./observe.ts";
 * const reports = { lines: new Map([[0, []], [1, ["recv(source=0, tag=5) on COMM_WORLD for 3.0 s"]]]), silent: [], unconnected: [] };
 * assert.deepEqual(formatReports(reports, 2, () => false, "computing"), [
 *   "rank 0: computing",
 *   "rank 1: recv(source=0, tag=5) on COMM_WORLD for 3.0 s",
 * ]);
 * ```
 */
export function formatReports(
  reports: Reports,
  size: number,
  ended: (rank: number) => boolean,
  idle = "not blocked in an MPI call",
): string[] {
  const out: string[] = [];
  for (let rank = 0; rank < size; rank++) {
    const prefix = `rank ${rank}: `;
    const lines = reports.lines.get(rank);
    if (lines !== undefined) {
      if (lines.length === 0) out.push(`${prefix}${idle}`);
      for (const line of lines) out.push(line.startsWith(prefix) ? line : prefix + line);
    } else if (reports.silent.includes(rank)) {
      out.push(`${prefix}did not answer (busy outside MPI calls?)`);
    } else if (!ended(rank)) {
      out.push(`${prefix}not connected to the launcher`);
    }
  }
  return out;
}

/** What the observer needs from the job. */
export interface ObservedJob {
  size: number;
  script: string;
  /** The backend's name. */
  launcher: string;
  /** The host each rank is placed on. */
  hosts: string[];
  /** Asks the ranks what they are doing, waiting up to `waitMs` for answers. */
  requestReports(waitMs: number): Promise<Reports>;
  /** Whether `rank` has ended. */
  hasEnded(rank: number): boolean;
  /** Writes a line to the launcher's stderr (without a prefix). */
  write(line: string): void;
}

/**
 * Follows one job: writes its events, answers SIGUSR1 with the live state of every rank, and reports it on
 * the first Ctrl-C before passing that on.
 *
 * @example
 * ```ts ignore
 * const observer = JobObserver.open(options.eventsFile);
 * observer.started(job);
 * // ... observer.hello(hello), observer.exited(rank, status) ...
 * observer.ended(code, failure);
 * ```
 */
export class JobObserver {
  #events: EventSink;
  #job: ObservedJob | undefined;
  #startedAt = Date.now();
  #liveInFlight: Promise<void> | undefined;
  #onUsr1 = () => void this.liveState("SIGUSR1");

  private constructor(events: EventSink) {
    this.#events = events;
  }

  /** An observer writing events to `eventsFile` (none if undefined); a file it cannot open is a usage error. */
  static open(eventsFile: string | undefined): JobObserver {
    if (eventsFile === undefined) return new JobObserver(NO_EVENTS);
    try {
      return new JobObserver(openEventFile(eventsFile));
    } catch (error) {
      throw new UsageError(`--events: cannot write ${eventsFile}: ${(error as Error).message}`);
    }
  }

  /** The job is starting: `job_start`, and SIGUSR1 (when `signals`) prints the live state from now on. */
  started(job: ObservedJob, signals: boolean): void {
    this.#job = job;
    this.#startedAt = Date.now();
    this.#events.emit({
      event: "job_start",
      size: job.size,
      script: job.script,
      launcher: job.launcher,
      pid: process.pid,
      hosts: job.hosts,
    });
    if (signals) {
      try {
        process.on("SIGUSR1", this.#onUsr1);
      } catch {
        // No SIGUSR1 on this platform (Windows).
      }
    }
  }

  /** A rank joined the job. */
  hello(hello: HelloMessage): void {
    this.#events.emit({ event: "rank_start", rank: hello.rank, host: hello.hostname, pid: hello.pid });
  }

  /** A rank asked to end the job. */
  aborted(message: AbortMessage): void {
    const { rank, code, reason } = message;
    this.#events.emit({ event: "rank_abort", rank, code, reason: String(reason ?? "") });
  }

  /** A rank exited. */
  exited(rank: number, status: ExitStatus): void {
    this.#events.emit({ event: "rank_exit", rank, code: status.code, signal: status.signal });
  }

  /** `--timeout` fired; `blocked` is what each rank waited for. */
  timedOut(seconds: number, blocked: string[]): void {
    this.#events.emit({ event: "timeout", seconds, blocked });
  }

  /**
   * Prints what every rank is doing now (`why` names the trigger) without stopping the job; resolves once
   * printed. A second request while one is in flight joins it.
   */
  liveState(why: string): Promise<void> {
    const job = this.#job;
    if (job === undefined) return Promise.resolve();
    this.#liveInFlight ??= job.requestReports(LIVE_WAIT_MS).then((reports) => {
      const seconds = ((Date.now() - this.#startedAt) / 1000).toFixed(1);
      job.write(`mpirun-deno: ${why}: what each rank is doing, ${seconds} s into the job:`);
      for (const line of formatReports(reports, job.size, (rank) => job.hasEnded(rank), "computing")) {
        job.write(`  ${line}`);
      }
    }).catch(() => {}).finally(() => this.#liveInFlight = undefined);
    return this.#liveInFlight;
  }

  /** The job ended with the launcher's exit `code`; closes the event stream and stops listening. */
  ended(code: number, failure: string | undefined): void {
    process.off("SIGUSR1", this.#onUsr1);
    const seconds = Math.round((Date.now() - this.#startedAt) / 100) / 10;
    this.#events.emit({ event: "job_end", code, failure: failure ?? null, seconds });
    this.#events.close();
  }
}
