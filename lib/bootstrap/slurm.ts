/**
 * Direct launch by Slurm (`srun -n 4 deno run -A script.ts`, or `srun -n 4 mpirun-deno script.ts`): no
 * launcher of ours. Rank and size come from Slurm's environment; rank 0 serves the rendezvous on a port every
 * task derives from the job and step ids, on the first node of the step; the job token is derived from the same
 * ids, so the ranks of another job or step cannot join.
 *
 * Nothing waits forever: the other ranks give up reaching rank 0 after `CONNECT_TIMEOUT_MS`, and rank 0 ends
 * the step, naming the ranks missing, when they have not said hello by then. Under `srun mpirun-deno`, a rank
 * that dies before it joins is not waited for even that long: the `mpirun-deno` task that started it stands
 * in for it ({@linkcode SlurmBootstrap.standIn}) and ends the step at once, with the rank's code.
 *
 * @module
 */

import { EnvName, readEnv, readHostnameOverride, readIntEnv } from "../env.ts";
import { exitProcess, pid, writeStderr } from "../runtime/host.ts";
import { connect, isUnresolvedName, listen } from "../transport/sockets.ts";
import { listenForPeers } from "../transport/endpoints.ts";
import type { ListenerHandle, SocketHandle } from "../runtime/runtime.ts";
import { Connection } from "../transport/connection.ts";
import { acceptHandshake, connectHandshake, COORDINATOR_ID } from "../transport/handshake.ts";
import { RefusalLog } from "../transport/refusals.ts";
import { FrameKind } from "../wire/frame.ts";
import { CONNECT_TIMEOUT_MS } from "../wire/limits.ts";
import type { Bootstrap, Identity, Rendezvous } from "./bootstrap.ts";
import { expandHostlist } from "./hostlist.ts";
import { reportJoinStage } from "./join_progress.ts";
import { type AbortMessage, decodeControl, type PeerAddress, sendControl } from "./protocol.ts";
import { StepAbort } from "./step_abort.ts";

/** Slurm's variables this bootstrap reads. */
export const SlurmEnv = {
  PROCID: "SLURM_PROCID",
  STEP_NUM_TASKS: "SLURM_STEP_NUM_TASKS",
  NTASKS: "SLURM_NTASKS",
  STEP_NODELIST: "SLURM_STEP_NODELIST",
  JOB_ID: "SLURM_JOB_ID",
  STEP_ID: "SLURM_STEP_ID",
  NODENAME: "SLURMD_NODENAME",
  CLUSTER_NAME: "SLURM_CLUSTER_NAME",
} as const;

/** Ports tried, from the derived base on, when the base is taken on rank 0's node. */
const PORT_CANDIDATES = 8;
/** Derived ports fall in [PORT_BASE, PORT_BASE + PORT_SPAN). */
const PORT_BASE = 30000;
const PORT_SPAN = 20000;

/**
 * How long a stand-in for a rank that died before joining tries to reach rank 0 at least (rank 0 itself may
 * have died, and its own stand-in be starting), and waits for the other ranks at least as rank 0's.
 */
const STAND_IN_MIN_MS = 5000;

/** What a {@linkcode SlurmBootstrap} does when its step ends by an abort. */
export interface StepEnd {
  /** Ends this process with the step's code (default: at once). */
  exit(code: number): void;
  /** This rank has learnt that the step ends, and why (default: tells the task that started it, if any). */
  decided(message: AbortMessage): void;
}

/** How a rank ended before it joined its step, for {@linkcode SlurmBootstrap.standIn}. */
export interface EarlyFailure {
  /** The code the step should end with (128 + N for signal N). */
  code: number;
  /** What happened, in words: `was killed by signal SIGKILL before joining the job`. */
  what: string;
  /** The rank's process id, when it ran at all. */
  pid?: number;
  /** When the rank was started (`Date.now()`). */
  since: number;
  /** Had it reached rank 0's rendezvous (stage `reached` of `join_progress.ts`)? */
  reached: boolean;
}

/** `rank 2`, `ranks 2, 5`, `ranks 1, 2, 3, 4, 5, 6, 7, 8 and 12 more`. */
function listRanks(ranks: readonly number[]): string {
  const shown = ranks.slice(0, 8).join(", ");
  const more = ranks.length > 8 ? ` and ${ranks.length - 8} more` : "";
  return `${ranks.length === 1 ? "rank" : "ranks"} ${shown}${more}`;
}

/** Is this process a task of a Slurm step (and not a rank that mpirun-deno started)? */
export function launchedBySlurm(): boolean {
  return readEnv(SlurmEnv.PROCID) !== undefined && readEnv(SlurmEnv.STEP_ID) !== undefined &&
    readEnv(SlurmEnv.STEP_NODELIST) !== undefined && readEnv(EnvName.COORDINATOR) === undefined;
}

