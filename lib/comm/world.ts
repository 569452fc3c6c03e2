/**
 * Builds this process's world at import: bootstrap (launcher, Slurm or singleton), then the transport to the
 * peers (`transport/peers.ts`), then the point-to-point engine, then `COMM_WORLD`/`COMM_SELF`. Two copies of the module (imported from two URLs)
 * share one world through a global key.
 *
 * @module
 */

import { type Bootstrap, localPlacement } from "../bootstrap/bootstrap.ts";
import { launchedByLauncher, LauncherBootstrap } from "../bootstrap/launcher.ts";
import { type PeerAddress, sendControl } from "../bootstrap/protocol.ts";
import { SingletonBootstrap } from "../bootstrap/singleton.ts";
import type { StepAbort } from "../bootstrap/step_abort.ts";
import { launchedBySlurm, SlurmBootstrap } from "../bootstrap/slurm.ts";
import { setErrorPrefix } from "../errors.ts";
import { Engine } from "../p2p/engine.ts";
import { exitProcess, hostname, writeStderr } from "../runtime/host.ts";
import { EnvName, readEnv, writeEnv } from "../env.ts";
import type { Connection } from "../transport/connection.ts";
import { openPeers } from "../transport/peers.ts";
import { Activities } from "./activity.ts";
import { leftoversWarning } from "./leftovers.ts";
import { Profiler } from "./profile.ts";
import { Comm, type Job } from "./comm.ts";
import { ContextIds, FIRST_FREE_CONTEXT, SELF_CONTEXTS, WORLD_CONTEXTS } from "./context.ts";

/** Everything one process's MPI state holds. */
export interface World {
  job: Job;
  rank: number;
  size: number;
  localRank: number;
  localSize: number;
  hostname: string;
  jobId: string;
  /** How this rank bootstrapped: "launcher", "slurm" or "singleton". */
  bootstrap: string;
  /** Where every rank listens, and its host name, indexed by world rank. */
  peers: readonly PeerAddress[];
  commWorld: Comm;
  commSelf: Comm;
  /** When the world was built (Wtime counts from process start, this is for reports). */
  startedAt: number;
  /** What `--report` counts, when the launcher asked for it. */
  profiler?: Profiler;
}

/**
 * How long a rank that asked its launcher to end the job waits to be ended before it exits by itself: longer
 * than the launcher waits for the cause of a lost peer (`CONSEQUENCE_WAIT_MS` in lib/launch/supervise.ts).
 */
const ABORT_WAIT_MS = 1500;

/** Whoever reports a failure of this rank to the launcher (abort or uncaught error). */
let control: Connection | undefined;
/** Under direct `srun`, where there is no launcher: the channel through rank 0 that ends the whole step. */
let stepAbort: StepAbort | undefined;

/**
 * Ends the job from this rank: tells the launcher (when there is one) and exits with `code`. Used by
 * `Abort` and by the rank entry point for uncaught errors.
 */
export function abortJob(rank: number, code: number, reason: string): Promise<never> {
  return new Promise<never>(() => {
    const exit = () => exitProcess(code);
    if (stepAbort) {
      const channel = stepAbort;
      writeStderr(`mpirun-deno: rank ${rank}: ${reason}\n`, () => channel.abort(code, reason));
      setTimeout(exit, 2 * ABORT_WAIT_MS); // a broken pipe may never call back
      return;
    }
    if (!control || control.closed) {
      writeStderr(`mpirun-deno: rank ${rank}: ${reason}\n`, exit);
      setTimeout(exit, ABORT_WAIT_MS); // a broken pipe may never call back
      return;
    }
    // Tell the launcher, then wait for it to end this rank: exiting as soon as the message is written
    // could let the launcher see the exit before the message, and name the wrong failure. Exit anyway if it
    // does not end this rank in time.
    sendControl(control, { t: "abort", rank, code, reason });
    setTimeout(exit, ABORT_WAIT_MS);
  });
}

async function chooseBootstrap(): Promise<Bootstrap> {
  if (launchedByLauncher()) return new LauncherBootstrap(hostname());
  if (launchedBySlurm()) return await SlurmBootstrap.create(hostname());
  return new SingletonBootstrap(hostname());
}

