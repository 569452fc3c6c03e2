/**
 * Scatter from a root: `scatter` (one value per rank), `Scatter` and `Scatterv` (blocks of a buffer).
 *
 * Binomial tree, the mirror of gather: the root sends each child the bundle of its subtree's blocks (largest
 * subtree first), and each rank forwards the parts of its bundle to its own children. `ceil(log2 p)` rounds,
 * time `ceil(log2 p) a + (p-1)/p N b` for N bytes scattered. A rank whose receive buffer does not fit its block
 * fails only after forwarding, so the error stays with the rank that made it.
 *
 * @module
 */

import { ErrorCode, mpiError } from "../errors.ts";
import { describe } from "../wire/buffers.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { pack, unpack } from "./bundle.ts";
import {
  bufferArg,
  checkLocalSize,
  EMPTY,
  equalBlocks,
  isInPlace,
  sizeMismatch,
  vBufferArg,
} from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { binomialTree } from "./topology.ts";

/**
 * Binomial-tree scatter of one block per rank: the root passes the blocks by rank, every rank gets its own
 * (the root: `blocks[root]`).
 */
export async function treeScatter(
  channel: Channel,
  root: number,
  blocks: readonly Uint8Array[] | undefined,
): Promise<Uint8Array> {
  const { rank, size } = channel;
  const node = binomialTree(rank, size, root);
  let mine: Uint8Array[];
  if (node.parent < 0) {
    mine = new Array(size);
    for (let relative = 0; relative < size; relative++) mine[relative] = blocks![(relative + root) % size];
  } else {
    mine = unpack(await channel.receive(node.parent), channel.where);
    if (mine.length !== node.subtree) {
      throw mpiError(
        ErrorCode.ERR_INTERN,
        `${channel.where}: rank ${node.parent} sent ${mine.length} blocks for a subtree of ${node.subtree}`,
      );
    }
  }
  const sends: Promise<void>[] = [];
  for (let i = node.children.length - 1; i >= 0; i--) {
    const child = node.children[i];
    const first = child.relative - node.relative;
    sends.push(channel.send(child.rank, pack(mine.slice(first, first + child.subtree)), true));
  }
  await Promise.all(sends);
  return mine[0];
}

/** `scatter(items, root)`: item `i` of the root's list on rank `i`. The list must have exactly `size` items. */
export function scatterValue<T>(shape: Shape, items: unknown, root: number): Run<T> {
  let encoded: Uint8Array[] | undefined;
  if (shape.rank === root) {
    const list = checkItems("scatter", items, shape.size, "sendobj");
    encoded = list.map((item, rank) => rank === root ? EMPTY : encodeValue(item, { where: "scatter" }));
  }
  return async (channel) => {
    const block = await treeScatter(channel, root, encoded);
    return shape.rank === root ? (items as T[])[root] : decodeValue(block) as T;
  };
}

/** Checks that `items` is a list of exactly `size` items; ERR_COUNT naming the count otherwise. */
export function checkItems(where: string, items: unknown, size: number, argument: string): unknown[] {
  if (!Array.isArray(items)) {
    throw mpiError(
      ErrorCode.ERR_TYPE,
      `${where}: ${argument} must be an array of ${size} items (one per rank), not ${describe(items)}`,
    );
  }
  if (items.length !== size) {
    throw mpiError(
      ErrorCode.ERR_COUNT,
      `${where}: ${argument} has ${items.length} items, but the communicator has ${size} ranks (one item per rank)`,
    );
  }
  return items;
}

/** `Scatter(sendbuf, recvbuf, root)`: equal blocks of the root's `sendbuf`, by rank. */
export function scatterBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown, root: number): Run<void> {
  const where = "Scatter";
  const isRoot = shape.rank === root;
  const inPlace = isRoot && isInPlace(recvbuf);
  const recv = inPlace ? undefined : bufferArg(where, recvbuf, "recvbuf");
  let blocks: Uint8Array[] | undefined;
  if (isRoot) {
    const send = bufferArg(where, sendbuf, "sendbuf");
    const block = equalBlocks(where, send, "sendbuf", shape.size);
    if (recv) {
      checkLocalSize(
        where,
        `each of the ${shape.size} blocks of sendbuf`,
        block,
        recv.bytes.length,
        "recvbuf",
      );
    }
    blocks = Array.from(
      { length: shape.size },
      (_, rank) => send.bytes.subarray(rank * block, (rank + 1) * block),
    );
  }
  return receiveInto(where, root, blocks, recv?.bytes);
}

/** `Scatterv([sendbuf, counts, displs], recvbuf, root)`: a block of `counts[i]` elements per rank. */
export function scattervBuffer(shape: Shape, sendbuf: unknown, recvbuf: unknown, root: number): Run<void> {
  const where = "Scatterv";
  const isRoot = shape.rank === root;
  const inPlace = isRoot && isInPlace(recvbuf);
  const recv = inPlace ? undefined : bufferArg(where, recvbuf, "recvbuf");
  let blocks: Uint8Array[] | undefined;
  if (isRoot) {
    const send = vBufferArg(where, sendbuf, "sendbuf", shape.size);
    if (recv) {
      checkLocalSize(
        where,
        "the root's block of sendbuf",
        send.lengths[root],
        recv.bytes.length,
        "recvbuf",
      );
    }
    blocks = send.starts.map((start, rank) => send.bytes.subarray(start, start + send.lengths[rank]));
  }
  return receiveInto(where, root, blocks, recv?.bytes);
}

function receiveInto(
  where: string,
  root: number,
  blocks: Uint8Array[] | undefined,
  into: Uint8Array | undefined,
): Run<void> {
  return async (channel) => {
    const block = await treeScatter(channel, root, blocks);
    if (into === undefined) return;
    if (block.length !== into.length) {
      throw sizeMismatch(where, `root ${root}`, block.length, into.length, "recvbuf");
    }
    into.set(block);
  };
}
