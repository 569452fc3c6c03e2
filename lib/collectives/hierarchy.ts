/**
 * Collectives of a communicator that spans hosts, in three steps as Open MPI's `coll/han` and MPICH's
 * node-aware collectives run them: the ranks of each host meet first (in their host's shared-memory region
 * when it has one, see `shared.ts`, else by messages among them), then one leader per host (its lowest
 * rank) runs the collective by messages with the other leaders, then each host's ranks meet again. Only one
 * message per host crosses the network per step, instead of one per rank.
 *
 * - Barrier: host barrier, leaders' dissemination barrier, host barrier.
 * - Allreduce: reduce to the leader on each host, allreduce among leaders, broadcast from the leader. Used for
 *   commutative ops, and for the others when every host's ranks are consecutive (the rank order survives).
 * - Reduce: reduce on each host to its representative (the root on the root's host, the leader on the others),
 *   then among the representatives to the root. Same condition on the op as Allreduce.
 * - Bcast (buffers and values): from the root to its host's leader, among leaders, from each leader.
 *
 * The layout (which ranks share which host) and each host's region are set up in the communicator's first
 * collective that asks for them (see `Collectives.hierarchy`).
 *
 * @module
 */

import type { TypedArray } from "../wire/buffers.ts";
import { disseminationBarrier } from "./barrier.ts";
import { treeBcast } from "./bcast.ts";
import { elementClass, setVector, sizeMismatch } from "./buffer_args.ts";
import { type Channel, SubgroupChannel } from "./channel.ts";
import { bytesOf } from "./combine.ts";
import type { Op } from "./ops.ts";
import { treeReduceVector } from "./reduce.ts";
import type { ArenaOwner, HostArena } from "./shared.ts";

/** Which ranks of a communicator share which host, and this rank's host's region. */
export interface Hierarchy {
  /** The communicator's ranks by host, each in rank order; hosts ordered by their lowest rank. */
  groups: number[][];
  /** The index of this rank's host in {@linkcode groups}. */
  group: number;
  /** The lowest rank of each host: its leader. */
  leaders: number[];
  /** This host's shared-memory region, when its ranks could all map one. */
  arena: HostArena | undefined;
  /** Is every host's set of ranks a run of consecutive ranks (so that host-then-leader keeps rank order)? */
  consecutive: boolean;
}

/**
 * The communicator's ranks grouped by host (`hosts[rank]`), or `undefined` when grouping gains nothing: one
 * host, or one rank per host.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hostGroups } from "./hierarchy.ts";
 * assert.deepEqual(hostGroups(["a", "b", "a", "b"]), [[0, 2], [1, 3]]);
 * assert.equal(hostGroups(["a", "b", "c"]), undefined);
 * ```
 */
export function hostGroups(hosts: readonly string[]): number[][] | undefined {
  const byHost = new Map<string, number[]>();
  hosts.forEach((host, rank) => {
    const group = byHost.get(host);
    if (group) group.push(rank);
    else byHost.set(host, [rank]);
  });
  const groups = [...byHost.values()];
  if (groups.length < 2 || groups.every((group) => group.length === 1)) return undefined;
  return groups;
}

/** Is every group a run of consecutive ranks? */
export function consecutiveGroups(groups: readonly number[][]): boolean {
  return groups.every((group) => group.every((rank, i) => i === 0 || rank === group[i - 1] + 1));
}

/** The channel of this call among `ranks` of the communicator (this rank among them). */
function among(channel: Channel, ranks: readonly number[]): Channel {
  return new SubgroupChannel(channel.host, ranks, channel.where, channel.tag, channel.raw);
}

/** What a host's region needs to know of the host's channel. */
function owner(group: Channel, whole: Channel): ArenaOwner {
  return {
    rank: group.rank,
    size: group.size,
    where: whole.where,
    raw: whole.raw,
    // Any of this host's ranks gone ends a wait among them; a rank of another host only if it failed (one that
    // ended normally may have done its part already, and a leader that needed it fails, ending the wait).
    lostMember: () => group.lostMember() ?? whole.failedMember(),
  };
}

/** A barrier among the ranks of this host. */
async function hostBarrier(group: Channel, whole: Channel, hierarchy: Hierarchy): Promise<void> {
  if (group.size === 1) return;
  if (hierarchy.arena) await hierarchy.arena.barrier(owner(group, whole));
  else await disseminationBarrier(group);
}

/** Barrier: this host's ranks, then the leaders, then this host's ranks again. */
export async function hierarchicalBarrier(channel: Channel, hierarchy: Hierarchy): Promise<void> {
  const group = among(channel, hierarchy.groups[hierarchy.group]);
  await hostBarrier(group, channel, hierarchy);
  if (group.rank === 0) await disseminationBarrier(among(channel, hierarchy.leaders));
  await hostBarrier(group, channel, hierarchy);
}

