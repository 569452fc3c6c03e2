/**
 * Barrier: `barrier`/`Barrier` (the same call) and `ibarrier`.
 *
 * Dissemination (Hensgen, Finkel and Manber): in round k every rank sends an empty message to
 * `rank + 2^k` and waits for one from `rank - 2^k` (mod p). After `ceil(log2 p)` rounds every rank has heard,
 * directly or through others, from every rank, so none can leave before all have arrived. Time
 * `ceil(log2 p) a`; p messages per round, none through a root. Ranks of one host meet in shared memory
 * instead (see `shared.ts`): one atomic add each; a communicator across hosts meets host by host, then
 * leader by leader (see `hierarchy.ts`).
 *
 * @module
 */

import { EMPTY } from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { hierarchicalBarrier } from "./hierarchy.ts";
import { disseminationRounds } from "./topology.ts";

/** Dissemination barrier over the channel's ranks. */
export async function disseminationBarrier(channel: Channel): Promise<void> {
  for (const round of disseminationRounds(channel.rank, channel.size)) {
    await channel.exchange(round.to, EMPTY, true, round.from);
  }
}

/** `barrier()`: resolves once every rank has called it (in shared memory when the ranks share a host). */
export function barrier(_shape: Shape): Run<void> {
  return runBarrier;
}

/** A barrier's run: one function for every call, which makes no object while the region is known. */
function runBarrier(channel: Channel): Promise<void> {
  const known = channel.knownArena();
  return known ? known.barrier(channel) : barrierAnyhow(channel);
}

/** A barrier before the region is known, or without one: in shared memory, host by host, or by messages. */
function barrierAnyhow(channel: Channel): Promise<void> {
  return channel.viaArena(
    (arena) => arena.barrier(channel),
    () =>
      channel.viaHierarchy(
        (hierarchy) => hierarchicalBarrier(channel, hierarchy),
        () => disseminationBarrier(channel),
      ),
  );
}
