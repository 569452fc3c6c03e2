/**
 * The Slurm backend, for a launcher inside an allocation (`salloc`, `sbatch`): every rank is a task of one
 * `srun` step over the allocation's nodes. The step's environment is the job's (the token travels in it, as
 * Slurm passes environments, never on a command line); each task takes its rank from `SLURM_PROCID`.
 *
 * srun's `--label` prefixes every line with its task, which is how output is told apart by rank; srun's own
 * `task N: Exited with exit code C` lines say which rank ended how, as soon as it does. Signals reach the
 * ranks through `scancel --signal` on the step (found by its unique name), or srun itself.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { expandHostlist, expandTasksPerNode } from "../bootstrap/hostlist.ts";
import { commandOutput, slurmNodeAddress } from "../bootstrap/slurm_nodes.ts";
import { EnvName } from "../env.ts";
import type { HostSlots } from "./hostfile.ts";
import { localAddressToward } from "./network.ts";
import { UsageError } from "./options.ts";
import type { RankPlacement } from "./plan.ts";
import type {
  ExitStatus,
  OutputStream,
  RankLaunch,
  RankSignal,
  RunningJob,
  Spawner,
  SpawnEvents,
} from "./spawner.ts";
import { concatBytes } from "../wire/buffers.ts";

/** The port of slurmd where `ip route get` is unavailable to tell the route (any open port would do). */
const SLURMD_PORT = 6818;

/** What `strsignal` calls a signal, as srun reports a task killed by it. */
const SIGNAL_WORDS: Record<string, string> = {
  "Hangup": "SIGHUP",
  "Interrupt": "SIGINT",
  "Quit": "SIGQUIT",
  "Illegal instruction": "SIGILL",
  "Trace/breakpoint trap": "SIGTRAP",
  "Aborted": "SIGABRT",
  "Bus error": "SIGBUS",
  "Floating point exception": "SIGFPE",
  "Killed": "SIGKILL",
  "User defined signal 1": "SIGUSR1",
  "Segmentation fault": "SIGSEGV",
  "User defined signal 2": "SIGUSR2",
  "Broken pipe": "SIGPIPE",
  "Alarm clock": "SIGALRM",
  "Terminated": "SIGTERM",
};

/** Is the launcher inside a Slurm allocation? */
export function inSlurmAllocation(env: Record<string, string | undefined>): boolean {
  return (env.SLURM_JOB_ID ?? "") !== "";
}

/** Is the launcher itself a task of a step (`srun mpirun-deno -n 4 ...`, or a shell under `srun --pty`)? */
export function inSlurmStep(env: Record<string, string | undefined>): boolean {
  return (env.SLURM_STEP_ID ?? "") !== "";
}

/**
 * The allocation's nodes and how many tasks each takes, from `SLURM_JOB_NODELIST` and
 * `SLURM_TASKS_PER_NODE` (or `SLURM_JOB_CPUS_PER_NODE`, which is all there is of the allocation inside a
 * step, where the tasks per node are the step's). Throws {@linkcode UsageError} outside an allocation.
 *
 * @example
 * ```ts
 * import { allocationHosts } from "./spawn_slurm.ts";
 * const env = { SLURM_JOB_ID: "7", SLURM_JOB_NODELIST: "n[1-3]", SLURM_TASKS_PER_NODE: "4(x2),1" };
 * console.log(allocationHosts(env)); // [{ host: "n1", slots: 4 }, { host: "n2", slots: 4 }, { host: "n3", slots: 1 }]
 * ```
 */
export function allocationHosts(env: Record<string, string | undefined>): HostSlots[] {
  if (!inSlurmAllocation(env)) {
    throw new UsageError(
      "--launcher slurm: not inside a Slurm allocation (SLURM_JOB_ID is not set); use salloc or sbatch",
    );
  }
  const list = env.SLURM_JOB_NODELIST ?? env.SLURM_NODELIST;
  if (!list) throw new UsageError("Inside a Slurm allocation, but SLURM_JOB_NODELIST is not set");
  let nodes: string[];
  let counts: number[];
  try {
    nodes = expandHostlist(list);
    const perNode = (inSlurmStep(env) ? undefined : env.SLURM_TASKS_PER_NODE) ?? env.SLURM_JOB_CPUS_PER_NODE;
    counts = perNode ? expandTasksPerNode(perNode) : nodes.map(() => 1);
  } catch (error) {
    throw new UsageError(`Cannot read the Slurm allocation: ${(error as Error).message}`);
  }
  return nodes.map((host, index) => ({ host, slots: counts[index] ?? counts.at(-1) ?? 1 }));
}

