/**
 * Rank placement: which host each rank runs on, and its index among the ranks of that host. Pure: no I/O.
 *
 * @module
 */

import type { HostSlots } from "./hostfile.ts";
import { type MapBy, type RankBy, UsageError } from "./options.ts";

/** Where one rank runs. */
export interface RankPlacement {
  rank: number;
  host: string;
  /** Index of this rank among the ranks on its host. */
  localRank: number;
  /** How many ranks run on its host. */
  localSize: number;
}

/** What {@linkcode placeRanks} needs. */
export interface PlacementRequest {
  /** Ranks to place; `undefined` takes one per slot. */
  np: number | undefined;
  hosts: readonly HostSlots[];
  mapBy: MapBy;
  /** Ranks per host, in place of the hosts' slots (`-N`, `--map-by ppr:N:node`). */
  perNode?: number;
  /** How ranks are numbered once placed; by default in placement order. */
  rankBy?: RankBy;
  /** Allow more ranks than slots (the hosts are then filled again in the same order). */
  oversubscribe: boolean;
  /** Whose slots, for the error: `the hosts` by default. */
  where?: string;
}

/**
 * Places ranks on hosts. `slot` fills each host's slots before the next host; `node` deals ranks round-robin
 * over the hosts that still have a free slot. Past the total of slots (only with `oversubscribe`) both go on
 * round-robin over every host.
 *
 * @example
 * ```ts
 * import { placeRanks } from "./plan.ts";
 * const ranks = placeRanks({ np: 3, hosts: [{ host: "a", slots: 2 }, { host: "b", slots: 2 }], mapBy: "slot", oversubscribe: false });
 * console.log(ranks.map((r) => r.host)); // ["a", "a", "b"]
 * ```
 */
export function placeRanks(request: PlacementRequest): RankPlacement[] {
  const { mapBy, perNode } = request;
  const hosts = perNode === undefined
    ? request.hosts
    : request.hosts.map((host) => ({ host: host.host, slots: perNode }));
  if (hosts.length === 0) throw new UsageError("No hosts to run on");
  const total = hosts.reduce((sum, host) => sum + host.slots, 0);
  const np = request.np ?? total;
  if (np > total && !request.oversubscribe) {
    const slots = perNode === undefined
      ? `the ${total} slots of ${request.where ?? "the hosts"}`
      : `${perNode} per host on ${hosts.length} host${hosts.length === 1 ? "" : "s"} (${total})`;
    throw new UsageError(
      `-n: ${np} ranks do not fit ${slots}; ` +
        `${request.where === undefined && perNode === undefined ? "add slots or " : "add "}--oversubscribe`,
    );
  }
  const order: number[] = [];
  if (mapBy !== "node") {
    hosts.forEach((host, index) => {
      for (let slot = 0; slot < host.slots; slot++) order.push(index);
    });
  } else {
    const used = hosts.map(() => 0);
    while (order.length < total) {
      hosts.forEach((host, index) => {
        if (used[index] < host.slots) {
          used[index]++;
          order.push(index);
        }
      });
    }
  }
  // The host of each process in placement order; past the slots, round-robin over every host.
  const placed = Array.from(
    { length: np },
    (_, index) => index < total ? order[index] : (index - total) % hosts.length,
  );
  const hostOf = numberRanks(placed, hosts.length, request.rankBy);
  const localSizes = hosts.map(() => 0);
  const localRanks: number[] = [];
  for (let rank = 0; rank < np; rank++) localRanks.push(localSizes[hostOf[rank]]++);
  return localRanks.map((localRank, rank) => ({
    rank,
    host: hosts[hostOf[rank]].host,
    localRank,
    localSize: localSizes[hostOf[rank]],
  }));
}

/**
 * The host of each rank, from the host of each process in placement order: with `slot`, the processes of
 * each host take consecutive ranks, host by host; with `node`, ranks go round-robin over the hosts.
 */
function numberRanks(placed: readonly number[], hostCount: number, rankBy: RankBy | undefined): number[] {
  if (rankBy === undefined) return [...placed];
  const counts = Array.from({ length: hostCount }, (_, host) => placed.filter((h) => h === host).length);
  if (rankBy === "slot") return counts.flatMap((count, host) => new Array(count).fill(host));
  const out: number[] = [];
  const left = [...counts];
  while (out.length < placed.length) {
    for (let host = 0; host < hostCount; host++) {
      if (left[host] > 0) {
        left[host]--;
        out.push(host);
      }
    }
  }
  return out;
}

/** Names under which this machine is reached without a network hop. */
export function isLocalHost(host: string, ownHostname: string): boolean {
  const name = host.toLowerCase();
  const own = ownHostname.toLowerCase();
  return name === "localhost" || name === "127.0.0.1" || name === "::1" || name === own ||
    name === own.split(".")[0] || own === name.split(".")[0];
}
