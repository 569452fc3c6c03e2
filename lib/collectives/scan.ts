/**
 * Prefix reductions: `scan`/`Scan` (inclusive: rank r gets ranks 0..r combined) and `exscan`/`Exscan`
 * (exclusive: ranks 0..r-1; nothing on rank 0).
 *
 * Recursive doubling (as MPICH): in round k, partners `rank ^ 2^k` exchange the combination of their whole
 * aligned block so far; the higher partner folds what it receives into its prefix too. `ceil(log2 p)` rounds,
 * time `ceil(log2 p) (a + n b + 2 n c)`. Operands always combine lower ranks first, so non-commutative ops
 * are applied in rank order.
 *
 * @module
 */

import type { TypedArray } from "../wire/buffers.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { copyVector, isInPlace, receivedVector, setVector, vectorArg } from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { bytesOf, combineInto } from "./combine.ts";
import type { Op } from "./ops.ts";
import { checkPair } from "./reduce.ts";

/** Recursive-doubling prefix reduction of values; `exclusive` leaves rank 0 with `undefined`. */
export async function doublingScanValue(
  channel: Channel,
  obj: unknown,
  op: Op,
  exclusive: boolean,
): Promise<unknown> {
  const { rank, size, where } = channel;
  let partial = obj;
  let result: unknown = exclusive ? undefined : obj;
  let have = !exclusive;
  for (let mask = 1; mask < size; mask <<= 1) {
    const partner = rank ^ mask;
    if (partner >= size) continue;
    const incoming = decodeValue(
      await channel.exchange(partner, encodeValue(partial, { where }), true, partner),
    );
    if (partner < rank) {
      partial = op.reduceValues(where, incoming, partial);
      result = have ? op.reduceValues(where, incoming, result) : incoming;
      have = true;
    } else {
      partial = op.reduceValues(where, partial, incoming);
    }
  }
  return result;
}

/**
 * Recursive-doubling prefix reduction of a typed array into `result`; `exclusive` leaves rank 0's untouched.
 * `input` may be `result` itself (IN_PLACE).
 */
export async function doublingScanVector(
  channel: Channel,
  input: TypedArray,
  result: TypedArray,
  op: Op,
  exclusive: boolean,
): Promise<void> {
  const { rank, size, where } = channel;
  const partial = copyVector(input);
  const partialBytes = bytesOf(partial);
  if (!exclusive && result !== input) setVector(result, input);
  let have = !exclusive;
  for (let mask = 1; mask < size; mask <<= 1) {
    const partner = rank ^ mask;
    if (partner >= size) continue;
    const incoming = await channel.exchange(partner, partialBytes, false, partner);
    if (partner < rank) {
      combineInto(where, `rank ${partner}`, partial, incoming, op, true);
      if (have) op.reduceVectors(where, receivedVector(incoming, result), result, result);
      else setVector(result, receivedVector(incoming, result));
      have = true;
    } else {
      combineInto(where, `rank ${partner}`, partial, incoming, op, false);
    }
  }
}

/** `scan(obj, op)`: ranks 0..r combined, on rank r. */
export function scanValue<T>(_shape: Shape, obj: T, op: Op): Run<T> {
  return async (channel) => await doublingScanValue(channel, obj, op, false) as T;
}

/** `exscan(obj, op)`: ranks 0..r-1 combined, on rank r; `null` on rank 0. */
export function exscanValue<T>(_shape: Shape, obj: T, op: Op): Run<T | null> {
  return async (channel) => {
    const result = await doublingScanValue(channel, obj, op, true);
    return channel.rank === 0 ? null : result as T;
  };
}

/** `Scan(sendbuf, recvbuf, op)`: ranks 0..r combined element-wise into rank r's `recvbuf` (IN_PLACE allowed). */
export function scanBuffer(_shape: Shape, sendbuf: unknown, recvbuf: unknown, op: Op): Run<void> {
  return prefixBuffer("Scan", sendbuf, recvbuf, op);
}

/** `Exscan(sendbuf, recvbuf, op)`: ranks 0..r-1 combined into rank r's `recvbuf`; rank 0's is left as it was. */
export function exscanBuffer(_shape: Shape, sendbuf: unknown, recvbuf: unknown, op: Op): Run<void> {
  return prefixBuffer("Exscan", sendbuf, recvbuf, op);
}

function prefixBuffer(where: "Scan" | "Exscan", sendbuf: unknown, recvbuf: unknown, op: Op): Run<void> {
  const recv = vectorArg(where, recvbuf, "recvbuf");
  const inPlace = isInPlace(sendbuf);
  const send = inPlace ? recv : vectorArg(where, sendbuf, "sendbuf");
  if (!inPlace) checkPair(where, send, recv);
  op.checkVectorType(where, recv.vector);
  return (channel) => doublingScanVector(channel, send.vector, recv.vector, op, where === "Exscan");
}
