/**
 * Neighbourhood collectives: `neighbor_allgather`, `neighbor_alltoall` (values) and `Neighbor_allgather`,
 * `Neighbor_allgatherv`, `Neighbor_alltoall`, `Neighbor_alltoallv`, `Neighbor_alltoallw` (buffers), over the neighbours that a
 * process topology gives each rank (`comm/topology/`).
 *
 * Each rank receives one block from each of its sources (in slot order) and sends one block to each of its
 * destinations; a `PROC_NULL` neighbour moves nothing and its block of the receive buffer is left alone. All
 * receives are posted first, then all sends, so there is one round of latency and no deadlock. Within one
 * call, the messages between two ranks match in the order they were sent (the engine's non-overtaking rule);
 * where a pair is linked more than once (a periodic dimension of 1 or 2 ranks, a multigraph), the topology
 * gives a `sendOrder` such that the i-th message from a to b lands in the slot that b keeps for it.
 *
 * @module
 */

import { PROC_NULL } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import {
  bufferArg,
  checkLocalSize,
  EMPTY,
  isInPlace,
  type ResolvedBuffer,
  sizeMismatch,
  vBufferArg,
  wBufferArg,
} from "./buffer_args.ts";
import { type Channel, landedIn, type Run } from "./channel.ts";

/** Whom a rank exchanges with in a neighbourhood collective. */
export interface Neighbourhood {
  /** The ranks received from, by slot (`PROC_NULL`: nothing arrives in that slot). */
  sources: readonly number[];
  /** The ranks sent to, by slot (`PROC_NULL`: that block goes nowhere). */
  destinations: readonly number[];
  /** The order in which the destination slots are sent (a permutation of their indices). */
  sendOrder: readonly number[];
}

/**
 * Receives a block from every source and sends `blockFor(i)` to every destination i; returns the blocks
 * received, by source slot (undefined for `PROC_NULL`). `owned` says the blocks are never written again.
 * A large block is assembled straight into `intoFor(slot)` when given (see `landedIn`).
 */
export async function exchangeWithNeighbours(
  channel: Channel,
  hood: Neighbourhood,
  blockFor: (slot: number) => Uint8Array,
  owned: boolean,
  intoFor?: (slot: number) => Uint8Array,
): Promise<(Uint8Array | undefined)[]> {
  const received = hood.sources.map((source, slot) =>
    source === PROC_NULL ? Promise.resolve(undefined) : channel.receive(source, intoFor?.(slot))
  );
  const sent: Promise<void>[] = [];
  for (const slot of hood.sendOrder) {
    const dest = hood.destinations[slot];
    if (dest !== PROC_NULL) sent.push(channel.send(dest, blockFor(slot), owned));
  }
  const [blocks] = await Promise.all([Promise.all(received), Promise.all(sent)]);
  return blocks;
}

/** `neighbor_allgather(sendobj)`: the value of each source, by slot (null for `PROC_NULL`). */
export function neighborAllgatherValue<T>(hood: Neighbourhood, sendobj: unknown): Run<(T | null)[]> {
  const encoded = hood.destinations.some((dest) => dest !== PROC_NULL)
    ? encodeValue(sendobj, { where: "neighbor_allgather" })
    : EMPTY;
  return async (channel) => {
    const blocks = await exchangeWithNeighbours(channel, hood, () => encoded, true);
    return blocks.map((block) => block === undefined ? null : decodeValue(block) as T);
  };
}

/**
 * `neighbor_alltoall(sendobj)`: item i of `sendobj` (one per destination) goes to destination i; returns
 * the item each source sent here, by slot (null for `PROC_NULL`).
 */
