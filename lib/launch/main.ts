/**
 * The launcher, start to end: place the ranks, start the coordinator, spawn the ranks, forward their output,
 * supervise them, and return the job's exit code. `cli.ts` is its only caller.
 *
 * @module
 */

import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import process from "node:process";
import type { HelloMessage } from "../bootstrap/protocol.ts";
import { EnvName } from "../env.ts";
import { cpuCount, hostname, interfaceIPv4 } from "../runtime/host.ts";
import { newToken, parseToken } from "../transport/handshake.ts";
import { Coordinator } from "./coordinator.ts";
import { OutputForwarder, type Sink, writableSink } from "./io.ts";
import type { LauncherKind, LaunchOptions } from "./options.ts";
import { UsageError } from "./options.ts";
import { onInterrupt } from "./interrupts.ts";
import { HostListError, type HostSlots, lsfHosts, parsePbsNodefile } from "./hostfile.ts";
import { allowedCpus, boundCommand, coreBindings, jobMap } from "./binding.ts";
import { type NetworkPlan, NoRouteError, planNetwork, remoteRankEnvironment } from "./network.ts";
import { isLocalHost, placeRanks, type RankPlacement } from "./plan.ts";
import { type RankCommand, rankCommand, rankEnvironment, type RankProgram } from "./rank_command.ts";
import { inspectLaunch } from "./inspect.ts";
import { formatReports, JobObserver } from "./observe.ts";
import { LocalSpawner } from "./spawn_local.ts";
import { allocationHosts, allocationTasks, inSlurmAllocation, SlurmSpawner } from "./spawn_slurm.ts";
import { SshSpawner } from "./spawn_ssh.ts";
import type { RankLaunch, RankSignal, RunningJob, Spawner } from "./spawner.ts";
import { Supervisor } from "./supervise.ts";
import { typeCheck } from "./type_check.ts";

/** The backends, by `--launcher` name. A new backend is one file and one line here. */
const SPAWNERS: Record<LauncherKind, (options: LaunchOptions, env: LaunchIo["env"]) => Spawner> = {
  local: () => new LocalSpawner(),
  ssh: (_, env) => new SshSpawner({ env }),
  slurm: (options, env) =>
    new SlurmSpawner({ env, cyclic: options.mapBy === "node", overcommit: options.oversubscribe }),
};

/** How long ranks get to answer a `--timeout` report request. */
const REPORT_WAIT_MS = 1000;

/** How long output may still trickle in after every rank has exited (a pipe held by a killed descendant). */
const OUTPUT_GRACE_MS = 2000;

/** Where the launcher writes, and seams for tests. */
export interface LaunchIo {
  stdout: Sink;
  stderr: Sink;
  /** The launcher's environment, which ranks inherit. */
  env: Record<string, string | undefined>;
  /** How a rank is started (tests run plain scripts instead of `lib/rank_main.ts`). */
  rankCommand(program: RankProgram): RankCommand;
  /** Interrupt the job on SIGINT/SIGTERM/SIGHUP of this process (off for in-process tests). */
  handleSignals: boolean;
}

/** Picks the backend: `--launcher`, else slurm inside an allocation, ssh for remote hosts, else local. */
function chooseSpawner(options: LaunchOptions, placements: RankPlacement[], env: LaunchIo["env"]): Spawner {
  const own = hostname();
  const remote = placements.find((placement) => !isLocalHost(placement.host, own))?.host;
  const inAllocation = options.hosts === undefined && inSlurmAllocation(env);
  const kind = options.launcher ?? (inAllocation ? "slurm" : remote === undefined ? "local" : "ssh");
  if (kind === "local" && remote !== undefined) {
    throw new UsageError(`--launcher local cannot start ranks on host ${remote}`);
  }
  return SPAWNERS[kind](options, env);
}

