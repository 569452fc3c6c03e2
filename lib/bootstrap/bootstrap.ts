/**
 * How a rank learns who it is and where the others are. Three ways: from the launcher's environment
 * (`launcher.ts`), from Slurm's under direct `srun` (`slurm.ts`), or alone (`singleton.ts`).
 *
 * @module
 */

import type { Connection } from "../transport/connection.ts";
import type { SocketHandle } from "../runtime/runtime.ts";
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
