/**
 * Reduce to a root: `reduce` (values) and `Reduce` (typed arrays, element-wise).
 *
 * - binomial tree (values; short buffers; non-commutative ops): each rank combines its children's partial
 *   results, nearest first, and sends one message to its parent. `ceil(log2 p)` rounds, time
 *   `ceil(log2 p) (a + n b + n c)` for n bytes and c the time to combine a byte. Values and non-commutative
 *   ops run on the tree rooted at rank 0, where every subtree is a contiguous range of ranks and partial
 *   results combine in rank order; rank 0 then hands the result to the root (one more message).
 * - ring reduce-scatter + binomial gather (Rabenseifner's scheme with a ring; long buffers, commutative op):
 *   each rank sends `(p-1)/p n` bytes in the reduce-scatter and the root gathers the p reduced blocks. Time
 *   `(p - 1 + log2 p) a + 2 (p-1)/p n b + (p-1)/p n c`.
 *
 * Typed arrays of ranks on one host reduce in the host's shared-memory region (`shared.ts`). Across hosts with
 * several ranks on some, each host reduces to one representative first and only those exchange messages
 * (`hierarchy.ts`).
 *
 * Element-wise combination runs in a tight loop over the typed arrays (`ops.ts`), into a preallocated buffer.
 *
 * @module
 */

import { decodeValue, encodeValue } from "../wire/codec.ts";
import type { TypedArray } from "../wire/buffers.ts";
import {
  checkLocalSize,
  checkSameType,
  copyVector,
  isInPlace,
  type ResolvedVector,
  setVector,
  sizeMismatch,
  vectorArg,
} from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { bytesOf, combineInto } from "./combine.ts";
import { treeGather } from "./gather.ts";
import { hierarchicalReduce } from "./hierarchy.ts";
import type { Op } from "./ops.ts";
import { ringReduceScatter } from "./ring.ts";
import { reduceAlgorithm } from "./select.ts";
import { binomialTree, blockOffsets } from "./topology.ts";

/**
 * Binomial-tree reduction of values; the result at the root, `undefined` elsewhere. Values always combine in
 * rank order (the tree is rooted at rank 0), whatever the op says: SUM is commutative on numbers but not on
 * strings.
 */
export async function treeReduceValue(
  channel: Channel,
  root: number,
  obj: unknown,
  op: Op,
): Promise<unknown> {
  const { rank, size, where } = channel;
  const node = binomialTree(rank, size, 0);
  let acc = obj;
  const incoming = await Promise.all(node.children.map((child) => channel.receive(child.rank)));
  for (const bytes of incoming) acc = op.reduceValues(where, acc, decodeValue(bytes));
  if (node.parent >= 0) await channel.send(node.parent, encodeValue(acc, { where }), true);
  if (root === 0) return rank === 0 ? acc : undefined;
  if (rank === 0) {
    await channel.send(root, encodeValue(acc, { where }), true);
    return undefined;
  }
  return rank === root ? decodeValue(await channel.receive(0)) : undefined;
}

/**
 * Binomial-tree reduction of typed arrays of one type and length. At the root the result goes into `out`
 * (which may be `input` itself, for IN_PLACE).
 */
export async function treeReduceVector(
  channel: Channel,
  root: number,
  input: TypedArray,
  op: Op,
  out: TypedArray | undefined,
): Promise<void> {
  const { rank, size, where } = channel;
  const treeRoot = op.commute ? root : 0;
  const node = binomialTree(rank, size, treeRoot);
  let acc = input;
  if (node.children.length > 0) {
    acc = rank === root && treeRoot === root ? out! : copyVector(input);
    if (acc !== input) setVector(acc, input);
    const incoming = await Promise.all(node.children.map((child) => channel.receive(child.rank)));
    for (let i = 0; i < incoming.length; i++) {
      combineInto(where, `rank ${node.children[i].rank}`, acc, incoming[i], op, false);
    }
  }
  if (node.parent >= 0) await channel.send(node.parent, bytesOf(acc), acc !== input);
  if (treeRoot === root) {
    if (rank === root && acc !== out) setVector(out!, acc);
    return;
  }
  if (rank === treeRoot) await channel.send(root, bytesOf(acc), acc !== input);
  if (rank === root) {
    const bytes = await channel.receive(treeRoot);
    if (bytes.length !== out!.byteLength) {
      throw sizeMismatch(where, `rank ${treeRoot}`, bytes.length, out!.byteLength, "recvbuf");
    }
    bytesOf(out!).set(bytes);
  }
}

