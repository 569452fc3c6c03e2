/**
 * Supervision of a running job: the first failure (a rank's non-zero exit, its death by a signal, its
 * `abort`, the `--timeout`, a signal to the launcher) ends the job. The others get SIGTERM, then SIGKILL a moment
 * later; the failure names the rank, its host and pid, and decides the launcher's exit code.
 *
 * @module
 */

import { constants } from "node:os";
import type { ExitStatus, RankSignal, RunningJob } from "./spawner.ts";

/** Exit code of a job that ran past `--timeout`, as `timeout(1)` uses. */
export const TIMEOUT_EXIT_CODE = 124;

/** How long ranks get between SIGTERM and SIGKILL when the job ends early. */
export const KILL_GRACE_MS = 1000;

/**
 * How long the abort of a rank that lost a peer (its reason says `[ERR_PEER_LOST]`) waits for the failure
 * that caused it, the peer's own exit, which the launcher may learn of a little later.
 */
export const CONSEQUENCE_WAIT_MS = 500;

/** Exit code of a rank that could not be started, as a shell reports a command it cannot run. */
const SPAWN_FAILED_EXIT_CODE = 127;

/** Why a job ended early. */
export interface Failure {
  /** The launcher's exit code. */
  code: number;
  /** One line, without the `mpirun-deno: ` prefix. */
  message: string;
  /** Lines printed after the message (the blocked-operation report of a timeout). */
  details: string[];
}

/** The number of a signal by name (`"SIGKILL"` -> 9); 0 when unknown. */
export function signalNumber(signal: string): number {
  return (constants.signals as Record<string, number | undefined>)[signal] ?? 0;
}

/**
 * The exit code a rank's end stands for: its own code, or 128 + the signal number, as a shell reports it.
 *
 * @example
 * ```ts
 * import { exitCodeOf } from "./supervise.ts";
 * console.log(exitCodeOf({ code: null, signal: "SIGKILL" })); // 137
 * ```
 */
export function exitCodeOf(status: ExitStatus): number {
  if (status.code !== null) return status.code;
  return 128 + signalNumber(status.signal ?? "");
}

/** How a rank ended, in words: `exited with code 3`, `was killed by signal SIGKILL`. */
export function describeStatus(status: ExitStatus): string {
  return status.code !== null ? `exited with code ${status.code}` : `was killed by signal ${status.signal}`;
}

/** The launcher's exit code for `Abort(code)`: the code as the OS can carry it (0..255), never 0 by wrap. */
export function abortExitCode(code: number): number {
  if (!Number.isInteger(code)) return 1;
  const low = code & 0xff;
  return low === 0 && code !== 0 ? 1 : low;
}

/** What the supervisor needs. */
export interface SupervisorOptions {
  size: number;
  /** `rank 2 (host myhost, pid 1234)`: who a rank is, for messages. */
  describe(rank: number): string;
  /** Between SIGTERM and SIGKILL; {@linkcode KILL_GRACE_MS} by default. */
  graceMs?: number;
}

/**
 * Follows a job's ranks and decides its end. Feed it the spawner's exits and the coordinator's events; attach
 * the running job with {@linkcode Supervisor.attach} to let it signal the ranks.
 *
 * @example
 * ```ts
 * import { Supervisor } from "./supervise.ts";
 * const supervisor = new Supervisor({ size: 2, describe: (rank) => `rank ${rank}` });
 * supervisor.attach({ pid: () => undefined, signal: () => {}, killAll: () => {} });
 * supervisor.exited(1, { code: 3, signal: null });
 * supervisor.exited(0, { code: null, signal: "SIGTERM" });
 * await supervisor.finished;
 * console.log(supervisor.exitCode, supervisor.failure?.message); // 3 "rank 1 exited with code 3"
 * ```
 */