/** The rendezvous port base and the token of a job step: the same on every task, different between steps. */
export async function deriveStepSecrets(
  cluster: string,
  jobId: string,
  stepId: string,
): Promise<StepSecrets> {
  const text = new TextEncoder().encode(`mpirun-deno slurm ${cluster} ${jobId}.${stepId}`);
  const token = new Uint8Array(await crypto.subtle.digest("SHA-256", text));
  return { port: PORT_BASE + (new DataView(token.buffer).getUint32(0, true) % PORT_SPAN), token };
}

/** The rendezvous port base and the job token that every task of one Slurm step derives alike. */
export interface StepSecrets {
  port: number;
  token: Uint8Array;
}

/**
 * Bootstrap from Slurm's environment.
 *
 * @example
 * ```ts ignore
 * if (launchedBySlurm()) boot = await SlurmBootstrap.create(hostname());
 * ```
 */
export class SlurmBootstrap implements Bootstrap {
  readonly kind = "slurm";
  readonly identity: Identity;
  /** Ends the whole step from this rank (`Abort`, an uncaught error): see `step_abort.ts`. */
  readonly stepAbort: StepAbort;
  #firstNode: string;
  #port: number;

  #server: ListenerHandle | undefined;

  /** Reads Slurm's environment and derives the step's secrets. */
  static async create(hostname: string, end: Partial<StepEnd> = {}): Promise<SlurmBootstrap> {
    const secrets = await deriveStepSecrets(
      readEnv(SlurmEnv.CLUSTER_NAME) ?? "",
      readEnv(SlurmEnv.JOB_ID) ?? "0",
      readEnv(SlurmEnv.STEP_ID)!,
    );
    return new SlurmBootstrap(hostname, secrets, end);
  }

