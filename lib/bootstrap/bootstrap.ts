/**
 * How a rank learns who it is and where the others are. Three ways: from the launcher's environment
 * (`launcher.ts`), from Slurm's under direct `srun` (`slurm.ts`), or alone (`singleton.ts`).
 *
 * @module
 */

import { readTransport } from "../env.ts";
import {
  onExit,
  pid,
  platform,
  randomBytes,
  removeFileQuietly,
  tempDirectory,
  toHex,
} from "../runtime/host.ts";
import type { Connection } from "../transport/connection.ts";
import type { SocketHandle } from "../runtime/runtime.ts";
import { listenUnix } from "../transport/sockets.ts";
import type { PeerAddress } from "./protocol.ts";

/** What a rank knows about itself before the rendezvous. */
export interface Identity {
  rank: number;
  size: number;
  /** The secret every connection of the job proves. */
  token: Uint8Array;
  /** For messages. */
  jobId: string;
  /** The host name this rank reports. */
  hostname: string;
}

/** What the rendezvous gives. */
export interface Rendezvous {
  /** Every rank's address and host name, indexed by rank. */
  peers: PeerAddress[];
  /** The connection to the launcher, when there is one: it carries abort and report messages. */
  control: Connection | undefined;
}

/** One way to bootstrap. */
export interface Bootstrap {
  /** Which way, for messages: "launcher", "slurm" or "singleton". */
  readonly kind: string;
  readonly identity: Identity;
  /**
   * Listens for peers (handing every accepted socket to `accept`, from the start, so that no early dial is
   * lost), meets the others, and returns the world's addresses.
   */
  rendezvous(accept: (socket: SocketHandle) => void): Promise<Rendezvous>;
}

/** Ranks on the same host as `rank`: its index among them and their count (the host name decides). */
export function localPlacement(
  peers: readonly PeerAddress[],
  rank: number,
): { localRank: number; localSize: number } {
  const host = peers[rank].hostname;
  let localRank = 0;
  let localSize = 0;
  for (let i = 0; i < peers.length; i++) {
    if (peers[i].hostname !== host) continue;
    if (i < rank) localRank++;
    localSize++;
  }
  return { localRank, localSize };
}

/** Longest Unix socket path every platform accepts (Linux allows 107 bytes, macOS 103). */
const MAX_UNIX_PATH = 100;

/**
 * Listens on a fresh Unix domain socket too, for the ranks on this host (see `Mesh`). On Linux it is an
 * abstract socket (no file: the kernel drops it with the process, however the process ends); elsewhere a file
 * in the temporary directory, removed when the process exits. Returns its path, or `undefined` when
 * `MPIRUN_DENO_TRANSPORT=tcp` asks for TCP only or the socket cannot be made (the peers then use TCP).
 */
export async function listenLocal(accept: (socket: SocketHandle) => void): Promise<string | undefined> {
  if (readTransport() === "tcp" || platform === "win32") return undefined;
  const name = `mpirun-deno-${pid}-${toHex(randomBytes(6))}`;
  const abstract = platform === "linux";
  const file = abstract ? `\0${name}` : `${tempDirectory().replace(/\/$/, "")}/${name}.sock`;
  if (file.length > MAX_UNIX_PATH) return undefined;
  try {
    const listener = await listenUnix(file, accept);
    listener.unref();
  } catch {
    return undefined;
  }
  if (!abstract) {
    onExit(() => removeFileQuietly(file));
  }
  return file;
}
