/**
 * The ring algorithms: a reduce-scatter and an allgather in which each rank only talks to its neighbours,
 * `p - 1` steps each. They move the fewest bytes possible (each rank sends `(p-1)/p` of the buffer), so the
 * long-message Bcast, Reduce, Allreduce, Reduce_scatter_block and Allgather are built from them.
 *
 * @module
 */

import type { TypedArray } from "../wire/buffers.ts";
import { sizeMismatch } from "./buffer_args.ts";
import { type Channel, landedIn } from "./channel.ts";
import { bytesOf, combineInto } from "./combine.ts";
import type { Op } from "./ops.ts";
import { ring } from "./topology.ts";

/**
 * Ring reduce-scatter in place over `acc`, cut into blocks at `offsets` (elements, `size + 1` boundaries).
 * Afterwards block r of `acc` on rank r holds the reduction of everyone's block r; other blocks hold partial
 * results. The op must be commutative: each block is combined in ring order. Time
 * `(p-1) a + (p-1)/p n (b + c)`.
 */
export async function ringReduceScatter(
  channel: Channel,
  acc: TypedArray,
  offsets: readonly number[],
  op: Op,
): Promise<void> {
  const { rank, size, where } = channel;
  const { left, right } = ring(rank, size);
  const block = (index: number) => acc.subarray(offsets[index], offsets[index + 1]);
  // One scratch buffer for every step's incoming block: large blocks are assembled in it, not in a fresh one.
  let largest = 0;
  for (let index = 0; index < size; index++) largest = Math.max(largest, offsets[index + 1] - offsets[index]);
  const scratch = new Uint8Array(largest * acc.BYTES_PER_ELEMENT);
  for (let step = 0; step < size - 1; step++) {
    const out = (rank - step - 1 + size) % size;
    const into = (rank - step - 2 + 2 * size) % size;
    const incoming = scratch.subarray(0, block(into).byteLength);
    const bytes = await channel.exchange(right, bytesOf(block(out)), false, left, incoming);
    combineInto(where, `rank ${left}`, block(into), bytes, op, true);
  }
}

/**
 * Ring allgather in place: block `r` of `bytes` (at `starts[r]`, `lengths[r]` bytes) is rank r's; each rank
 * must already hold its own. Each block is copied from its message straight into its place. Time
 * `(p-1) a + (p-1)/p n b`.
 */
export async function ringAllgather(
  channel: Channel,
  bytes: Uint8Array,
  starts: readonly number[],
  lengths: readonly number[],
): Promise<void> {
  const { rank, size, where } = channel;
  const { left, right } = ring(rank, size);
  const block = (owner: number) => bytes.subarray(starts[owner], starts[owner] + lengths[owner]);
  for (let step = 0; step < size - 1; step++) {
    const owner = (rank - step - 1 + size) % size;
    const target = block(owner);
    const data = await channel.exchange(right, block((rank - step + size) % size), false, left, target);
    if (data.length !== lengths[owner]) {
      throw sizeMismatch(
        where,
        `rank ${left} (passing on the block of rank ${owner})`,
        data.length,
        lengths[owner],
        "that block of recvbuf",
      );
    }
    if (!landedIn(data, target)) bytes.set(data, starts[owner]);
  }
}
