/**
 * Allreduce: `allreduce` (values) and `Allreduce` (typed arrays, element-wise).
 *
 * - recursive doubling (values; short buffers; non-commutative ops): partners `rank ^ 1`, `^ 2`, `^ 4`, ...
 *   exchange everything they have combined so far. `log2 p` rounds, plus two when p is not a power of two
 *   (the first `2 (p - pof2)` ranks fold pairwise before and get the result back after). Time
 *   `ceil(log2 p) (a + n b + n c)`. Each pair combines the lower ranks' part first, so non-commutative ops
 *   come out in rank order, and every rank computes bit-identical results.
 * - ring reduce-scatter + ring allgather (long buffers, commutative op): each rank sends `2 (p-1)/p n` bytes,
 *   which is optimal; time `2 (p-1) a + 2 (p-1)/p n b + (p-1)/p n c`. Everything happens in `recvbuf`.
 *
 * @module
 */

import type { TypedArray } from "../wire/buffers.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { isInPlace, type ResolvedVector, setVector, sizeMismatch, vectorArg } from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { bytesOf, combineInto } from "./combine.ts";
import type { Op } from "./ops.ts";
import { checkPair } from "./reduce.ts";
import { ringAllgather, ringReduceScatter } from "./ring.ts";
import { hierarchicalAllreduce } from "./hierarchy.ts";
import { reduceAlgorithm } from "./select.ts";
import { blockOffsets, fold, unfold } from "./topology.ts";

/** Recursive-doubling allreduce of values. */
export async function doublingAllreduceValue(channel: Channel, obj: unknown, op: Op): Promise<unknown> {
  const { rank, size, where } = channel;
  const { pof2, rem, newRank } = fold(rank, size);
  let acc = obj;
  if (rank < 2 * rem) {
    if (newRank < 0) {
      await channel.send(rank + 1, encodeValue(acc, { where }), true);
      return decodeValue(await channel.receive(rank + 1));
    }
    acc = op.reduceValues(where, decodeValue(await channel.receive(rank - 1)), acc);
  }
  for (let mask = 1; mask < pof2; mask <<= 1) {
    const partner = unfold(newRank ^ mask, rem);
    const incoming = decodeValue(await channel.exchange(partner, encodeValue(acc, { where }), true, partner));
    acc = partner < rank ? op.reduceValues(where, incoming, acc) : op.reduceValues(where, acc, incoming);
  }
  if (rank < 2 * rem) await channel.send(rank - 1, encodeValue(acc, { where }), true);
  return acc;
}

/** Recursive-doubling allreduce of a typed array, in place in `acc`. */
export async function doublingAllreduceVector(channel: Channel, acc: TypedArray, op: Op): Promise<void> {
  const { rank, size, where } = channel;
  const { pof2, rem, newRank } = fold(rank, size);
  const bytes = bytesOf(acc);
  if (rank < 2 * rem) {
    if (newRank < 0) {
      await channel.send(rank + 1, bytes, false);
      const result = await channel.receive(rank + 1);
      if (result.length !== bytes.length) {
        throw sizeMismatch(where, `rank ${rank + 1}`, result.length, bytes.length, "recvbuf");
      }
      bytes.set(result);
      return;
    }
    combineInto(where, `rank ${rank - 1}`, acc, await channel.receive(rank - 1), op, true);
  }
  for (let mask = 1; mask < pof2; mask <<= 1) {
    const partner = unfold(newRank ^ mask, rem);
    const incoming = await channel.exchange(partner, bytes, false, partner);
    combineInto(where, `rank ${partner}`, acc, incoming, op, partner < rank);
  }
  if (rank < 2 * rem) await channel.send(rank - 1, bytes, false);
}

/**
 * `allreduce(obj, op)`: the reduction of every rank's value, on every rank. Ranks of one host gather every
 * value through shared memory and each folds them in rank order (two barriers instead of `log2 p` rounds of
 * messages); otherwise recursive doubling.
 */
export function allreduceValue<T>(_shape: Shape, obj: T, op: Op): Run<T> {
  return (channel) =>
    channel.viaArena(
      async (arena) => {
        const all = await arena.allgather(channel, encodeValue(obj, { where: channel.where }));
        if (!all) return await doublingAllreduceValue(channel, obj, op) as T;
        const { rank, where } = channel;
        const values = all.map((block, from) => from === rank ? obj : decodeValue(block));
        return values.reduce((lower, higher) => op.reduceValues(where, lower, higher)) as T;
      },
      async () => await doublingAllreduceValue(channel, obj, op) as T,
    );
}

/** `Allreduce(sendbuf, recvbuf, op)`: the element-wise reduction into `recvbuf` on every rank. */
export function allreduceBuffer(_shape: Shape, sendbuf: unknown, recvbuf: unknown, op: Op): Run<void> {
  const where = "Allreduce";
  const recv = vectorArg(where, recvbuf, "recvbuf");
  const inPlace = isInPlace(sendbuf);
  const send = inPlace ? recv : vectorArg(where, sendbuf, "sendbuf");
  if (!inPlace) checkPair(where, send, recv);
  op.checkVectorType(where, recv.vector);
  const acc = recv.vector;
  return (channel) => {
    const known = channel.knownArena();
    return known ? known.reduce(channel, send.vector, acc, op, -1) : allreduceAnyhow(channel, send, recv, op);
  };
}

/**
 * `Allreduce` before the region is known, or without one: host by host, or by messages only (`send` is
 * `recv` in place).
 */
function allreduceAnyhow(
  channel: Channel,
  send: ResolvedVector,
  recv: ResolvedVector,
  op: Op,
): Promise<void> {
  const acc = recv.vector;
  const inPlace = (channel: Channel) => allreduceInPlace(channel, recv, op);
  const byMessages = (channel: Channel) => {
    if (send !== recv) setVector(acc, send.vector);
    return inPlace(channel);
  };
  return channel.viaArena(
    (arena) => arena.reduce(channel, send.vector, acc, op, -1),
    () =>
      channel.viaHierarchy(
        (hierarchy) =>
          op.commute || hierarchy.consecutive
            ? hierarchicalAllreduce(channel, hierarchy, send.vector, acc, op, inPlace)
            : byMessages(channel),
        () => byMessages(channel),
      ),
  );
}

/** The allreduce of what `recv` holds on each rank of `channel` (the communicator, or its hosts' leaders). */
async function allreduceInPlace(channel: Channel, recv: ResolvedVector, op: Op): Promise<void> {
  const acc = recv.vector;
  const { size } = channel;
  if (reduceAlgorithm(size, recv.bytes.length, acc.length, op.commute) === "tree") {
    return await doublingAllreduceVector(channel, acc, op);
  }
  const offsets = blockOffsets(acc.length, size);
  await ringReduceScatter(channel, acc, offsets, op);
  const unit = acc.BYTES_PER_ELEMENT;
  const starts = offsets.slice(0, size).map((offset) => offset * unit);
  const lengths = starts.map((start, i) => offsets[i + 1] * unit - start);
  await ringAllgather(channel, recv.bytes, starts, lengths);
}
