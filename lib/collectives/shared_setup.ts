/**
 * Setting up a communicator's shared-memory region (see `shared.ts`) inside its first collective call that
 * can use one: rank 0 creates the region and broadcasts its address, every rank maps it and tells rank 0
 * whether it could, rank 0 closes the way in and broadcasts the verdict. Every rank learns the same verdict,
 * so all use the region or none (then messages do the work, as before). Costs one broadcast, one gather and
 * one broadcast of a few bytes, once per communicator; a communicator that spans hosts sends nothing.
 *
 * @module
 */

import { treeBcast } from "./bcast.ts";
import { type Channel, SubgroupChannel } from "./channel.ts";
import { consecutiveGroups, type Hierarchy, hostGroups } from "./hierarchy.ts";
import { HostArena, type SharedMemory, type SharedSpace, slotBytes } from "./shared.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The region of the channel's communicator, or `undefined` when it has none: its members span hosts, it has
 * one member, this host offers no shared memory, or some rank could not map it.
 */
export async function openArena(
  channel: Channel,
  shared: SharedMemory | undefined,
  hosts: readonly string[],
): Promise<HostArena | undefined> {
  const { rank, size } = channel;
  if (size < 2 || hosts.length !== size || hosts.some((host) => host !== hosts[0])) return undefined;
  const length = HostArena.regionLength(size);
  let space: SharedSpace | undefined;
  let address = "";
  if (rank === 0 && shared) {
    try {
      space = shared.create(`c${channel.tag}`, length);
      address = space.address;
    } catch {
      address = "";
    }
  }
  let verdict: Uint8Array;
  try {
    const announced = await treeBcast(channel, 0, rank === 0 ? encoder.encode(address) : undefined, true);
    if (rank !== 0) {
      address = decoder.decode(announced);
      if (address && shared) {
        try {
          space = shared.open(address, length);
        } catch {
          space = undefined;
        }
      }
    }
    if (rank === 0) {
      let everyone = space !== undefined;
      for (let from = 1; from < size; from++) if ((await channel.receive(from))[0] !== 1) everyone = false;
      space?.unlink();
      verdict = await treeBcast(channel, 0, Uint8Array.of(everyone ? 1 : 0), true);
    } else {
      await channel.send(0, Uint8Array.of(space ? 1 : 0), true);
      verdict = await treeBcast(channel, 0, undefined, true);
    }
  } catch (error) {
    // Cancelled, or a member lost: every rank unmaps what it mapped (rank 0 closes the way in first).
    space?.release();
    throw error;
  }
  if (verdict[0] !== 1 || !space || !shared) {
    space?.release();
    return undefined;
  }
  channel.watchMembers();
  return new HostArena(space, size, slotBytes(size), shared.crowded);
}

/**
 * The layout of a communicator across hosts (see `hierarchy.ts`), with this host's region set up among its
 * ranks (every host at once, each among its own ranks), or `undefined` when it spans one host or has one rank
 * per host. Every rank computes the same layout from the host names, so all take the same path.
 */
export async function openHierarchy(
  channel: Channel,
  shared: SharedMemory | undefined,
  hosts: readonly string[],
): Promise<Hierarchy | undefined> {
  if (hosts.length !== channel.size) return undefined;
  const groups = hostGroups(hosts);
  if (!groups) return undefined;
  const group = groups.findIndex((ranks) => ranks.includes(channel.rank));
  const ranks = groups[group];
  const own = new SubgroupChannel(channel.host, ranks, channel.where, channel.tag, channel.raw);
  const arena = await openArena(own, shared, ranks.map((rank) => hosts[rank]));
  return {
    groups,
    group,
    leaders: groups.map((ranks) => ranks[0]),
    arena,
    consecutive: consecutiveGroups(groups),
  };
}