/** The address ranks and the coordinator listen on, from `--bind-address` or `--bind-to-interface`. */
function chosenBindAddress(options: LaunchOptions): string | undefined {
  if (options.bindAddress !== undefined) return options.bindAddress;
  const name = options.bindInterface;
  if (name === undefined) return undefined;
  const address = interfaceIPv4(name);
  if (address === undefined) {
    throw new UsageError(
      `--bind-to-interface: no interface ${JSON.stringify(name)} with an IPv4 address ` +
        `(there are: ${Object.keys(os.networkInterfaces()).join(", ")})`,
    );
  }
  return address;
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<void>((resolve) => timer = setTimeout(resolve, ms));
  return { promise, cancel: () => clearTimeout(timer) };
}

/** Is the job to run as a Slurm step: `--launcher slurm`, or no backend or hosts asked for inside an allocation? */
function runsUnderSlurm(options: LaunchOptions, env: LaunchIo["env"]): boolean {
  const slurm = options.launcher === "slurm" ||
    (options.launcher === undefined && options.hosts === undefined && inSlurmAllocation(env));
  if (slurm && options.hosts !== undefined) {
    throw new UsageError("--launcher slurm runs ranks on the allocation's nodes; drop --host/--hostfile");
  }
  return slurm;
}

/**
 * The hosts of a PBS/Torque (`PBS_NODEFILE`) or LSF (`LSB_MCPU_HOSTS`, `LSB_HOSTS`) job the launcher runs in,
 * with where they were read; `undefined` outside one.
 */