/** `reduce(obj, op, root)`: the reduction at the root, `null` elsewhere. */
export function reduceValue<T>(_shape: Shape, obj: T, op: Op, root: number): Run<T | null> {
  return async (channel) => {
    const result = await treeReduceValue(channel, root, obj, op);
    return channel.rank === root ? result as T : null;
  };
}

/** `Reduce(sendbuf, recvbuf, op, root)`: the element-wise reduction into the root's `recvbuf`. */
export function reduceBuffer(
  shape: Shape,
  sendbuf: unknown,
  recvbuf: unknown,
  op: Op,
  root: number,
): Run<void> {
  const where = "Reduce";
  const isRoot = shape.rank === root;
  const recv = isRoot ? vectorArg(where, recvbuf, "recvbuf") : undefined;
  const send = isRoot && isInPlace(sendbuf) ? recv! : vectorArg(where, sendbuf, "sendbuf");
  if (recv && send !== recv) checkPair(where, send, recv);
  op.checkVectorType(where, send.vector);
  const out = recv?.vector;
  return (channel) =>
    channel.viaArena(
      (arena) => arena.reduce(channel, send.vector, out, op, root),
      () =>
        channel.viaHierarchy(
          (hierarchy) =>
            op.commute || hierarchy.consecutive
              ? hierarchicalReduce(channel, hierarchy, send.vector, out, op, root, reduceByMessages)
              : reduceByMessages(channel, send.vector, out, root),
          () => reduceByMessages(channel, send.vector, out, root),
        ),
    );
  /** The reduction of every rank's `input` on `channel` into `output` at `to`, by messages only. */
  async function reduceByMessages(
    channel: Channel,
    input: TypedArray,
    output: TypedArray | undefined,
    to: number,
  ): Promise<void> {
    const { rank, size } = channel;
    const count = input.length;
    if (reduceAlgorithm(size, input.byteLength, count, op.commute) === "tree") {
      return await treeReduceVector(channel, to, input, op, output);
    }
    const acc = output ?? copyVector(input);
    if (acc !== input) setVector(acc, input);
    const offsets = blockOffsets(count, size);
    await ringReduceScatter(channel, acc, offsets, op);
    const blocks = await treeGather(channel, to, bytesOf(acc.subarray(offsets[rank], offsets[rank + 1])));
    if (blocks === undefined) return;
    const bytes = bytesOf(acc);
    const unit = acc.BYTES_PER_ELEMENT;
    for (let owner = 0; owner < size; owner++) {
      if (owner === rank) continue;
      const expected = (offsets[owner + 1] - offsets[owner]) * unit;
      if (blocks[owner].length !== expected) {
        throw sizeMismatch(where, `rank ${owner}`, blocks[owner].length, expected, "its block of recvbuf");
      }
      bytes.set(blocks[owner], offsets[owner] * unit);
    }
  }
}

/** Checks that a reduction's send and receive buffers have one element type and one size. */
export function checkPair(where: string, send: ResolvedVector, recv: ResolvedVector): void {
  checkSameType(where, send.vector, recv.vector, "sendbuf and recvbuf");
  checkLocalSize(where, "sendbuf", send.vector.byteLength, recv.vector.byteLength, "recvbuf");
}
