/**
 * All-to-all: `alltoall` (one value per destination), `Alltoall`, `Alltoallv` and `Alltoallw` (buffer
 * blocks).
 *
 * Every rank has a distinct block for every other rank, so `p - 1` messages per rank is the minimum. They are
 * all posted at once (receives first), with rank r sending to `r + 1, r + 2, ...` in that order so that no rank
 * is everyone's first destination: one round of latency, time `a + (p-1) n b` per rank for blocks of n bytes,
 * and no rank relays anyone else's data.
 *
 * @module
 */

import { decodeValue, encodeValue } from "../wire/codec.ts";
import {
  bufferArg,
  checkLocalSize,
  EMPTY,
  equalBlocks,
  isInPlace,
  sizeMismatch,
  vBufferArg,
  wBufferArg,
} from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { checkItems } from "./scatter.ts";

/**
 * Sends `blocks[i]` to rank i and returns the block each rank sent here, by rank (this rank's own is
 * `blocks[rank]`). `owned` says the blocks are never written again.
 */
export async function exchangeAll(
  channel: Channel,
  blocks: readonly Uint8Array[],
  owned: boolean,
): Promise<Uint8Array[]> {
  const { rank, size } = channel;
  const received: Promise<Uint8Array>[] = [];
  for (let step = 1; step < size; step++) received.push(channel.receive((rank - step + size) % size));
  const sent: Promise<void>[] = [];
  for (let step = 1; step < size; step++) {
    const to = (rank + step) % size;
    sent.push(channel.send(to, blocks[to], owned));
  }
  const [incoming] = await Promise.all([Promise.all(received), Promise.all(sent)]);
  const byRank = new Array<Uint8Array>(size);
  byRank[rank] = blocks[rank];
  for (let step = 1; step < size; step++) byRank[(rank - step + size) % size] = incoming[step - 1];
  return byRank;
}

/** `alltoall(items)`: item `i` of rank r's list becomes item `r` of rank i's result. */
export function alltoallValue<T>(shape: Shape, items: unknown): Run<T[]> {
  const list = checkItems("alltoall", items, shape.size, "sendobj");
  const encoded = list.map((item, rank) =>
    rank === shape.rank ? EMPTY : encodeValue(item, { where: "alltoall" })
  );
  return async (channel) => {
    const blocks = await exchangeAll(channel, encoded, true);
    return blocks.map((block, rank) => rank === shape.rank ? list[rank] as T : decodeValue(block) as T);
  };
}

/** `Alltoall(sendbuf, recvbuf)`: block i of `sendbuf` goes to rank i; block r of `recvbuf` comes from rank r. */
export function alltoallBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown): Run<void> {
  const where = "Alltoall";
  const recv = bufferArg(where, recvbuf, "recvbuf");
  const block = equalBlocks(where, recv, "recvbuf", shape.size);
  const inPlace = isInPlace(sendbuf);
  const send = inPlace ? recv : bufferArg(where, sendbuf, "sendbuf");
  if (!inPlace) checkLocalSize(where, "sendbuf", send.bytes.length, recv.bytes.length, "recvbuf");
  const starts = Array.from({ length: shape.size }, (_, rank) => rank * block);
  const lengths = new Array<number>(shape.size).fill(block);
  return exchangeInto(where, send.bytes, starts, lengths, inPlace, recv.bytes, starts, lengths);
}

/** `Alltoallv([sendbuf, counts, displs], [recvbuf, counts, displs])`. */
export function alltoallvBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown): Run<void> {
  return blocksAlltoall("Alltoallv", shape, sendbuf, recvbuf, vBufferArg);
}

/**
 * `Alltoallw([sendbuf, counts, displs, types], [recvbuf, counts, displs, types])`: as `Alltoallv`, with a
 * typed array type per block and byte displacements (see `wBufferArg`). Bytes travel as they are: a block
 * received must have as many bytes as its block of `recvbuf`.
 */
export function alltoallwBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown): Run<void> {
  return blocksAlltoall("Alltoallw", shape, sendbuf, recvbuf, wBufferArg);
}

/** Alltoallv and Alltoallw once `parse` has made each buffer argument into blocks (bytes, starts, lengths). */
function blocksAlltoall(
  where: string,
  shape: Shape,
  sendbuf: unknown,
  recvbuf: unknown,
  parse: (
    where: string,
    arg: unknown,
    name: string,
    size: number,
  ) => { bytes: Uint8Array; starts: number[]; lengths: number[] },
): Run<void> {
  const recv = parse(where, recvbuf, "recvbuf", shape.size);
  const inPlace = isInPlace(sendbuf);
  const send = inPlace ? recv : parse(where, sendbuf, "sendbuf", shape.size);
  const me = shape.rank;
  if (!inPlace) {
    checkLocalSize(where, "sendbuf's own block", send.lengths[me], recv.lengths[me], "recvbuf's own block");
  }
  return exchangeInto(
    where,
    send.bytes,
    send.starts,
    send.lengths,
    inPlace,
    recv.bytes,
    recv.starts,
    recv.lengths,
  );
}

function exchangeInto(
  where: string,
  send: Uint8Array,
  sendStarts: readonly number[],
  sendLengths: readonly number[],
  inPlace: boolean,
  recv: Uint8Array,
  recvStarts: readonly number[],
  recvLengths: readonly number[],
): Run<void> {
  return async (channel) => {
    const { rank, size } = channel;
    let blocks = sendStarts.map((start, i) => send.subarray(start, start + sendLengths[i]));
    // In place, the blocks to send are overwritten by the blocks received: send copies.
    if (inPlace) blocks = blocks.map((block, i) => i === rank ? block : block.slice());
    const received = await exchangeAll(channel, blocks, inPlace);
    for (let from = 0; from < size; from++) {
      if (from === rank) continue;
      if (received[from].length !== recvLengths[from]) {
        throw sizeMismatch(
          where,
          `rank ${from}`,
          received[from].length,
          recvLengths[from],
          "its block of recvbuf",
        );
      }
      recv.set(received[from], recvStarts[from]);
    }
    if (!inPlace) recv.set(blocks[rank], recvStarts[rank]);
  };
}
