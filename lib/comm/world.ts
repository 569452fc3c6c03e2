/**
 * Builds this process's world at import: bootstrap (launcher, Slurm or singleton), the mesh of connections,
 * the point-to-point engine, and `COMM_WORLD`/`COMM_SELF`. Two copies of the module (imported from two URLs)
 * share one world through a global key.
 *
 * @module
 */

import { type Bootstrap, localPlacement } from "../bootstrap/bootstrap.ts";
import { launchedByLauncher, LauncherBootstrap } from "../bootstrap/launcher.ts";
import { type PeerAddress, sendControl } from "../bootstrap/protocol.ts";
import { SingletonBootstrap } from "../bootstrap/singleton.ts";
import { launchedBySlurm, SlurmBootstrap } from "../bootstrap/slurm.ts";
import { setErrorPrefix } from "../errors.ts";
import { Engine } from "../p2p/engine.ts";
import { defaultPollMicros, Progress } from "../transport/progress.ts";
import { peerReactor } from "../transport/sockets.ts";
import { CrossMemory } from "../transport/cross_memory.ts";
import { cpuCount, exitProcess, hostname, onBeforeExit, onExit, pid, writeStderr } from "../runtime/host.ts";
import { loadLibc } from "../runtime/libc.ts";
import { EnvName, readEnv, readIntEnv, readTransport, writeEnv } from "../env.ts";
import type { Connection } from "../transport/connection.ts";
import { Mesh } from "../transport/mesh.ts";
import { HostSharedMemory } from "../transport/shared_memory.ts";
import { Activities } from "./activity.ts";
import { Comm, type Job } from "./comm.ts";
import { ContextIds } from "./context.ts";

/** Context ids of the predefined communicators; new communicators take ids from `FIRST_FREE_CONTEXT` on. */
export const WORLD_CONTEXTS = { p2p: 0, collective: 1 } as const;
/** See {@linkcode WORLD_CONTEXTS}. */
export const SELF_CONTEXTS = { p2p: 2, collective: 3 } as const;
/** The first context id that `Dup`/`Split`/`Create` may hand out. */
export const FIRST_FREE_CONTEXT = 4;

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
}

/**
 * How long a rank that asked its launcher to end the job waits to be ended before it exits by itself: longer
 * than the launcher waits for the cause of a lost peer (`CONSEQUENCE_WAIT_MS` in lib/launch/supervise.ts).
 */
const ABORT_WAIT_MS = 1500;

/** Whoever reports a failure of this rank to the launcher (abort or uncaught error). */
let control: Connection | undefined;

/**
 * Ends the job from this rank: tells the launcher (when there is one) and exits with `code`. Used by
 * `Abort` and by the rank entry point for uncaught errors.
 */
export function abortJob(rank: number, code: number, reason: string): Promise<never> {
  return new Promise<never>(() => {
    const exit = () => exitProcess(code);
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
  // The mesh and the engine refer to each other; the mesh's callbacks run only after both exist.
  // deno-lint-ignore prefer-const
  let engine: Engine;
  const progress = new Progress();
  const mesh = new Mesh({
    rank,
    size,
    token,
    onFrame: (peer, header, payload) => engine.onFrame(peer, header, payload),
    onPeerLost: (peer, why, unreachable) => engine.onPeerLost(peer, why, unreachable),
    payloadTarget: (peer, header) => engine.payloadTarget(peer, header),
    log: (message) => writeStderr(`mpirun-deno: rank ${rank}: ${message}\n`),
  });
  engine = new Engine(rank, size, mesh, progress, peerReactor && new CrossMemory(peerReactor.libc));
  const activities = new Activities();
  if (boot instanceof LauncherBootstrap) {
    boot.onControl = (message) => {
      if (message.t === "report" && control) {
        sendControl(control, { t: "blocked", rank, lines: activities.report(Date.now()) });
      }
    };
    boot.onLauncherLost = (why) => {
      // Our stderr was a pipe to the launcher: it may be gone with it (EPIPE). Exit all the same.
      writeStderr(`mpirun-deno: rank ${rank}: the launcher is gone (${why}); exiting\n`);
      exitProcess(1);
    };
  }
  // When the script is done, close the connections this rank dialled gracefully before the process exits, so
  // that no byte a peer still needs is lost (the wait is bounded: a peer that never closes cannot hold us).
  let shuttingDown = false;
  onBeforeExit(() => {
    if (shuttingDown) return;
    shuttingDown = true;
    const timer = setTimeout(() => {}, SHUTDOWN_WAIT_MS);
    mesh.shutdown().then(() => clearTimeout(timer));
  });
  // A script that exits on its own (`process.exit`, `Deno.exit`) skips that: write what the kernel has not
  // taken yet while the process still can, and say what could not go out rather than lose it silently.
  onExit(() => {
    if (shuttingDown) return;
    mesh.farewell();
    peerReactor?.drain(EXIT_DRAIN_MS);
    for (const { peer, frames, bytes } of mesh.unsent()) {
      const what = frames > 0 ? `${frames} messages (${bytes} bytes)` : `${bytes} bytes`;
      writeStderr(
        `mpirun-deno: rank ${rank}: exiting with ${what} to rank ${peer} not sent: they are lost ` +
          `(wait for every send to complete before exiting)\n`,
      );
    }
  });
  const rendezvous = await boot.rendezvous((socket) => mesh.accept(socket));
  control = rendezvous.control;
  mesh.setPeers(rendezvous.peers);
  const hostnames = rendezvous.peers.map((peer) => peer.hostname);
  const { localRank, localSize } = localPlacement(rendezvous.peers, rank);
  const job: Job = {
    engine,
    activities,
    abort: (code, reason) => abortJob(rank, code, reason),
    hostnames,
    contextIds: new ContextIds(FIRST_FREE_CONTEXT),
    shared: sharedMemory(localSize),
  };
  const members = Array.from({ length: size }, (_, i) => i);
  if (peerReactor) progress.attach(peerReactor, localSize > cpuCount());
  progress.pollMicros = readIntEnv(EnvName.POLL_US, 0, 10_000_000) ??
    defaultPollMicros(localSize, peerReactor !== undefined);
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
  };
}

/**
 * Host-shared memory for collectives, unless `MPIRUN_DENO_TRANSPORT` turns it off (`socket`, `tcp`) or the
 * C library cannot be bound (then `shm` is an error: it asks for shared memory).
 */
function sharedMemory(localSize: number): HostSharedMemory | undefined {
  const transport = readTransport();
  if (transport === "socket" || transport === "tcp") return undefined;
  const libc = peerReactor?.libc ?? loadLibc();
  if (!libc) {
    if (transport === "shm") {
      throw new Error(
        `${EnvName.TRANSPORT}=shm asks for shared memory, but the C library cannot be bound here ` +
          `(Deno needs --allow-ffi; only Linux with glibc is supported)`,
      );
    }
    return undefined;
  }
  return new HostSharedMemory(libc, pid, localSize > cpuCount());
}

/** How long a finished rank waits for its connections to close gracefully before it exits anyway. */
const SHUTDOWN_WAIT_MS = 5000;

/** How long a rank that exits by itself blocks to hand its queued bytes to the kernel. */
const EXIT_DRAIN_MS = 2000;

const WORLD_KEY = Symbol.for("mpirun-deno.world.v1");
// deno-lint-ignore no-explicit-any
const globals = globalThis as any;

/** This process's world, built once per process however many copies of the module are loaded. */
export const world: World = await (globals[WORLD_KEY] ??= createWorld());