  /**
   * Ends the step in the place of this task's rank, which ended before it joined the step (see
   * `launch/direct.ts`; `MPIRUN_DENO_JOIN_FILE` told how far it got): the other ranks would wait for it. As
   * rank 0, it serves the rendezvous and answers every rank with the abort; as another rank, it reaches rank
   * 0 (the same token, ports and handshake as the rank) and asks it to abort. Writes the reason to stderr.
   * Resolves with the code this task should exit with: the step's (the first abort's), or `failure.code`
   * where rank 0 could not be reached.
   *
   * @example
   * ```ts ignore
   * const code = await SlurmBootstrap.standIn(hostname(), {
   *   code: 137, what: "was killed by signal SIGKILL before joining the job", pid: 4242, since: started, reached: false,
   * });
   * ```
   */
  static async standIn(hostname: string, failure: EarlyFailure): Promise<number> {
    let ended!: (code: number) => void;
    const end = new Promise<number>((resolve) => ended = resolve);
    let reason = "";
    let told = false;
    const tell = (why = "ending the step") => {
      if (told) return;
      told = true;
      writeStderr(`mpirun-deno: ${reason}; ${why}\n`);
    };
    const boot = await SlurmBootstrap.create(hostname, {
      exit: ended,
      // Said once the step ends for this reason: when another rank's abort came first, that one is the
      // step's, and the rank failed only because of it (rank 0 vanished before the world was known).
      decided: (message) => {
        if (message.reason === reason) tell();
      },
    });
    const { rank, size } = boot.identity;
    reason = `rank ${rank} (host ${boot.identity.hostname}, pid ${failure.pid ?? pid}) ${failure.what}`;
    if (size === 1) {
      tell("the step has no other rank");
      return failure.code;
    }
    // Nobody comes after rank 0's ranks have given up reaching it; a rank that had reached rank 0 finds it at
    // once, unless rank 0 is gone (only its own stand-in, starting, may then come).
    const deadline = Math.max(
      Date.now() + STAND_IN_MIN_MS,
      failure.reached ? 0 : failure.since + CONNECT_TIMEOUT_MS,
    );
    if (rank === 0) {
      boot.#serve(undefined, deadline).catch((error) => {
        tell(`cannot tell the other ranks: ${(error as Error).message}`);
        ended(failure.code);
      });
      boot.stepAbort.abort(failure.code, reason); // decided: each rank is told as it comes
    } else {
      let connection: Connection;
      try {
        ({ connection } = await boot.#reachRankZero(deadline));
      } catch (error) {
        tell(`cannot tell the other ranks: ${(error as Error).message}`);
        return failure.code;
      }
      boot.stepAbort.attach(connection);
      connection.startFrames({
        onFrame: (header, payload) => {
          if (header.kind !== FrameKind.CONTROL) return;
          const message = decodeControl(payload);
          if (message.t === "abort") boot.stepAbort.received(message, connection);
        },
        onClose: () => boot.stepAbort.detach(connection),
      });
      boot.stepAbort.abort(failure.code, reason);
    }
    const code = await end;
    if (!boot.stepAbort.decided) tell("rank 0 did not answer");
    boot.#server?.close();
    return code;
  }

  constructor(hostname: string, { port, token }: StepSecrets, end: Partial<StepEnd> = {}) {
    const size = readIntEnv(SlurmEnv.STEP_NUM_TASKS, 1, 2 ** 31 - 1) ??
      readIntEnv(SlurmEnv.NTASKS, 1, 2 ** 31 - 1);
    const rank = readIntEnv(SlurmEnv.PROCID, 0, 2 ** 31 - 1)!;
    if (size === undefined) {
      throw new Error(
        `${SlurmEnv.PROCID} is set but neither ${SlurmEnv.STEP_NUM_TASKS} nor ${SlurmEnv.NTASKS}`,
      );
    }
    if (rank >= size) throw new Error(`${SlurmEnv.PROCID}=${rank} is not below the step's ${size} tasks`);
    const jobId = readEnv(SlurmEnv.JOB_ID) ?? "0";
    const stepId = readEnv(SlurmEnv.STEP_ID)!;
    const nodes = expandHostlist(readEnv(SlurmEnv.STEP_NODELIST)!);
    if (nodes.length === 0) throw new Error(`${SlurmEnv.STEP_NODELIST} names no node`);
    // Slurm places task 0 on the first node of the step; an override helps where neither its name resolves
    // nor Slurm knows its address.
    this.#firstNode = readEnv(EnvName.RENDEZVOUS_HOST) ?? nodes[0];
    this.#port = port;
    this.identity = {
      rank,
      size,
      token,
      jobId: `slurm-${jobId}.${stepId}`,
      hostname: readHostnameOverride(rank) ?? readEnv(SlurmEnv.NODENAME) ?? hostname,
    };
    this.stepAbort = new StepAbort(
      rank,
      end.exit ?? exitProcess,
      // Once the step's end is decided, the task that started this rank need not stand in for it.
      end.decided ?? (() => reportJoinStage("joined")),
    );
  }

  async rendezvous(accept: (socket: SocketHandle) => void): Promise<Rendezvous> {
    const listening = await listenForPeers(readEnv(EnvName.BIND_ADDRESS) ?? "0.0.0.0", accept);
    const local = listening.path ? { path: listening.path } : {};
    const { rank, hostname } = this.identity;
    if (rank === 0) {
      const self: PeerAddress = {
        host: this.#firstNode,
        port: listening.port,
        hostname,
        pid,
        ...local,
      };
      const peers = await this.#serve(self, Date.now() + CONNECT_TIMEOUT_MS);
      reportJoinStage("joined");
      return { peers, control: undefined };
    }
    const { connection, rankZeroHost } = await this.#reachRankZero(Date.now() + CONNECT_TIMEOUT_MS);
    reportJoinStage("reached");
    const host = readEnv(EnvName.BIND_ADDRESS) ?? connection.socket.localAddress;
    const peers = await new Promise<PeerAddress[]>((resolve, reject) => {
      connection.startFrames({
        onFrame: (header, payload) => {
          if (header.kind !== FrameKind.CONTROL) return;
          const message = decodeControl(payload);
          // Rank 0 knows itself by its node's name: this rank reached it by an address that works.
          if (message.t === "world") {
            resolve([{ ...message.peers[0], host: rankZeroHost }, ...message.peers.slice(1)]);
          } else if (message.t === "abort") this.stepAbort.received(message, connection);
        },
        onClose: (error) => {
          this.stepAbort.detach(connection);
          reject(
            new Error(
              `rank 0 closed the rendezvous before the world was known${error ? `: ${error.message}` : ""}`,
            ),
          );
        },
      });
      sendControl(connection, {
        t: "hello",
        rank,
        host,
        port: listening.port,
        hostname,
        pid,
        ...local,
      });
    });
    // The connection stays: it carries an abort to or from rank 0.
    this.stepAbort.attach(connection);
    reportJoinStage("joined");
    return { peers, control: undefined };
  }

  /**
   * Rank 0: listen on the first free derived port, collect every hello, send everyone the world. Each rank
   * joins the abort channel as soon as it has proved the token, so that an abort from any of them (or from a
   * stand-in for one that died) ends the step during the rendezvous too; once the end is decided, no world
   * is completed, and rank 0 exits only after every rank has been told or `deadline` has passed (nobody
   * comes after it). A rank still missing then is one that died unseen: rank 0 aborts, naming it. `self`
   * undefined: a stand-in for a rank 0 that died, with the abort decided already; it completes no world.
   */
  async #serve(self: PeerAddress | undefined, deadline: number): Promise<PeerAddress[]> {
    const began = Date.now();
    const { size, token } = this.identity;
    const peers: PeerAddress[] = new Array(size);
    if (self) peers[0] = self;
    if (size === 1) return peers;
    const helloed: Connection[] = [];
    const reached = new Set<number>();
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => resolveAll = resolve);
    let missing = size - 1;
    let everyoneTold!: () => void;
    this.stepAbort.holdExit(new Promise<void>((resolve) => everyoneTold = resolve));
    const refusals = new RefusalLog((line) => writeStderr(`mpirun-deno: rank 0: ${line}\n`), {
      what: "rendezvous connection",
    });
    const onSocket = (socket: SocketHandle) => {
      const connection = new Connection(socket);
      acceptHandshake(connection, token, COORDINATOR_ID, (id) => id > 0 && id < size).then(
        (peer) => {
          // Told at once if the step is ending already.
          this.stepAbort.attach(connection);
          reached.add(peer);
          if (reached.size === size - 1) everyoneTold();
          connection.startFrames({
            onFrame: (header, payload) => {
              if (header.kind !== FrameKind.CONTROL) return;
              const message = decodeControl(payload);
              // From any rank that proved the token, also one that has not said hello (or its stand-in).
              if (message.t === "abort") this.stepAbort.received(message, connection);
              if (message.t !== "hello" || message.rank !== peer || peers[peer]) return;
              if (!self || this.stepAbort.decided) return; // no world for a step that is ending
              const { host, port, hostname, pid, path } = message;
              peers[peer] = { host, port, hostname, pid, ...(path ? { path } : {}) };
              helloed.push(connection);
              if (--missing === 0) resolveAll();
            },
            onClose: () => this.stepAbort.detach(connection),
          });
        },
        (error) => refusals.handshakeFailed(socket.remoteAddress, error),
      );
    };
    for (let i = 0; i < PORT_CANDIDATES && !this.#server; i++) {
      try {
        this.#server = await listen(readEnv(EnvName.BIND_ADDRESS) ?? "0.0.0.0", this.#port + i, onSocket);
      } catch (error) {
        if (i === PORT_CANDIDATES - 1) {
          throw new Error(
            `rank 0 could not listen on ports ${this.#port}..${this.#port + i}: ${(error as Error).message}`,
          );
        }
      }
    }
    const timer = setTimeout(() => {
      everyoneTold(); // whoever has not come by now will not
      if (!self || this.stepAbort.decided) return;
      const absent = Array.from({ length: size }, (_, rank) => rank).filter((rank) => !peers[rank]);
      const reason = `${listRanks(absent)} did not join the job within ${
        Math.round((Date.now() - began) / 1000)
      } s`;
      writeStderr(`mpirun-deno: rank 0: ${reason}\n`);
      this.stepAbort.abort(1, reason);
    }, Math.max(0, deadline - Date.now()));
    await all;
    clearTimeout(timer);
    everyoneTold();
    this.#server!.close();
    for (const connection of helloed) sendControl(connection, { t: "world", peers });
    return peers;
  }

  /**
   * Ranks above 0: try the derived ports on the first node (by its name where that resolves, else by the
   * address Slurm knows it by) until one proves it serves this step or `deadline` passes.
   */
  async #reachRankZero(deadline: number): Promise<{ connection: Connection; rankZeroHost: string }> {
    const began = Date.now();
    let rankZeroHost = this.#firstNode;
    let askedSlurm = false;
    let lastError: unknown;
    for (let delay = 20; Date.now() < deadline; delay = Math.min(delay * 2, 500)) {
      for (let i = 0; i < PORT_CANDIDATES; i++) {
        try {
          const connection = new Connection(await connect(rankZeroHost, this.#port + i));
          await connectHandshake(connection, this.identity.token, this.identity.rank, COORDINATOR_ID);
          return { connection, rankZeroHost };
        } catch (error) {
          lastError = error;
          if (!askedSlurm && isUnresolvedName(error)) {
            // The node's name resolves only through Slurm (NodeAddr in slurm.conf): ask it, once.
            askedSlurm = true;
            const { slurmNodeAddress } = await import("./slurm_nodes.ts");
            rankZeroHost = await slurmNodeAddress(this.#firstNode) ?? rankZeroHost;
            i--;
            continue;
          }
          if (isUnresolvedName(error)) break;
        }
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now())))
      );
    }
    throw new Error(
      `could not reach rank 0's rendezvous on ${this.#firstNode}${
        rankZeroHost === this.#firstNode ? "" : ` (${rankZeroHost})`
      }:${this.#port}..${this.#port + PORT_CANDIDATES - 1} ` +
        `within ${Math.round((deadline - began) / 1000)} s: ${(lastError as Error)?.message}`,
    );
  }
}
