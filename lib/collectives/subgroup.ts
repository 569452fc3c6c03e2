/**
 * A channel among some of a communicator's ranks, for the collectives that only they call (`Create_group`).
 * The algorithms see the members as ranks `0..n-1`, as on any channel; on the wire, every message goes on
 * the communicator's own channel, from and to the members' ranks in the communicator. So the envelope of a
 * message names its sender uniquely (a rank in a subgroup would not: rank 0 of one subgroup is another
 * process than rank 0 of the next), and two such calls with one tag, one after the other on overlapping
 * subgroups, never take each other's messages.
 *
 * @module
 */

import { Channel, type CollectiveHost } from "./channel.ts";

/**
 * The channel of one collective call among the communicator ranks `ranks` (in the order that makes them
 * ranks `0..n-1` here); this process must be one of them.
 *
 * @example
 * ```ts ignore
 * // Ranks 3 and 1 of a communicator, as ranks 0 and 1 of an allreduce that no other rank joins.
 * const channel = new SubgroupChannel(host, [3, 1], "Create_group", -2, false);
 * const highest = await allreduceValue({ rank: channel.rank, size: channel.size }, proposal, MAX)(channel);
 * ```
 */
export class SubgroupChannel extends Channel {
  /** The same call on the whole communicator's ranks: what the messages travel on. */
  readonly #whole: Channel;
  /** Communicator rank of each member, by rank here. */
  readonly #ranks: readonly number[];

  constructor(host: CollectiveHost, ranks: readonly number[], where: string, tag: number, raw: boolean) {
    const members = ranks.map((rank) => host.members[rank]);
    super({ ...host, members, rank: ranks.indexOf(host.rank) }, where, tag, raw);
    this.#whole = new Channel(host, where, tag, raw);
    this.#ranks = ranks;
  }

  override send(to: number, bytes: Uint8Array, owned: boolean): Promise<void> {
    return this.#whole.send(this.#ranks[to], bytes, owned);
  }

  override receive(from: number, into?: Uint8Array): Promise<Uint8Array> {
    return this.#whole.receive(this.#ranks[from], into);
  }
}