function batchAllocation(env: LaunchIo["env"]): { hosts: HostSlots[]; where: string } | undefined {
  try {
    const nodefile = env.PBS_NODEFILE;
    if (nodefile) {
      let text: string;
      try {
        text = fs.readFileSync(nodefile, "utf8");
      } catch (error) {
        throw new UsageError(`PBS_NODEFILE=${nodefile} cannot be read: ${(error as Error).message}`);
      }
      return { hosts: parsePbsNodefile(text, `PBS_NODEFILE ${nodefile}`), where: "the PBS job's nodes" };
    }
    const lsf = lsfHosts(env);
    return lsf && { hosts: lsf, where: "the LSF job's hosts" };
  } catch (error) {
    if (error instanceof HostListError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Where each rank runs; inside a Slurm allocation the hosts and the default number of ranks are its own, and
 * inside a PBS or LSF job its hosts (started with ssh).
 */
function placeJob(options: LaunchOptions, env: LaunchIo["env"]): RankPlacement[] {
  const slurm = runsUnderSlurm(options, env);
  const batch = options.hosts === undefined && !slurm ? batchAllocation(env) : undefined;
  const localOnly = options.hosts === undefined && !slurm && batch === undefined;
  // As in Open MPI, this machine alone has one slot per CPU, and more ranks than slots need --oversubscribe.
  return placeRanks({
    np: options.np ?? (slurm ? allocationTasks(env) : undefined),
    hosts: options.hosts ??
      (slurm ? allocationHosts(env) : batch?.hosts ?? [{ host: hostname(), slots: cpuCount() }]),
    mapBy: options.mapBy,
    perNode: options.perNode,
    rankBy: options.rankBy,
    oversubscribe: options.oversubscribe,
    where: localOnly ? "this machine (one per CPU)" : batch?.where,
  });
}

/** How failure messages name a rank: `rank 3 (host n2, pid 1234)`. */
function describeRank(
  rank: number,
  placement: RankPlacement,
  hello: HelloMessage | undefined,
  job: RunningJob | undefined,
): string {
  const host = hello?.hostname ?? (isLocalHost(placement.host, hostname()) ? hostname() : placement.host);
  return `rank ${rank} (host ${host}, pid ${hello?.pid ?? job?.pid(rank) ?? "unknown"})`;
}

/** The addresses the job listens on and dials; a missing route is a {@linkcode UsageError}. */
async function jobNetwork(
  options: LaunchOptions,
  env: LaunchIo["env"],
  spawner: Spawner,
  placements: RankPlacement[],
  spansHosts: boolean,
  bindAddress: string | undefined,
): Promise<NetworkPlan> {
  try {
    return await planNetwork({
      spansHosts,
      bindAddress,
      bindInterface: options.bindInterface,
      envBindAddress: env[EnvName.BIND_ADDRESS],
      route: () => spawner.localAddress?.(placements) ?? Promise.resolve(undefined),
    });
  } catch (error) {
    if (error instanceof NoRouteError) throw new UsageError(error.message);
    throw error;
  }
}

/** Starts the coordinator on `host`, reporting the ranks' hellos, world and aborts to `supervisor`. */
async function startCoordinator(
  host: string,
  size: number,
  tokenHex: string,
  say: (line: string) => void,
  supervisor: Supervisor,
  observer: JobObserver,
): Promise<Coordinator> {
  try {
    return await Coordinator.start({
      host,
      size,
      token: parseToken(tokenHex),
      log: say,
      onHello: (hello) => {
        observer.hello(hello);
        supervisor.joined(hello.rank);
      },
      onWorld: () => supervisor.worldReady(),
      onProfile: (rank, profile) => observer.profile(rank, profile),
      onAbort: (message) => {
        observer.aborted(message);
        supervisor.aborted(message.rank, message.code, String(message.reason ?? ""));
      },
    });
  } catch (error) {
    throw new UsageError(`Cannot listen on ${host}: ${(error as Error).message}`);
  }
}

/** Opens the `--output-filename` files; a folder that cannot be written is a {@linkcode UsageError}. */
function openOutputFiles(output: OutputForwarder, options: LaunchOptions): void {
  try {
    output.openFiles();
  } catch (error) {
    throw new UsageError(
      `--output-filename: cannot write into ${options.outputDir}: ${(error as Error).message}`,
    );
  }
}

/**
 * What an interrupt signal does to the job: passes it to `supervisor`. At a terminal, the first Ctrl-C first
 * prints what every rank is doing (a second one passes on at once).
 */
function interruptHandler(supervisor: Supervisor, observer: JobObserver): (signal: RankSignal) => void {
  let interrupts = 0;
  let reporting = false;
  const atTerminal = process.stderr.isTTY === true;
  return (signal) => {
    if (signal === "SIGINT" && atTerminal && interrupts++ === 0) {
      reporting = true;
      observer.liveState("Ctrl-C").then(() => {
        if (reporting) supervisor.interrupted(signal);
        reporting = false;
      });
      return;
    }
    if (reporting) reporting = false;
    supervisor.interrupted(signal);
  };
}

/** What every rank of the job is told alike, and how the launch of each is made. */
interface JobSetup {
  options: LaunchOptions;
  env: LaunchIo["env"];
  /** The command of each program, by app number. */
  commands: RankCommand[];
  /** The program of each rank, by rank. */
  appnums: number[];
  /** The core of each rank under `--bind-to core`, by rank. */
  cores: number[] | undefined;
  network: NetworkPlan;
  coordinatorPort: number;
  tokenHex: string;
  /** Whether a rank runs on this machine, outside a Slurm step. */
  here(placement: RankPlacement): boolean;
}

/** One launch per rank, with the job's environment (addresses they can reach for ranks elsewhere). */
function rankLaunches(placements: RankPlacement[], setup: JobSetup): RankLaunch[] {
  const { options, env, commands, network, appnums, cores: bound } = setup;
  const dialHost = network.dial;
  const jobEnv = {
    size: placements.length,
    coordinator: dialHost.includes(":")
      ? `[${dialHost}]:${setup.coordinatorPort}`
      : `${dialHost}:${setup.coordinatorPort}`,
    token: setup.tokenHex,
    jobId: randomUUID().slice(0, 8),
    bindAddress: network.localBind,
  };
  const cores = cpuCount();
  return placements.map((placement) => {
    const appnum = appnums[placement.rank];
    const program = options.programs[appnum];
    const command = commands[appnum];
    const programEnv = {
      ...jobEnv,
      appnum,
      script: program.script,
      // `--report`: the ranks count what they do (comm/profile.ts).
      exports: options.report ? [...program.env, [EnvName.REPORT, "1"] as [string, string]] : program.env,
      command: command.env,
    };
    const started = bound === undefined
      ? command
      : boundCommand(command.command, command.args, bound[placement.rank]);
    return {
      placement,
      command: started.command,
      args: started.args,
      env: setup.here(placement)
        ? rankEnvironment(env, placement, { ...programEnv, cores })
        : remoteRankEnvironment(rankEnvironment(env, placement, programEnv), network),
      cwd: program.wdir,
      stdin: readsStdin(options.stdin, placement.rank) ? "launcher" : "none",
    };
  });
}

/**
 * The core of each rank under `--bind-to core`, or `undefined` without binding. More ranks on this host
 * than cores to bind them to is a {@linkcode UsageError}, as is binding, `-N` or `--rank-by` in a Slurm
 * step (srun places and binds its tasks itself).
 */
function bindingCores(
  options: LaunchOptions,
  placements: RankPlacement[],
  spawner: Spawner,
  here: (placement: RankPlacement) => boolean,
): number[] | undefined {
  if (spawner.name === "slurm") {
    for (
      const [set, flag, instead] of [
        [options.bindTo !== "none", "--bind-to", "srun --cpu-bind"],
        [options.perNode !== undefined, "-N", "srun --ntasks-per-node"],
        [options.rankBy !== undefined, "--rank-by", "srun --distribution"],
      ] as const
    ) {
      if (set) throw new UsageError(`${flag} cannot place ranks of a Slurm step; use ${instead}`);
    }
  }
  if (options.bindTo === "none") return undefined;
  const cpus = allowedCpus() ?? Array.from({ length: cpuCount() }, (_, cpu) => cpu);
  const crowded = placements.find((placement) => here(placement) && placement.localSize > cpus.length);
  if (crowded !== undefined) {
    throw new UsageError(
      `--bind-to core: ${crowded.localSize} ranks on this host but ${cpus.length} cores to bind them to; ` +
        "run fewer ranks here or use --bind-to none",
    );
  }
  return coreBindings(placements, here, cpus);
}

/** `--display-map` and `--report-bindings`, on stderr before the job starts. */
function reportPlan(
  options: LaunchOptions,
  placements: RankPlacement[],
  appnums: number[],
  cores: number[] | undefined,
  stderr: Sink,
): void {
  const lines: string[] = [];
  if (options.displayMap) lines.push(...jobMap(placements, appnums, options.programs, cores));
  if (options.reportBindings) {
    for (const placement of placements) {
      const where = `rank ${placement.rank} (host ${placement.host})`;
      lines.push(
        cores === undefined ? `${where} not bound` : `${where} bound to core ${cores[placement.rank]}`,
      );
    }
  }
  if (lines.length > 0) {
    stderr.write(new TextEncoder().encode(lines.map((line) => `mpirun-deno: ${line}\n`).join("")));
  }
}

/** Does `rank` read the launcher's standard input under `--stdin target`? */
function readsStdin(target: LaunchOptions["stdin"], rank: number): boolean {
  return target === "all" || target === rank;
}

/** The app number of each rank: the programs of an MPMD job take consecutive ranks, in order. */
function programOfRanks(options: LaunchOptions, size: number): number[] {
  if (options.programs.length === 1) return new Array(size).fill(0);
  return options.programs.flatMap((program, appnum) => new Array(program.np!).fill(appnum));
}

/** The ranks' output as the end of the job watches it. */
interface OutputFlow {
  /** Counts output events, so that the end of the job can tell flowing output from a silent pipe. */
  activity: number;
  /** Whether the ranks' pipes are not read, while the launcher's own output is backed up. */
  paused: boolean;
}

/** Starts the ranks, their output forwarded with back-pressure and their ends reported to `supervisor`. */
function startRanks(
  spawner: Spawner,
  launches: RankLaunch[],
  output: OutputForwarder,
  supervisor: Supervisor,
  flow: OutputFlow,
  observer: JobObserver,
): RunningJob {
  // Back-pressure: while the launcher's own stdout or stderr is backed up, the ranks' pipes are not read.
  // An output event before `start` returns finds no job to pause.
  const started: { job?: RunningJob } = {};
  started.job = spawner.start(launches, {
    onOutput: (rank, stream, chunk) => {
      flow.activity++;
      if (output.write(rank, stream, chunk) || flow.paused || started.job?.pauseOutput === undefined) return;
      flow.paused = true;
      started.job.pauseOutput();
      output.drained().then(() => {
        flow.paused = false;
        flow.activity++;
        started.job?.resumeOutput?.();
      });
    },
    onOutputEnd: (rank, stream) => output.end(rank, stream),
    onExit: (rank, status) => {
      observer.exited(rank, status);
      supervisor.exited(rank, status);
    },
    onSpawnError: (rank, error) => supervisor.spawnFailed(rank, error),
  });
  return started.job;
}

/** Arms `--timeout`: when it fires, the ranks are asked what they wait for, and the job is ended. */
function armTimeout(
  seconds: number | undefined,
  supervisor: Supervisor,
  coordinator: Coordinator,
  size: number,
  observer: JobObserver,
): ReturnType<typeof setTimeout> | undefined {
  if (seconds === undefined) return undefined;
  return setTimeout(() => {
    if (!supervisor.beginTimeout(seconds)) return;
    coordinator.requestReports(REPORT_WAIT_MS).then(
      (reports) => {
        const blocked = formatReports(reports, size, (rank) => supervisor.hasEnded(rank));
        observer.timedOut(seconds, blocked);
        supervisor.endTimeout(blocked);
      },
      () => supervisor.endTimeout([]),
    );
  }, seconds * 1000);
}

/**
 * Waits for the ranks' output to end: as long as it still flows, a silent pipe only for the grace time.
 * Resolves with false when a pipe was given up on (what came after is lost).
 */
async function outputEnded(output: OutputForwarder, flow: OutputFlow): Promise<boolean> {
  for (;;) {
    const seen = flow.activity;
    const grace = delay(OUTPUT_GRACE_MS);
    const ended = await Promise.race([output.ended.then(() => true), grace.promise.then(() => false)]);
    grace.cancel();
    if (ended) return true;
    if (flow.activity === seen && !flow.paused) return false;
  }
}

/** Says why the job failed, if it did, on the launcher's stderr. */
function reportFailure(supervisor: Supervisor, stderr: Sink, say: (line: string) => void): void {
  const failure = supervisor.failure;
  if (failure === undefined) return;
  say(failure.message);
  for (const line of failure.details) stderr.write(new TextEncoder().encode(`${line}\n`));
}

/**
 * Runs a job and resolves with the launcher's exit code: 0 when every rank exited 0, else the first failure's
 * code. Throws {@linkcode UsageError} before anything is started when the request cannot run.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * import { resolveOptions, scanCommandLine } from "./options.ts";
 * const code = await main(resolveOptions(scanCommandLine(["-n", "4", "hello.ts"])));
 * ```
 */
export async function main(options: LaunchOptions, io: Partial<LaunchIo> = {}): Promise<number> {
  const stdout = io.stdout ?? writableSink(process.stdout);
  const stderr = io.stderr ?? writableSink(process.stderr);
  const env = io.env ?? process.env;
  const encoder = new TextEncoder();
  const say = (line: string) => stderr.write(encoder.encode(`mpirun-deno: ${line}\n`));

  // Plan everything that can fail on the request before anything starts.
  const placements = placeJob(options, env);
  const size = placements.length;
  if (typeof options.stdin === "number" && options.stdin >= size) {
    throw new UsageError(`--stdin: there is no rank ${options.stdin} in a job of ${size} ranks`);
  }
  const spawner = chooseSpawner(options, placements, env);
  const bindAddress = chosenBindAddress(options);
  if (options.programs.length > 1 && spawner.name === "slurm") {
    throw new UsageError("a job of several programs cannot run as a Slurm step yet; use --launcher ssh");
  }
  const commands = options.programs.map((program) =>
    (io.rankCommand ?? rankCommand)({
      runtime: options.runtime,
      script: program.script,
      scriptArgs: program.scriptArgs,
    })
  );
  // Ranks elsewhere (other hosts, or tasks of a Slurm step) need addresses they can reach.
  const here = (placement: RankPlacement) =>
    spawner.name !== "slurm" && isLocalHost(placement.host, hostname());
  const appnums = programOfRanks(options, size);
  const cores = bindingCores(options, placements, spawner, here);
  reportPlan(options, placements, appnums, cores, stderr);
  if (options.check) { for (const program of options.programs) typeCheck(program.script); }
  const tokenHex = newToken();
  const observer = JobObserver.open(options);
  // The supervisor names ranks by what the coordinator and the backend, both started later, know of them.
  const started: { coordinator?: Coordinator; job?: RunningJob } = {};
  const supervisor = new Supervisor({
    size,
    describe: (rank) => describeRank(rank, placements[rank], started.coordinator?.hello(rank), started.job),
  });
  // From here on a signal interrupts the job, even one that came while the launcher was still starting.
  const stopInterrupts = (io.handleSignals ?? true)
    ? onInterrupt(interruptHandler(supervisor, observer))
    : () => {};
  const network = await jobNetwork(options, env, spawner, placements, !placements.every(here), bindAddress);
  const coordinator = await startCoordinator(network.listen, size, tokenHex, say, supervisor, observer);
  started.coordinator = coordinator;

  const output = new OutputForwarder({
    size,
    tag: options.tagOutput,
    timestamp: options.timestampOutput,
    dir: options.outputDir,
    copy: options.outputCopy,
    mergeStderr: options.mergeStderr,
    stdout,
    stderr,
  });
  const flow: OutputFlow = { activity: 0, paused: false };
  const killOnExit = () => started.job?.killAll();
  let timeout: ReturnType<typeof setTimeout> | undefined;
  try {
    openOutputFiles(output, options);
    process.on("exit", killOnExit);

    const setup = {
      options,
      env,
      commands,
      appnums,
      cores,
      network,
      coordinatorPort: coordinator.port,
      tokenHex,
      here,
    };
    observer.started({
      size,
      script: options.programs.map((program) => program.script).join(" : "),
      launcher: spawner.name,
      hosts: placements.map((placement) => placement.host),
      requestReports: (waitMs) => coordinator.requestReports(waitMs),
      hasEnded: (rank) => supervisor.hasEnded(rank),
      write: (line) => stderr.write(encoder.encode(`${line}\n`)),
    }, io.handleSignals ?? true);
    let launches = rankLaunches(placements, setup);
    if (options.inspect) {
      const inspected = inspectLaunch(launches, options.inspect);
      launches = inspected.launches;
      say(inspected.note);
    }
    const job = started.job = startRanks(spawner, launches, output, supervisor, flow, observer);
    supervisor.attach(job);
    timeout = armTimeout(options.timeoutSeconds, supervisor, coordinator, size, observer);

    await supervisor.finished;
    clearTimeout(timeout);
    // Whatever the ranks left running goes with them; their pipes then end.
    job.killAll();
    if (!await outputEnded(output, flow)) {
      say(
        `output may be incomplete: a rank's output stayed open ${
          OUTPUT_GRACE_MS / 1000
        } s after the job ended`,
      );
    }
    await observer.profilesIn();
  } finally {
    clearTimeout(timeout);
    started.job?.killAll();
    coordinator.close();
    await output.close();
    stopInterrupts();
    process.off("exit", killOnExit);
  }

  reportFailure(supervisor, stderr, say);
  observer.ended(supervisor.exitCode, supervisor.failure?.message);
  await Promise.all([stdout.drain(), stderr.drain()]);
  return supervisor.exitCode;
}
