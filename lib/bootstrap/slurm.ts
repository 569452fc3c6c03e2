/**
 * Direct launch by Slurm (`srun -n 4 deno run -A script.ts`, or `srun -n 4 mpirun-deno script.ts`): no
 * launcher of ours. Rank and size come from Slurm's environment; rank 0 serves the rendezvous on a port every
 * task derives from the job and step ids, on the first node of the step; the job token is derived from the same
 * ids, so the ranks of another job or step cannot join.
 *
 * @module
 */

import { EnvName, readEnv, readHostnameOverride, readIntEnv } from "../env.ts";
import { exitProcess, pid, writeStderr } from "../runtime/host.ts";
import { connect, isUnresolvedName, listen } from "../transport/sockets.ts";
import { listenForPeers } from "../transport/endpoints.ts";
import type { SocketHandle } from "../runtime/runtime.ts";
import { Connection } from "../transport/connection.ts";
import { acceptHandshake, connectHandshake, COORDINATOR_ID } from "../transport/handshake.ts";
import { RefusalLog } from "../transport/refusals.ts";
import { FrameKind } from "../wire/frame.ts";
import { CONNECT_TIMEOUT_MS } from "../wire/limits.ts";
import type { Bootstrap, Identity, Rendezvous } from "./bootstrap.ts";
import { expandHostlist } from "./hostlist.ts";
import { decodeControl, type PeerAddress, sendControl } from "./protocol.ts";
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

  /** Reads Slurm's environment and derives the step's secrets. */
  static async create(hostname: string): Promise<SlurmBootstrap> {
    const secrets = await deriveStepSecrets(
      readEnv(SlurmEnv.CLUSTER_NAME) ?? "",
      readEnv(SlurmEnv.JOB_ID) ?? "0",
      readEnv(SlurmEnv.STEP_ID)!,
    );
    return new SlurmBootstrap(hostname, secrets);
  }

  constructor(hostname: string, { port, token }: StepSecrets) {
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
    this.stepAbort = new StepAbort(rank, exitProcess);
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
      return { peers: await this.#serve(self), control: undefined };
    }
    const { connection, rankZeroHost } = await this.#reachRankZero();
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
    return { peers, control: undefined };
  }

  /** Rank 0: listen on the first free derived port, collect every hello, send everyone the world. */
  async #serve(self: PeerAddress): Promise<PeerAddress[]> {
    const { size, token } = this.identity;
    const peers: PeerAddress[] = new Array(size);
    peers[0] = self;
    if (size === 1) return peers;
    const connections: Connection[] = [];
    let resolveAll!: () => void;
    const all = new Promise<void>((resolve) => resolveAll = resolve);
    let missing = size - 1;
    const refusals = new RefusalLog((line) => writeStderr(`mpirun-deno: rank 0: ${line}\n`), {
      what: "rendezvous connection",
    });
    const onSocket = (socket: SocketHandle) => {
      const connection = new Connection(socket);
      acceptHandshake(connection, token, COORDINATOR_ID, (id) => id > 0 && id < size).then(
        (peer) => {
          connection.startFrames({
            onFrame: (header, payload) => {
              if (header.kind !== FrameKind.CONTROL) return;
              const message = decodeControl(payload);
              if (message.t === "abort" && peers[peer]) this.stepAbort.received(message, connection);
              if (message.t !== "hello" || message.rank !== peer || peers[peer]) return;
              const { host, port, hostname, pid, path } = message;
              peers[peer] = { host, port, hostname, pid, ...(path ? { path } : {}) };
              connections.push(connection);
              if (--missing === 0) resolveAll();
            },
            onClose: () => this.stepAbort.detach(connection),
          });
        },
        (error) => refusals.refused(socket.remoteAddress, error.message),
      );
    };
    let server;
    for (let i = 0; i < PORT_CANDIDATES && !server; i++) {
      try {
        server = await listen(readEnv(EnvName.BIND_ADDRESS) ?? "0.0.0.0", this.#port + i, onSocket);
      } catch (error) {
        if (i === PORT_CANDIDATES - 1) {
          throw new Error(
            `rank 0 could not listen on ports ${this.#port}..${this.#port + i}: ${(error as Error).message}`,
          );
        }
      }
    }
    await all;
    server!.close();
    for (const connection of connections) {
      // The connections stay: they carry aborts between rank 0 and the others.
      this.stepAbort.attach(connection);
      sendControl(connection, { t: "world", peers });
    }
    return peers;
  }

  /**
   * Ranks above 0: try the derived ports on the first node (by its name where that resolves, else by the
   * address Slurm knows it by) until one proves it serves this step.
   */
  async #reachRankZero(): Promise<{ connection: Connection; rankZeroHost: string }> {
    const deadline = Date.now() + CONNECT_TIMEOUT_MS;
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
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
    throw new Error(
      `could not reach rank 0's rendezvous on ${this.#firstNode}${
        rankZeroHost === this.#firstNode ? "" : ` (${rankZeroHost})`
      }:${this.#port}..${this.#port + PORT_CANDIDATES - 1} ` +
        `within ${CONNECT_TIMEOUT_MS / 1000} s: ${(lastError as Error)?.message}`,
    );
  }
}
