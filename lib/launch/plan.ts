/**
 * Rank placement: which host each rank runs on, and its index among the ranks of that host. Pure: no I/O.
 *
 * @module
 */

import type { HostSlots } from "./hostfile.ts";
import { type MapBy, UsageError } from "./options.ts";

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
  const { hosts, mapBy } = request;
  if (hosts.length === 0) throw new UsageError("No hosts to run on");
  const total = hosts.reduce((sum, host) => sum + host.slots, 0);
  const np = request.np ?? total;
  if (np > total && !request.oversubscribe) {
    throw new UsageError(
      `-n: ${np} ranks do not fit the ${total} slots of ${request.where ?? "the hosts"}; ` +
        `${request.where === undefined ? "add slots or " : "add "}--oversubscribe`,
    );
  }
  const order: number[] = [];
  if (mapBy === "slot") {
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
  const hostOf = (rank: number) => rank < total ? order[rank] : (rank - total) % hosts.length;
  const localSizes = hosts.map(() => 0);
  const localRanks: number[] = [];
  for (let rank = 0; rank < np; rank++) localRanks.push(localSizes[hostOf(rank)]++);
  return localRanks.map((localRank, rank) => ({
    rank,
    host: hosts[hostOf(rank)].host,
    localRank,
    localSize: localSizes[hostOf(rank)],
  }));
}

/** Names under which this machine is reached without a network hop. */
export function isLocalHost(host: string, ownHostname: string): boolean {
  const name = host.toLowerCase();
  const own = ownHostname.toLowerCase();
  return name === "localhost" || name === "127.0.0.1" || name === "::1" || name === own ||
    name === own.split(".")[0] || own === name.split(".")[0];
}
