/**
 * What the launcher tells about a running job besides its output: the `--events` stream, the live state of
 * every rank on SIGUSR1 (and on the first Ctrl-C, before the ranks get it), and the blocked-call report of
 * `--timeout`. `main.ts` calls one {@linkcode JobObserver} at each step of the job.
 *
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import type { AbortMessage, HelloMessage } from "../bootstrap/protocol.ts";
import type { Reports } from "./coordinator.ts";
import { type EventSink, NO_EVENTS, openEventFile } from "./events.ts";
import { type LaunchOptions, UsageError } from "./options.ts";
import { buildReport, checkProfile, type RankProfile, reportHtml, reportText } from "./report.ts";
import type { ExitStatus } from "./spawner.ts";

/** How long ranks get to say what they are doing for a live-state report (SIGUSR1, Ctrl-C). */
export const LIVE_WAIT_MS = 1000;

/** How long the end of the job waits for the `--report` profiles of ranks that exited 0 and sent none yet. */
const PROFILE_WAIT_MS = 1000;

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
  #onUsr2 = () => void this.liveState("SIGUSR2");
  #report: LaunchOptions["report"];
  #profiles: (RankProfile | undefined)[] = [];
  #cleanExits = new Set<number>();

  private constructor(events: EventSink, report: LaunchOptions["report"]) {
    this.#events = events;
    this.#report = report;
  }

  /**
   * An observer writing events to `options.eventsFile` (none if undefined) and reporting as `options.report`
   * says; an events file it cannot open is a usage error.
   */
  static open(options: Pick<LaunchOptions, "eventsFile" | "report">): JobObserver {
    const { eventsFile, report } = options;
    if (eventsFile === undefined) return new JobObserver(NO_EVENTS, report);
    try {
      return new JobObserver(openEventFile(eventsFile), report);
    } catch (error) {
      throw new UsageError(`--events: cannot write ${eventsFile}: ${(error as Error).message}`);
    }
  }

  /** A rank sent its `--report` profile. */
  profile(rank: number, value: unknown): void {
    const size = this.#job?.size ?? 0;
    const profile = checkProfile(value, rank, size);
    if (profile === undefined) {
      this.#job?.write(`mpirun-deno: rank ${rank} sent a --report profile that is not one; left out`);
      return;
    }
    this.#profiles[rank] = profile;
  }

  /**
   * Waits (a little) for the profiles of the ranks that exited 0 and whose profile has not been read yet:
   * it was written before they exited, but the launcher may see the exit first.
   */
  async profilesIn(): Promise<void> {
    if (this.#report === undefined) return;
    const end = Date.now() + PROFILE_WAIT_MS;
    while ([...this.#cleanExits].some((rank) => this.#profiles[rank] === undefined) && Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * The job is starting: `job_start`, and SIGUSR1 or SIGUSR2 (when `signals`) prints the live state from now
   * on. SIGUSR2 is there for a launcher running on Deno 2.9.2 or later, which also opens its inspector on
   * 127.0.0.1:9229 whenever it gets SIGUSR1, whatever the script listens to (the npm shim passes both as
   * SIGUSR2).
   */
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
        process.on("SIGUSR2", this.#onUsr2);
      } catch {
        // No SIGUSR1 or SIGUSR2 on this platform (Windows).
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
    if (status.code === 0) this.#cleanExits.add(rank);
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
    process.off("SIGUSR2", this.#onUsr2);
    this.#writeReport();
    const seconds = Math.round((Date.now() - this.#startedAt) / 100) / 10;
    this.#events.emit({ event: "job_end", code, failure: failure ?? null, seconds });
    this.#events.close();
  }

  /** Prints the `--report` and writes its file, if asked for. */
  #writeReport(): void {
    const job = this.#job;
    if (this.#report === undefined || job === undefined) return;
    const report = buildReport(job.size, this.#profiles);
    for (const line of reportText(report)) job.write(line);
    const { file, format } = this.#report;
    if (file === undefined) return;
    try {
      const text = format === "html"
        ? reportHtml(report, path.basename(job.script))
        : JSON.stringify({ script: job.script, ...report }, null, 2) + "\n";
      fs.writeFileSync(file, text);
      job.write(`mpirun-deno: wrote the report to ${file}`);
    } catch (error) {
      job.write(`mpirun-deno: --report: cannot write ${file}: ${(error as Error).message}`);
    }
  }
}