/** A broadcast among this host's ranks from its rank `root` (`bytes` undefined where a value is expected). */
async function hostBcast(
  group: Channel,
  whole: Channel,
  hierarchy: Hierarchy,
  bytes: Uint8Array | undefined,
  root: number,
): Promise<Uint8Array> {
  if (group.size === 1) return bytes!;
  if (hierarchy.arena) return await hierarchy.arena.bcast(owner(group, whole), bytes, root) ?? bytes!;
  const data = await treeBcast(group, root, group.rank === root ? bytes : undefined, false);
  return land(whole, data, group.rank === root ? undefined : bytes, root);
}

/** Received `data` into `buffer` when there is one (a buffer broadcast), checking its size. */
function land(whole: Channel, data: Uint8Array, buffer: Uint8Array | undefined, root: number): Uint8Array {
  if (buffer === undefined || data === buffer) return data;
  if (data.length !== buffer.length) {
    throw sizeMismatch(whole.where, `root ${root}`, data.length, buffer.length, "buf");
  }
  buffer.set(data);
  return buffer;
}

/**
 * Broadcast of the root's bytes: into `buffer` on every rank (a buffer broadcast), or as new bytes where
 * `buffer` is undefined (a value broadcast). Resolves with the bytes.
 */
export async function hierarchicalBcast(
  channel: Channel,
  hierarchy: Hierarchy,
  buffer: Uint8Array | undefined,
  root: number,
): Promise<Uint8Array> {
  const { groups, leaders } = hierarchy;
  const rootGroup = groups.findIndex((group) => group.includes(root));
  const group = among(channel, groups[hierarchy.group]);
  let data = buffer;
  const inRootGroup = hierarchy.group === rootGroup;
  if (inRootGroup && root !== leaders[rootGroup]) {
    data = await hostBcast(group, channel, hierarchy, buffer, groups[rootGroup].indexOf(root));
  }
  if (group.rank === 0) {
    const received = await treeBcast(
      among(channel, leaders),
      rootGroup,
      inRootGroup ? data : undefined,
      false,
    );
    data = inRootGroup ? data : land(channel, received, buffer, root);
  }
  // The root's own host got the bytes in the first step, unless the root is its leader.
  if (!inRootGroup || root === leaders[rootGroup]) {
    data = await hostBcast(group, channel, hierarchy, group.rank === 0 ? data : buffer, 0);
  }
  return data!;
}

/**
 * Allreduce of typed arrays into `acc` (which may be `send` itself): reduce on each host to its leader, an
 * allreduce among leaders by `amongLeaders`, a broadcast on each host from its leader.
 */
export async function hierarchicalAllreduce(
  channel: Channel,
  hierarchy: Hierarchy,
  send: TypedArray,
  acc: TypedArray,
  op: Op,
  amongLeaders: (leaders: Channel, acc: TypedArray) => Promise<void>,
): Promise<void> {
  const group = among(channel, hierarchy.groups[hierarchy.group]);
  const leader = group.rank === 0;
  if (group.size === 1) {
    if (acc !== send) setVector(acc, send);
  } else if (hierarchy.arena) {
    await hierarchy.arena.reduce(owner(group, channel), send, leader ? acc : undefined, op, 0);
  } else {
    await treeReduceVector(group, 0, send, op, leader ? acc : undefined);
  }
  if (leader) await amongLeaders(among(channel, hierarchy.leaders), acc);
  await hostBcast(group, channel, hierarchy, bytesOf(acc), 0);
}

/**
 * Reduce of typed arrays into the root's `out` (which may be `send` itself, for IN_PLACE): on each host to
 * its representative (the root on the root's host, the leader elsewhere, so the result needs no last hop),
 * then among the representatives to the root by `amongHosts`. For a non-commutative op the hosts' ranks must
 * be consecutive: then the representatives are in rank order too, and so is the whole reduction.
 */
export async function hierarchicalReduce(
  channel: Channel,
  hierarchy: Hierarchy,
  send: TypedArray,
  out: TypedArray | undefined,
  op: Op,
  root: number,
  amongHosts: (
    representatives: Channel,
    input: TypedArray,
    out: TypedArray | undefined,
    root: number,
  ) => Promise<void>,
): Promise<void> {
  const { groups } = hierarchy;
  const rootGroup = groups.findIndex((group) => group.includes(root));
  const representatives = groups.map((group, i) => i === rootGroup ? root : group[0]);
  const members = groups[hierarchy.group];
  const group = among(channel, members);
  const local = members.indexOf(representatives[hierarchy.group]);
  const isRoot = channel.rank === root;
  let partial = send;
  if (group.size > 1) {
    // The host's reduction fills `into` whole: a new array needs no copy of `send` first.
    const into = group.rank !== local ? undefined : isRoot ? out! : new (elementClass(send))(send.length);
    if (hierarchy.arena) await hierarchy.arena.reduce(owner(group, channel), send, into, op, local);
    else await treeReduceVector(group, local, send, op, into);
    if (into) partial = into;
  }
  if (group.rank === local) {
    await amongHosts(among(channel, representatives), partial, isRoot ? out : undefined, rootGroup);
  }
}