async function createWorld(): Promise<World> {
  const boot = await chooseBootstrap();
  const { rank, size, token, jobId } = boot.identity;
  setErrorPrefix(`rank ${rank}`);
  const peers = openPeers({
    rank,
    size,
    token,
    log: (message) => writeStderr(`mpirun-deno: rank ${rank}: ${message}\n`),
  });
  const engine = new Engine(rank, size, peers.sink, peers.progress, peers.direct);
  peers.deliverTo(engine);
  const activities = new Activities();
  const profiler = readEnv(EnvName.REPORT) === "1" ? new Profiler(rank, size) : undefined;
  profiler?.install(engine);
  if (boot instanceof LauncherBootstrap) {
    boot.onControl = (message) => {
      if (message.t === "report" && control) {
        sendControl(control, {
          t: "blocked",
          rank,
          round: message.round,
          lines: activities.report(Date.now()),
        });
      }
    };
    boot.onLauncherLost = (why) => {
      // Our stderr was a pipe to the launcher: it may be gone with it (EPIPE). Exit all the same.
      writeStderr(`mpirun-deno: rank ${rank}: the launcher is gone (${why}); exiting\n`);
      exitProcess(1);
    };
  }
  const rendezvous = await boot.rendezvous((socket) => peers.accept(socket));
  control = rendezvous.control;
  if (boot instanceof SlurmBootstrap) stepAbort = boot.stepAbort;
  const hostnames = rendezvous.peers.map((peer) => peer.hostname);
  const { localRank, localSize } = localPlacement(rendezvous.peers, rank);
  peers.join(rendezvous.peers, localSize);
  const job: Job = {
    engine,
    activities,
    abort: (code, reason) => abortJob(rank, code, reason),
    hostnames,
    contextIds: new ContextIds(FIRST_FREE_CONTEXT),
    shared: peers.shared,
  };
  const members = Array.from({ length: size }, (_, i) => i);
  // What a rank sees in its environment, where no launcher set it (direct `srun`, one `srun` step, singleton).
  for (
    const [name, value] of [
      [EnvName.RANK, rank],
      [EnvName.SIZE, size],
      [EnvName.LOCAL_RANK, localRank],
      [EnvName.LOCAL_SIZE, localSize],
    ] as const
  ) if (readEnv(name) === undefined) writeEnv(name, String(value));
  return {
    job,
    rank,
    size,
    localRank,
    localSize,
    hostname: hostnames[rank],
    jobId,
    bootstrap: boot.kind,
    peers: rendezvous.peers,
    commWorld: new Comm(job, members, rank, WORLD_CONTEXTS, "COMM_WORLD"),
    commSelf: new Comm(job, [rank], 0, SELF_CONTEXTS, "COMM_SELF"),
    startedAt: Date.now(),
    profiler,
  };
}

/**
 * Warns, on stderr, about what this rank's script left unfinished: calls it never saw complete and messages
 * sent to it that nobody received (see leftovers.ts). Called when the script is done.
 */
export function warnLeftovers(): void {
  const warning = leftoversWarning(world.job, world.rank);
  if (warning !== undefined) writeStderr(`mpirun-deno: ${warning}\n`);
}

/** How long a rank whose script is done waits for its `--report` profile to be written to the launcher. */
const PROFILE_WAIT_MS = 1000;

/** Sends what `--report` counted to the launcher (once the script is done); nothing without `--report`. */
export function sendProfile(): Promise<void> {
  const profiler = world.profiler;
  if (profiler === undefined || !control || control.closed) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, PROFILE_WAIT_MS);
    sendControl(control!, { t: "profile", rank: world.rank, profile: profiler.snapshot() }, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const WORLD_KEY = Symbol.for("mpirun-deno.world.v1");
// deno-lint-ignore no-explicit-any
const globals = globalThis as any;

/** This process's world, built once per process however many copies of the module are loaded. */
export const world: World = await (globals[WORLD_KEY] ??= createWorld());
