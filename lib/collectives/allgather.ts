/**
 * Allgather: `allgather` (values), `Allgather` and `Allgatherv` (buffer blocks).
 *
 * - Bruck (values; buffers under `ALLGATHER_LONG_BYTES` in all): `ceil(log2 p)` rounds; in round k each rank
 *   sends the `min(2^k, p - 2^k)` blocks it holds to `rank - 2^k`. Time `ceil(log2 p) a + (p-1)/p N b`.
 *   Blocks travel in bundles, so blocks of different sizes (values, Allgatherv) need no size exchange.
 * - ring (long buffers): `p - 1` steps, each rank passes one block to its right neighbour per step and
 *   copies the one from its left straight into its place in `recvbuf`. Time `(p-1) a + (p-1)/p N b`, with no
 *   other copy and no bundles.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { pack, unpack } from "./bundle.ts";
import { bufferArg, checkLocalSize, equalBlocks, isInPlace, vBufferArg } from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { placeBlocks } from "./gather.ts";
import { allgatherAlgorithm } from "./select.ts";
import { ringAllgather } from "./ring.ts";
import { bruckRounds } from "./topology.ts";

/** Bruck's allgather of one block per rank; returns every rank's block, by rank (this rank's is `block`). */
export async function bruckAllgather(channel: Channel, block: Uint8Array): Promise<Uint8Array[]> {
  const { rank, size } = channel;
  // held[i] is the block of rank (rank + i) % size.
  const held: Uint8Array[] = [block];
  for (const round of bruckRounds(rank, size)) {
    const count = Math.min(round.distance, size - round.distance);
    const received = unpack(
      await channel.exchange(round.to, pack(held.slice(0, count)), true, round.from),
      channel.where,
    );
    if (received.length !== count) {
      throw mpiError(
        ErrorCode.ERR_INTERN,
        `${channel.where}: rank ${round.from} sent ${received.length} blocks in a round that moves ${count}`,
      );
    }
    for (const item of received) held.push(item);
  }
  const byRank = new Array<Uint8Array>(size);
  for (let i = 0; i < size; i++) byRank[(rank + i) % size] = held[i];
  return byRank;
}

/** `allgather(obj)`: every rank's value, by rank, on every rank. */
export function allgatherValue<T>(_shape: Shape, obj: T): Run<T[]> {
  const encoded = encodeValue(obj, { where: "allgather" });
  return async (channel) => {
    const blocks = await allgatherBytes(channel, encoded);
    return blocks.map((block, rank) => rank === channel.rank ? obj : decodeValue(block) as T);
  };
}

/**
 * Every rank's `block`, by rank, on every rank: through the communicator's shared memory when its ranks share
 * a host and every block fits a slot, else by Bruck's algorithm.
 */
export function allgatherBytes(channel: Channel, block: Uint8Array): Promise<Uint8Array[]> {
  const byMessages = () => bruckAllgather(channel, block);
  return channel.viaArena(
    async (arena) => await arena.allgather(channel, block) ?? await byMessages(),
    byMessages,
  );
}

/** `Allgather(sendbuf, recvbuf)`: equal blocks, by rank, into `recvbuf` on every rank. */
export function allgatherBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown): Run<void> {
  const where = "Allgather";
  const recv = bufferArg(where, recvbuf, "recvbuf");
  const block = equalBlocks(where, recv, "recvbuf", shape.size);
  const send = isInPlace(sendbuf) ? undefined : bufferArg(where, sendbuf, "sendbuf");
  if (send) {
    checkLocalSize(
      where,
      "sendbuf",
      send.bytes.length,
      block,
      `each of the ${shape.size} blocks of recvbuf`,
    );
  }
  const starts = Array.from({ length: shape.size }, (_, rank) => rank * block);
  const lengths = new Array<number>(shape.size).fill(block);
  return allgatherInto(where, send?.bytes, recv.bytes, starts, lengths);
}

/** `Allgatherv(sendbuf, [recvbuf, counts, displs])`: a block of `counts[i]` elements per rank. */
export function allgathervBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown): Run<void> {
  const where = "Allgatherv";
  const recv = vBufferArg(where, recvbuf, "recvbuf", shape.size);
  const send = isInPlace(sendbuf) ? undefined : bufferArg(where, sendbuf, "sendbuf");
  if (send) {
    checkLocalSize(
      where,
      "sendbuf",
      send.bytes.length,
      recv.lengths[shape.rank],
      "this rank's block of recvbuf",
    );
  }
  return allgatherInto(where, send?.bytes, recv.bytes, recv.starts, recv.lengths);
}

function allgatherInto(
  where: string,
  send: Uint8Array | undefined,
  recv: Uint8Array,
  starts: number[],
  lengths: number[],
): Run<void> {
  const total = lengths.reduce((sum, length) => sum + length, 0);
  return async (channel) => {
    const { rank } = channel;
    if (send) recv.set(send, starts[rank]);
    if (allgatherAlgorithm(total) === "ring") return await ringAllgather(channel, recv, starts, lengths);
    const mine = recv.subarray(starts[rank], starts[rank] + lengths[rank]);
    const blocks = await bruckAllgather(channel, mine);
    placeBlocks(where, blocks, recv, rank, (r) => starts[r], (r) => lengths[r]);
  };
}