/**
 * The allocation's task count (`SLURM_NTASKS`), the default number of ranks; `undefined` when not given, or
 * inside a step (where it is the step's).
 */
export function allocationTasks(env: Record<string, string | undefined>): number | undefined {
  if (inSlurmStep(env)) return undefined;
  const text = env.SLURM_NTASKS ?? env.SLURM_NPROCS;
  return text && /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

/** One of srun's `srun: error: NODE: task(s) LIST: HOW` lines, read. */
export interface TaskStatus {
  node: string;
  tasks: number[];
  status: ExitStatus;
}

/** Expands `0-2,5` into `[0, 1, 2, 5]`. */
function expandTaskList(text: string): number[] {
  const tasks: number[] = [];
  for (const part of text.split(",")) {
    const [from, to = from] = part.split("-").map(Number);
    for (let task = from; task <= to; task++) tasks.push(task);
  }
  return tasks;
}

/**
 * Reads srun's report of tasks that ended badly (`srun: error: n2: task 3: Exited with exit code 5`,
 * `srun: error: n1: tasks 0-1: Killed`); `undefined` for any other line.
 *
 * @example
 * ```ts
 * import { parseTaskStatus } from "./spawn_slurm.ts";
 * console.log(parseTaskStatus("srun: error: n2: task 3: Exited with exit code 5"));
 * // { node: "n2", tasks: [3], status: { code: 5, signal: null } }
 * ```
 */
export function parseTaskStatus(line: string): TaskStatus | undefined {
  const match = /^srun: error: (\S+): tasks? ([\d,\-]+): (.+?)\s*$/.exec(line);
  if (!match) return undefined;
  const how = match[3].replace(/ \(core dumped\)$/, "");
  const exited = /^Exited with exit code (\d+)$/.exec(how);
  let status: ExitStatus;
  if (exited) status = { code: Number(exited[1]), signal: null };
  else if (SIGNAL_WORDS[how]) status = { code: null, signal: SIGNAL_WORDS[how] };
  else return undefined;
  return { node: match[1], tasks: expandTaskList(match[2]), status };
}

/** A piece of a labelled stream: the task it came from (`undefined` for srun's own lines), and the bytes. */
export interface LabelledLine {
  task: number | undefined;
  /** The line without its label, with its newline. */
  bytes: Uint8Array;
}

const NEWLINE = 10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Splits srun's `--label`led output (`3: text`) back into lines per task, whatever the chunking.
 *
 * @example
 * ```ts
 * import { LabelSplitter } from "./spawn_slurm.ts";
 * const splitter = new LabelSplitter();
 * const lines = splitter.push(new TextEncoder().encode(" 0: hi\n1: th"));
 * console.log(lines.length, splitter.push(new TextEncoder().encode("ere\n"))[0].task); // 1 1
 * ```
 */
export class LabelSplitter {
  #partial: Uint8Array[] = [];

  /** Adds a chunk; returns the whole lines it completes. */
  push(chunk: Uint8Array): LabelledLine[] {
    const lines: LabelledLine[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE); newline >= 0; newline = chunk.indexOf(NEWLINE, start)) {
      this.#partial.push(chunk.subarray(start, newline + 1));
      lines.push(this.#line(this.#take()));
      start = newline + 1;
    }
    if (start < chunk.length) this.#partial.push(chunk.slice(start));
    return lines;
  }

  /** The last line, if it had no newline. */
  flush(): LabelledLine[] {
    if (this.#partial.length === 0) return [];
    const line = this.#line(this.#take());
    return [{ task: line.task, bytes: concatBytes([line.bytes, encoder.encode("\n")]) }];
  }

  #take(): Uint8Array {
    const bytes = concatBytes(this.#partial);
    this.#partial = [];
    return bytes;
  }

  #line(bytes: Uint8Array): LabelledLine {
    // A label is at most a few digits: look at the head of the line only.
    const head = decoder.decode(bytes.subarray(0, 16));
    const match = /^ *(\d+): /.exec(head);
    if (!match) return { task: undefined, bytes };
    return { task: Number(match[1]), bytes: bytes.subarray(encoder.encode(match[0]).length) };
  }
}

/** Is this slurmstepd's `*** STEP 12.0 ON n1 CANCELLED AT ... ***` line? */
function isStepCancelled(bytes: Uint8Array): boolean {
  return /^slurmstepd\S*: error: \*\*\* STEP \S+ ON \S+ CANCELLED/.test(
    decoder.decode(bytes.subarray(0, 120)),
  );
}

/** How srun should run a job's ranks. */
export interface SrunRequest {
  ntasks: number;
  /** Deal ranks round-robin over the nodes (`--map-by node`) instead of filling each in turn. */
  cyclic: boolean;
  /** More tasks than the allocation has CPUs. */
  overcommit: boolean;
  /** Share CPUs with the step the launcher runs in, if it runs in one. */
  overlap: boolean;
  cwd: string;
  /** The step's name, unique to the job, to find it for `scancel`. */
  name: string;
  command: string;
  args: readonly string[];
  /** srun's `--input`: the task that reads the launcher's standard input, `all` or `none` (default `0`). */
  input?: string;
}

/**
 * srun's arguments for a job's step.
 *
 * @example
 * ```ts
 * import { srunArguments } from "./spawn_slurm.ts";
 * const args = srunArguments({ ntasks: 4, cyclic: false, overcommit: false, overlap: false, cwd: "/home/me", name: "mpirun-deno-1",
 *   command: "/opt/deno", args: ["run", "-A", "rank_main.ts"] });
 * console.log(args.slice(0, 2)); // ["--ntasks=4", "--label"]
 * ```
 */
export function srunArguments(request: SrunRequest): string[] {
  return [
    `--ntasks=${request.ntasks}`,
    "--label",
    `--input=${request.input ?? "0"}`,
    "--mpi=none",
    "--kill-on-bad-exit=0",
    "--quit-on-interrupt",
    `--chdir=${request.cwd}`,
    `--job-name=${request.name}`,
    ...(request.cyclic ? ["--distribution=cyclic"] : []),
    ...(request.overcommit ? ["--overcommit"] : []),
    ...(request.overlap ? ["--overlap"] : []),
    "--",
    request.command,
    ...request.args,
  ];
}

/** The environment of the step: rank 0's, less what differs between ranks (Slurm numbers the tasks). */
export function stepEnvironment(env: Record<string, string>): Record<string, string> {
  const out = { ...env };
  for (const name of [EnvName.RANK, EnvName.LOCAL_RANK, EnvName.LOCAL_SIZE]) delete out[name];
  return out;
}

/** Options of {@linkcode SlurmSpawner}. */
export interface SlurmSpawnerOptions {
  /** The launcher's environment: the allocation (default: this process's). */
  env?: Record<string, string | undefined>;
  /** The srun executable (default: `srun` on `PATH`). */
  srun?: string;
  /** Deal ranks round-robin over the nodes. */
  cyclic?: boolean;
  overcommit?: boolean;
}

let steps = 0;

/**
 * Starts every rank as a task of one srun step.
 *
 * @example
 * ```ts ignore
 * import { SlurmSpawner } from "./spawn_slurm.ts";
 * const job = new SlurmSpawner().start(ranks, events);
 * ```
 */
export class SlurmSpawner implements Spawner {
  readonly name = "slurm";
  #options: SlurmSpawnerOptions;

  constructor(options: SlurmSpawnerOptions = {}) {
    this.#options = options;
  }

  /**
   * This machine's address on the route to the allocation's first node, by the address Slurm knows it by
   * (`NodeAddr`: node names need not resolve here), else by its name.
   */
  async localAddress(placements: readonly RankPlacement[]): Promise<string | undefined> {
    const node = placements[0]?.host;
    if (node === undefined) return await localAddressToward("localhost", SLURMD_PORT);
    const address = await slurmNodeAddress(node, this.#options.env ?? process.env);
    return await localAddressToward(address ?? node, SLURMD_PORT);
  }

  start(ranks: readonly RankLaunch[], events: SpawnEvents): RunningJob {
    const env = this.#options.env ?? process.env;
    const first = ranks[0];
    const name = `mpirun-deno-${process.pid}-${steps++}`;
    let child: ChildProcess;
    try {
      child = spawn(
        this.#options.srun ?? "srun",
        srunArguments({
          ntasks: ranks.length,
          cyclic: this.#options.cyclic ?? false,
          overcommit: this.#options.overcommit ?? false,
          overlap: inSlurmStep(env),
          cwd: first.cwd,
          name,
          command: first.command,
          args: first.args,
          input: srunInput(ranks),
        }),
        { env: stepEnvironment(first.env), detached: true, stdio: ["inherit", "pipe", "pipe"] },
      );
    } catch (error) {
      return failedStep(ranks, events, error);
    }
    return new SrunStep(child, ranks.length, events, env, name).job();
  }
}

/** srun's `--input`: the task that reads the launcher's standard input, `all`, or `none`. */
function srunInput(ranks: readonly RankLaunch[]): string {
  const readers = ranks.filter((launch) => launch.stdin === "launcher");
  if (readers.length === 0) return "none";
  return readers.length === 1 ? String(readers[0].placement.rank) : "all";
}

/** srun could not be run at all: every rank failed to start, and has no output. */
function failedStep(ranks: readonly RankLaunch[], events: SpawnEvents, error: unknown): RunningJob {
  for (const { placement } of ranks) {
    events.onSpawnError(placement.rank, error instanceof Error ? error : new Error(String(error)));
    events.onOutputEnd(placement.rank, "stdout");
    events.onOutputEnd(placement.rank, "stderr");
  }
  return { pid: () => undefined, signal: () => {}, killAll: () => {} };
}

/** A running srun step: its labelled output read back into ranks, its ends and signals. */
class SrunStep {
  readonly #child: ChildProcess;
  readonly #size: number;
  readonly #events: SpawnEvents;
  readonly #env: Record<string, string | undefined>;
  readonly #name: string;
  readonly #settled = new Set<number>();
  readonly #splitters = new Map<OutputStream, LabelSplitter>();
  readonly #open = new Set<OutputStream>(["stdout", "stderr"]);
  /** Whether the launcher is ending the job (srun's and slurmstepd's accounts of it are then noise). */
  #terminating = false;
  /** srun's last message of its own, to say why it failed. */
  #lastMessage = "";
  #killed = false;

  constructor(
    child: ChildProcess,
    size: number,
    events: SpawnEvents,
    env: Record<string, string | undefined>,
    name: string,
  ) {
    this.#child = child;
    this.#size = size;
    this.#events = events;
    this.#env = env;
    this.#name = name;
    child.on("error", (error) => {
      if (child.pid === undefined) this.#lastMessage = `cannot run srun: ${error.message}`;
    });
    for (const stream of ["stdout", "stderr"] as const) this.#read(stream);
    child.on("close", (code, signal) => this.#closed(code, signal));
  }

  /** The job as the launcher drives it. */
  job(): RunningJob {
    return {
      pid: () => undefined,
      signal: (signal) => this.#signal(signal),
      killAll: () => {
        this.#terminating = true;
        // srun ends its step when it gets SIGTERM (killing it outright would leave the step running).
        this.#signalSrun(this.#killed ? "SIGKILL" : "SIGTERM");
        this.#killed = true;
      },
      pauseOutput: () => {
        this.#child.stdout?.pause();
        this.#child.stderr?.pause();
      },
      resumeOutput: () => {
        this.#child.stdout?.resume();
        this.#child.stderr?.resume();
      },
    };
  }

  /** Reports rank `rank`'s end with `how`, once. */
  #settle(rank: number, how: () => void): void {
    if (rank < 0 || rank >= this.#size || this.#settled.has(rank)) return;
    this.#settled.add(rank);
    how();
  }

  /** Reads one of srun's streams, line by line. */
  #read(stream: OutputStream): void {
    const splitter = new LabelSplitter();
    this.#splitters.set(stream, splitter);
    const readable = this.#child[stream]!;
    readable.on("data", (chunk: Uint8Array) => {
      for (const line of splitter.push(chunk)) this.#forward(stream, line);
    });
    const end = () => {
      if (!this.#open.delete(stream)) return;
      for (const line of splitter.flush()) this.#forward(stream, line);
    };
    readable.on("end", end);
    readable.on("close", end);
    readable.on("error", end);
  }

  /** Passes a task's line to its rank; reads srun's own lines for the tasks' ends. */
  #forward(stream: OutputStream, line: LabelledLine): void {
    if (line.task !== undefined) {
      // Once the job is ending, slurmstepd's word that it cancels the step is noise.
      if (this.#terminating && isStepCancelled(line.bytes)) return;
      if (line.task < this.#size) this.#events.onOutput(line.task, stream, line.bytes);
      return;
    }
    // srun's own line: a task's end, or a message of srun's.
    const text = decoder.decode(line.bytes).trimEnd();
    const status = parseTaskStatus(text);
    if (status) {
      for (const task of status.tasks) this.#settle(task, () => this.#events.onExit(task, status.status));
      return;
    }
    if (text !== "") this.#lastMessage = text;
    // Once the job is ending, srun's account of how it ends the step is noise.
    if (!this.#terminating) this.#events.onOutput(0, stream, line.bytes);
  }

  /** srun has ended: every rank not yet reported ends with it, and so does its output. */
  #closed(code: number | null, signal: NodeJS.Signals | null): void {
    for (const stream of ["stdout", "stderr"] as const) {
      for (const line of this.#splitters.get(stream)!.flush()) this.#forward(stream, line);
    }
    const failedToStart = this.#settled.size === 0 && code !== 0;
    for (let rank = 0; rank < this.#size; rank++) {
      this.#settle(rank, () => {
        if (failedToStart && !this.#terminating) {
          const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
          this.#events.onSpawnError(
            rank,
            new Error(`srun ${how}${this.#lastMessage === "" ? "" : `: ${this.#lastMessage}`}`),
          );
        } else {
          // srun reports only the tasks that ended badly: the others exited 0, unless the step was killed.
          this.#events.onExit(
            rank,
            this.#terminating && code !== 0 ? { code: null, signal: "SIGKILL" } : { code: 0, signal: null },
          );
        }
      });
      this.#events.onOutputEnd(rank, "stdout");
      this.#events.onOutputEnd(rank, "stderr");
    }
  }

  #running(): boolean {
    const child = this.#child;
    return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  }

  #signalSrun(signal: RankSignal): void {
    if (!this.#running()) return;
    try {
      process.kill(this.#child.pid!, signal);
    } catch {
      // Already gone.
    }
  }

  #signal(signal: RankSignal): void {
    if (!this.#running()) return;
    this.#terminating = true;
    if (signal === "SIGKILL") return this.#signalSrun(signal);
    // The ranks get the signal itself when the step can be found; srun would end the step instead.
    signalStep(this.#env, this.#name, signal).then((delivered) => {
      if (!delivered) this.#signalSrun(signal);
    });
  }
}

/** Sends `signal` to the tasks of the step named `name` with `scancel`; false when that cannot be done. */
async function signalStep(
  env: Record<string, string | undefined>,
  name: string,
  signal: RankSignal,
): Promise<boolean> {
  const job = env.SLURM_JOB_ID;
  if (!job) return false;
  const listing = await commandOutput(
    "squeue",
    ["--noheader", "--steps", `--jobs=${job}`, "--format=%i %j"],
    env,
  );
  const step = listing?.split("\n").map((line) => line.trim().split(/\s+/)).find(([, stepName]) =>
    stepName === name
  )?.[0];
  if (step === undefined) return false;
  return await commandOutput("scancel", [`--signal=${signal.replace(/^SIG/, "")}`, step], env) !== undefined;
}