export function neighborAlltoallValue<T>(hood: Neighbourhood, sendobj: unknown): Run<(T | null)[]> {
  const where = "neighbor_alltoall";
  const outdegree = hood.destinations.length;
  if (!Array.isArray(sendobj) || sendobj.length !== outdegree) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: sendobj must be an array of ${outdegree} items (one per destination neighbour), not ${
        Array.isArray(sendobj) ? `an array of ${sendobj.length}` : typeof sendobj
      }`,
    );
  }
  const encoded = sendobj.map((item, slot) =>
    hood.destinations[slot] === PROC_NULL ? EMPTY : encodeValue(item, { where })
  );
  return async (channel) => {
    const blocks = await exchangeWithNeighbours(channel, hood, (slot) => encoded[slot], true);
    return blocks.map((block) => block === undefined ? null : decodeValue(block) as T);
  };
}

/** `Neighbor_allgather(sendbuf, recvbuf)`: `recvbuf` holds one block per source, each the size of `sendbuf`. */
export function neighborAllgatherBuffer(hood: Neighbourhood, sendbuf: unknown, recvbuf: unknown): Run<void> {
  const where = "Neighbor_allgather";
  const send = sendArg(where, sendbuf);
  const recv = bufferArg(where, recvbuf, "recvbuf");
  const block = blockSize(where, recv, "recvbuf", hood.sources.length, "source");
  if (hood.sources.length > 0) {
    checkLocalSize(
      where,
      "sendbuf",
      send.bytes.length,
      block,
      `each of the ${hood.sources.length} blocks of recvbuf`,
    );
  }
  const starts = hood.sources.map((_, slot) => slot * block);
  const lengths = hood.sources.map(() => block);
  return receiveInto(where, hood, () => send.bytes, recv.bytes, starts, lengths);
}

/** `Neighbor_allgatherv(sendbuf, [recvbuf, counts, displs])`: a block of `counts[i]` elements per source. */
export function neighborAllgathervBuffer(hood: Neighbourhood, sendbuf: unknown, recvbuf: unknown): Run<void> {
  const where = "Neighbor_allgatherv";
  const send = sendArg(where, sendbuf);
  const recv = vBufferArg(where, recvbuf, "recvbuf", hood.sources.length);
  return receiveInto(where, hood, () => send.bytes, recv.bytes, recv.starts, recv.lengths);
}

/**
 * `Neighbor_alltoall(sendbuf, recvbuf)`: block i of `sendbuf` (one per destination) goes to destination i;
 * block i of `recvbuf` (one per source, of the same size) comes from source i.
 */
export function neighborAlltoallBuffer(hood: Neighbourhood, sendbuf: unknown, recvbuf: unknown): Run<void> {
  const where = "Neighbor_alltoall";
  const send = sendArg(where, sendbuf);
  const recv = bufferArg(where, recvbuf, "recvbuf");
  const sendBlock = blockSize(where, send, "sendbuf", hood.destinations.length, "destination");
  const recvBlock = blockSize(where, recv, "recvbuf", hood.sources.length, "source");
  if (hood.destinations.length > 0 && hood.sources.length > 0) {
    checkLocalSize(where, "each block of sendbuf", sendBlock, recvBlock, "each block of recvbuf");
  }
  const sendBlocks = hood.destinations.map((_, slot) =>
    send.bytes.subarray(slot * sendBlock, (slot + 1) * sendBlock)
  );
  const starts = hood.sources.map((_, slot) => slot * recvBlock);
  const lengths = hood.sources.map(() => recvBlock);
  return receiveInto(where, hood, (slot) => sendBlocks[slot], recv.bytes, starts, lengths);
}

/** `Neighbor_alltoallv([sendbuf, counts, displs], [recvbuf, counts, displs])`: blocks per neighbour. */
export function neighborAlltoallvBuffer(hood: Neighbourhood, sendbuf: unknown, recvbuf: unknown): Run<void> {
  const where = "Neighbor_alltoallv";
  if (isInPlace(sendbuf)) throw inPlaceError(where);
  const send = vBufferArg(where, sendbuf, "sendbuf", hood.destinations.length);
  const recv = vBufferArg(where, recvbuf, "recvbuf", hood.sources.length);
  const sendBlocks = send.starts.map((start, slot) => send.bytes.subarray(start, start + send.lengths[slot]));
  return receiveInto(where, hood, (slot) => sendBlocks[slot], recv.bytes, recv.starts, recv.lengths);
}

/**
 * `Neighbor_alltoallw([sendbuf, counts, displs, types], [recvbuf, counts, displs, types])`: block i of each
 * (byte displacements, counts in its own datatype, see `wBufferArg`) goes to destination i / comes from
 * source i. Bytes travel as they are: a block received must have as many bytes as its block of `recvbuf`.
 */
export function neighborAlltoallwBuffer(hood: Neighbourhood, sendbuf: unknown, recvbuf: unknown): Run<void> {
  const where = "Neighbor_alltoallw";
  if (isInPlace(sendbuf)) throw inPlaceError(where);
  const send = wBufferArg(where, sendbuf, "sendbuf", hood.destinations.length, "destination neighbour");
  const recv = wBufferArg(where, recvbuf, "recvbuf", hood.sources.length, "source neighbour");
  const sendBlocks = send.starts.map((start, slot) => send.bytes.subarray(start, start + send.lengths[slot]));
  return receiveInto(where, hood, (slot) => sendBlocks[slot], recv.bytes, recv.starts, recv.lengths);
}

/** Sends the blocks, and copies the block of each source into its place in `recv` (checking its size). */
function receiveInto(
  where: string,
  hood: Neighbourhood,
  blockFor: (slot: number) => Uint8Array,
  recv: Uint8Array,
  starts: readonly number[],
  lengths: readonly number[],
): Run<void> {
  return async (channel) => {
    const target = (slot: number) => recv.subarray(starts[slot], starts[slot] + lengths[slot]);
    const blocks = await exchangeWithNeighbours(channel, hood, blockFor, false, target);
    blocks.forEach((block, slot) => {
      if (block === undefined) return;
      if (block.length !== lengths[slot]) {
        throw sizeMismatch(
          where,
          `source neighbour ${slot} (rank ${hood.sources[slot]})`,
          block.length,
          lengths[slot],
          `its block of recvbuf`,
        );
      }
      if (!landedIn(block, target(slot))) recv.set(block, starts[slot]);
    });
  };
}

/** The send buffer; `IN_PLACE` has no meaning in a neighbourhood collective (as in MPI). */
function sendArg(where: string, sendbuf: unknown): ResolvedBuffer {
  if (isInPlace(sendbuf)) throw inPlaceError(where);
  return bufferArg(where, sendbuf, "sendbuf");
}

function inPlaceError(where: string) {
  return mpiError(ErrorCode.ERR_ARG, `${where}: sendbuf cannot be IN_PLACE in a neighbourhood collective`);
}

/** The byte size of each of `count` equal blocks of `arg`; ERR_COUNT naming the sizes if it does not divide. */
function blockSize(
  where: string,
  arg: ResolvedBuffer,
  argument: string,
  count: number,
  kind: string,
): number {
  if (count === 0) return 0;
  const elements = arg.bytes.length / arg.elementSize;
  if (elements % count !== 0) {
    throw mpiError(
      ErrorCode.ERR_COUNT,
      `${where}: ${argument} has ${elements} elements, not a multiple of the ${count} ${kind} neighbours`,
    );
  }
  return arg.bytes.length / count;
}
