/**
 * The rank side of the rendezvous with mpirun-deno's coordinator: read the environment the launcher set,
 * connect to the coordinator, prove the job token, say where this rank listens, and wait for the world.
 *
 * @module
 */

import { EnvName, readEnv, readHostnameOverride, readIntEnv, writeEnv } from "../env.ts";
import { interfaceIPv4, pid } from "../runtime/host.ts";
import { dieWithParent } from "../runtime/parent_death.ts";
import { connect } from "../transport/sockets.ts";
import { listenForPeers } from "../transport/endpoints.ts";
import type { SocketHandle } from "../runtime/runtime.ts";
import { Connection } from "../transport/connection.ts";
import { connectHandshake, COORDINATOR_ID, dialUntilProven, parseToken } from "../transport/handshake.ts";
import type { FrameHeader } from "../wire/frame.ts";
import { FrameKind } from "../wire/frame.ts";
import type { Bootstrap, Identity, Rendezvous } from "./bootstrap.ts";
import { type ControlMessage, decodeControl, type PeerAddress, sendControl } from "./protocol.ts";

/** Is this process a rank started by mpirun-deno (the launcher's variables are set)? */
export function launchedByLauncher(): boolean {
  return readEnv(EnvName.COORDINATOR) !== undefined;
}

/** The IPv4 address of interface `name` on this host (`MPIRUN_DENO_BIND_INTERFACE`); throws if it has none. */
function interfaceAddress(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const address = interfaceIPv4(name);
  if (address === undefined) {
    throw new Error(`${EnvName.BIND_INTERFACE}=${name}: no such interface with an IPv4 address here`);
  }
  return address;
}

/** Splits `host:port` (IPv6 hosts in brackets). */
export function parseEndpoint(text: string, what: string): { host: string; port: number } {
  const match = /^\[?([^\]]*)\]?:(\d+)$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || !match[1] || port < 1 || port > 65535) {
    throw new Error(`${what} ${JSON.stringify(text)} is not host:port`);
  }
  return { host: match[1], port };
}

/**
 * Bootstrap from the launcher's environment.
 *
 * @example
 * ```ts ignore
 * const boot = new LauncherBootstrap("myhost");
 * const { peers, control } = await boot.rendezvous((socket) => mesh.accept(socket));
 * ```
 */
export class LauncherBootstrap implements Bootstrap {
  readonly kind = "launcher";
  readonly identity: Identity;
  #coordinator: { host: string; port: number };
  #bindAddress: string | undefined;
  /** Control messages that arrive after the world (report requests); set by whoever owns the job. */
  onControl: (message: ControlMessage) => void = () => {};
  /** Called when the launcher's connection closes after the rendezvous. */
  onLauncherLost: (why: string) => void = () => {};

  constructor(hostname: string) {
    const size = readIntEnv(EnvName.SIZE, 1, 2 ** 31 - 1);
    // One `srun` step runs every rank of a job the launcher starts inside an allocation: Slurm numbers them.
    const rank = readIntEnv(EnvName.RANK, 0, 2 ** 31 - 1) ?? readIntEnv("SLURM_PROCID", 0, 2 ** 31 - 1);
    const token = readEnv(EnvName.TOKEN);
    if (size === undefined || rank === undefined || token === undefined) {
      throw new Error(
        `${EnvName.COORDINATOR} is set but ${EnvName.RANK}, ${EnvName.SIZE} or ${EnvName.TOKEN} is not`,
      );
    }
    if (rank >= size) throw new Error(`${EnvName.RANK}=${rank} is not below ${EnvName.SIZE}=${size}`);
    // First, before anything can block: a rank computing when its launcher is killed must not outlive it.
    const parent = readIntEnv(EnvName.PARENT_PID, 1, 2 ** 31 - 1);
    if (parent !== undefined) dieWithParent(parent);
    this.#coordinator = parseEndpoint(readEnv(EnvName.COORDINATOR)!, EnvName.COORDINATOR);
    this.#bindAddress = readEnv(EnvName.BIND_ADDRESS) ?? interfaceAddress(readEnv(EnvName.BIND_INTERFACE));
    writeEnv(EnvName.RANK, String(rank));
    this.identity = {
      rank,
      size,
      token: parseToken(token),
      jobId: readEnv(EnvName.JOB_ID) ?? "job",
      hostname: readHostnameOverride(rank) ?? hostname,
    };
  }

  async rendezvous(accept: (socket: SocketHandle) => void): Promise<Rendezvous> {
    const { rank, token, hostname } = this.identity;
    // No deadline on the launcher, which started this process and watches it: a loaded machine slows its
    // answer, and a launcher that is gone closes the connection or refuses the dial (see dialUntilProven).
    const { host: coordinatorHost, port: coordinatorPort } = this.#coordinator;
    const control = await dialUntilProven(
      async () => new Connection(await connect(coordinatorHost, coordinatorPort)),
      (connection) => connectHandshake(connection, token, rank, COORDINATOR_ID, false),
    );
    const socket = control.socket;
    // Listen on the address this host used to reach the coordinator: the other hosts can reach it too.
    const host = this.#bindAddress ?? socket.localAddress;
    const listening = await listenForPeers(host, accept);
    const world = new Promise<PeerAddress[]>((resolve, reject) => {
      let settled = false;
      control.startFrames({
        onFrame: (header: FrameHeader, payload: Uint8Array) => {
          if (header.kind !== FrameKind.CONTROL) return;
          const message = decodeControl(payload);
          if (message.t === "world" && !settled) {
            settled = true;
            resolve(message.peers);
          } else {
            this.onControl(message);
          }
        },
        onClose: (error) => {
          const why = error ? error.message : "the launcher closed its connection";
          if (!settled) {
            settled = true;
            reject(new Error(`lost the launcher before the job started: ${why}`));
          } else {
            this.onLauncherLost(why);
          }
        },
      });
    });
    sendControl(control, {
      t: "hello",
      rank,
      host: listening.host,
      port: listening.port,
      hostname,
      pid,
      ...(listening.path ? { path: listening.path } : {}),
    });
    const peers = await world;
    if (peers.length !== this.identity.size) {
      throw new Error(`the launcher sent ${peers.length} addresses for a world of ${this.identity.size}`);
    }
    socket.unref();
    return { peers, control };
  }
}