export class Supervisor {
  #options: SupervisorOptions;
  #job: RunningJob | undefined;
  #gone = new Set<number>();
  #joined = new Set<number>();
  #leftEarly: number[] = [];
  /** Ranks that exited 0 while others still ran, in order: a peer-lost abort is their doing. */
  #exitedZero: number[] = [];
  #worldReady = false;
  #failure: Failure | undefined;
  #terminating = false;
  #killTimer: ReturnType<typeof setTimeout> | undefined;
  #interrupts = 0;
  /** The signal that interrupted the job, which the ranks get instead of SIGTERM. */
  #interruptSignal: RankSignal | undefined;
  /** The failure that the interrupt made, when it was the first. */
  #interruption: Failure | undefined;
  /** Aborts of ranks that lost a peer, held back while the peer's own failure may still come. */
  #consequences = new Map<number, Omit<Failure, "details"> & { reason: string }>();
  #consequenceTimer: ReturnType<typeof setTimeout> | undefined;
  #resolveFinished!: () => void;

  /** Resolves once every rank has ended (exited, or failed to start). */
  readonly finished: Promise<void>;

  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.finished = new Promise((resolve) => this.#resolveFinished = resolve);
    if (options.size === 0) this.#resolveFinished();
  }

  /** The ranks to signal when the job ends early. */
  attach(job: RunningJob): void {
    this.#job = job;
    if (this.#terminating) this.#signalAll();
  }

  /** The first failure, once there is one. */
  get failure(): Failure | undefined {
    return this.#failure;
  }

  /** 0 when every rank exited 0; else the first failure's code. */
  get exitCode(): number {
    return this.#failure?.code ?? 0;
  }

  /** Has every rank ended? */
  get done(): boolean {
    return this.#gone.size === this.#options.size;
  }

  /** A rank joined the rendezvous. */
  joined(rank: number): void {
    this.#joined.add(rank);
    this.#checkDeserted();
  }

  /** Every rank joined and got the world. */
  worldReady(): void {
    this.#worldReady = true;
  }

  /** Has `rank` ended? */
  hasEnded(rank: number): boolean {
    return this.#gone.has(rank);
  }

  /** A rank process ended. */
  exited(rank: number, status: ExitStatus): void {
    if (this.#gone.has(rank)) return;
    if (status.code !== 0 && this.#consequences.has(rank)) {
      // It ends because a peer did; its abort already stands for it.
    } else if (status.code !== 0) {
      this.fail({
        code: exitCodeOf(status),
        message: `${this.#options.describe(rank)} ${describeStatus(status)}`,
      });
    } else if (!this.#joined.has(rank) && !this.#worldReady) {
      this.#leftEarly.push(rank);
      this.#checkDeserted();
    } else if (this.#failure === undefined) {
      this.#exitedZero.push(rank);
      const blamed = this.#blameEarlyExit();
      if (blamed !== undefined) this.fail(blamed);
    }
    this.#gone.add(rank);
    this.#checkFinished();
  }

  /** A rank could not be started. */
  spawnFailed(rank: number, error: Error): void {
    if (this.#gone.has(rank)) return;
    this.fail({
      code: SPAWN_FAILED_EXIT_CODE,
      message: `${this.#options.describe(rank)} could not be started: ${error.message}`,
    });
    this.#gone.add(rank);
    this.#checkFinished();
  }

  /**
   * A rank called `Abort(code)` or died of an uncaught error: `reason`'s first line says why, the lines after
   * it are its trace, printed after the failure. When that error is a lost peer, the peer's own
   * failure is the cause: the abort counts only if none comes within {@linkcode CONSEQUENCE_WAIT_MS}.
   */
  aborted(rank: number, code: number, reason: string): void {
    const [first, ...trace] = reason.split("\n");
    const firstLine = first.trim();
    const failure = {
      code: abortExitCode(code),
      message: `${this.#options.describe(rank)} aborted with code ${code}${
        firstLine === "" ? "" : `: ${firstLine}`
      }`,
    };
    if (!firstLine.includes("[ERR_PEER_LOST]")) {
      return this.fail({ ...failure, details: trace.filter((line) => line.trim() !== "") });
    }
    if (this.#failure !== undefined || this.#consequences.has(rank)) return;
    this.#consequences.set(rank, { ...failure, reason: firstLine });
    const blamed = this.#blameEarlyExit();
    if (blamed !== undefined) return this.fail(blamed);
    this.#consequenceTimer ??= setTimeout(() => this.#failConsequence(), CONSEQUENCE_WAIT_MS);
  }

  /**
   * The launcher got `signal`: the job is interrupted (exit code 128 + the signal's number, unless a rank
   * failed first), and the signal goes to every rank, now or as soon as they are started, which decide how
   * to end; those still running after the grace time are killed. A second signal kills them all at once.
   */
  interrupted(signal: RankSignal): void {
    this.#interrupts++;
    if (this.#interrupts > 1) {
      if (this.#failure !== undefined && this.#failure === this.#interruption) {
        this.#failure.message += `; killed every rank after a second ${signal}`;
      }
      this.#job?.killAll();
      return;
    }
    this.#interruptSignal = signal;
    if (this.#failure === undefined) {
      clearTimeout(this.#consequenceTimer);
      this.#failure = this.#interruption = {
        code: 128 + signalNumber(signal),
        message: `job interrupted by ${signal}`,
        details: [],
      };
    }
    this.#terminate();
  }

  /**
   * The `--timeout` expired. Returns false when the job is already ending; otherwise the failure is the
   * timeout from now on, and the ranks are ended by {@linkcode Supervisor.endTimeout} once their reports are in.
   */
  beginTimeout(seconds: number): boolean {
    if (this.#failure !== undefined || this.done) return false;
    this.#failure = { code: TIMEOUT_EXIT_CODE, message: `job timed out after ${seconds} s`, details: [] };
    return true;
  }

  /** Ends a timed-out job, with the report lines to print. */
  endTimeout(details: readonly string[]): void {
    this.#failure?.details.push(...details);
    this.#terminate();
  }

  /** Records a failure (only the first one counts) and ends the job. */
  fail(failure: Omit<Failure, "details"> & { details?: string[] }): void {
    if (this.#failure !== undefined) return;
    clearTimeout(this.#consequenceTimer);
    this.#failure = { ...failure, details: failure.details ?? [] };
    this.#terminate();
  }

  /** A rank exited 0 without joining while another joined: the others would wait for it forever. */
  #checkDeserted(): void {
    if (this.#leftEarly.length === 0 || this.#joined.size === 0 || this.#worldReady) return;
    const rank = this.#leftEarly[0];
    this.fail({
      code: 1,
      message: `${
        this.#options.describe(rank)
      } exited with code 0 before joining the job, which the others wait for`,
    });
  }

  #terminate(): void {
    if (this.#terminating) return;
    this.#terminating = true;
    if (this.done) return;
    this.#signalAll();
  }

  #signalAll(): void {
    const job = this.#job;
    if (job === undefined || this.#killTimer !== undefined) return;
    // Those that do not end within the grace time get SIGKILL all the same.
    job.signal(this.#interruptSignal ?? "SIGTERM");
    this.#killTimer = setTimeout(() => job.killAll(), this.#options.graceMs ?? KILL_GRACE_MS);
  }

  /** No other failure came: the first rank that lost a peer stands for the job's end. */
  #failConsequence(): void {
    const first = this.#consequences.values().next();
    if (!first.done) {
      this.fail(this.#blameEarlyExit() ?? { code: first.value.code, message: first.value.message });
    }
  }

  /**
   * A rank that lost a peer which had exited 0 (its script ended while the others still needed it) names that
   * peer as the failure, not itself: `rank 1 (...) exited with code 0 while rank 0 still waited on it`.
   */
  #blameEarlyExit(): Omit<Failure, "details"> | undefined {
    for (const [rank, consequence] of this.#consequences) {
      const lost = Number(/\brank (\d+) is gone\b/.exec(consequence.reason)?.[1] ?? NaN);
      const early = this.#exitedZero.includes(lost)
        ? lost
        : Number.isNaN(lost)
        ? this.#exitedZero.find((zero) => zero !== rank)
        : undefined;
      if (early === undefined) continue;
      return {
        code: consequence.code,
        message: `${this.#options.describe(early)} exited with code 0 while rank ${rank} still needed it ` +
          `(rank ${rank}: ${consequence.reason})`,
      };
    }
    return undefined;
  }

  #checkFinished(): void {
    if (!this.done) return;
    this.#failConsequence();
    clearTimeout(this.#consequenceTimer);
    clearTimeout(this.#killTimer);
    this.#resolveFinished();
  }
}
