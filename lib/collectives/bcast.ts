/**
 * Broadcast: `bcast` (a value) and `Bcast` (the bytes of a buffer).
 *
 * Cost, with p ranks, n bytes, latency a and time per byte b:
 * - binomial tree (values; buffers under `BCAST_LONG_BYTES`): `ceil(log2 p)` rounds, time
 *   `ceil(log2 p) * (a + n b)`; the root sends `ceil(log2 p)` messages, every other rank receives one and
 *   forwards it to its own subtree. A value is encoded once, at the root, and decoded once per rank.
 * - scatter + ring allgather (van de Geijn; long buffers, p > 2): time `(log2 p + p - 1) a + 2 (p-1)/p n b`;
 *   no rank sends more than about `2n` bytes.
 *
 * @module
 */

import { decodeValue, encodeValue } from "../wire/codec.ts";
import { bufferArg, sizeMismatch } from "./buffer_args.ts";
import type { Channel, Run, Shape } from "./channel.ts";
import { hierarchicalBcast } from "./hierarchy.ts";
import { bcastAlgorithm } from "./select.ts";
import { ringAllgather } from "./ring.ts";
import { binomialTree, blockOffsets } from "./topology.ts";

/**
 * Binomial-tree broadcast of bytes from `root`: the root passes its bytes, every rank gets them back (the
 * others as received). `owned` says the root's bytes are never written again.
 */
export async function treeBcast(
  channel: Channel,
  root: number,
  bytes: Uint8Array | undefined,
  owned: boolean,
): Promise<Uint8Array> {
  const node = binomialTree(channel.rank, channel.size, root);
  let data = bytes!;
  if (node.parent >= 0) {
    data = await channel.receive(node.parent);
    owned = true;
  }
  const sends: Promise<void>[] = [];
  // Largest subtree first: it has the most rounds still to go.
  for (let i = node.children.length - 1; i >= 0; i--) {
    sends.push(channel.send(node.children[i].rank, data, owned));
  }
  await Promise.all(sends);
  return data;
}

/** `bcast(obj, root)`: the root's value on every rank (the root gets `obj` itself). */
export function bcastValue<T>(shape: Shape, obj: T, root: number): Run<T> {
  const encoded = shape.rank === root ? encodeValue(obj, { where: "bcast" }) : undefined;
  return async (channel) => {
    const known = channel.knownArena();
    const data = known
      ? await known.bcast(channel, encoded, root)
      : await valueBcastAnyhow(channel, encoded, root);
    return shape.rank === root ? obj : decodeValue(data!) as T;
  };
}

/** A value's broadcast before the region is known, or without one: host by host, or by messages. */
function valueBcastAnyhow(
  channel: Channel,
  encoded: Uint8Array | undefined,
  root: number,
): Promise<Uint8Array | undefined> {
  return channel.viaArena(
    (arena) => arena.bcast(channel, encoded, root),
    () =>
      channel.viaHierarchy(
        (hierarchy) => hierarchicalBcast(channel, hierarchy, encoded, root),
        () => treeBcast(channel, root, encoded, true),
      ),
  );
}

/** `Bcast(buf, root)`: the root's bytes into `buf` on every rank. */
export function bcastBuffer(_shape: Shape, buf: unknown, root: number): Run<void> {
  const bytes = bufferArg("Bcast", buf, "buf").bytes;
  return (channel) => {
    const known = channel.knownArena();
    // Into a buffer, the region's broadcast resolves with nothing (COMPLETED when it ended as it was made).
    return known
      ? known.bcast(channel, bytes, root) as Promise<void>
      : bufferBcastAnyhow(channel, bytes, root);
  };
}

/** A buffer's broadcast before the region is known, or without one: host by host, or by messages. */
function bufferBcastAnyhow(channel: Channel, bytes: Uint8Array, root: number): Promise<void> {
  return channel.viaArena(
    async (arena) => void await arena.bcast(channel, bytes, root),
    () =>
      channel.viaHierarchy(
        async (hierarchy) => void await hierarchicalBcast(channel, hierarchy, bytes, root),
        () => bcastBytes(channel, bytes, root),
      ),
  );
}

/** A buffer's broadcast by messages: a binomial tree, or for long messages a scatter and an allgather. */
async function bcastBytes(channel: Channel, bytes: Uint8Array, root: number): Promise<void> {
  if (bcastAlgorithm(channel.size, bytes.length) === "scatter-allgather") {
    return await scatterAllgather(channel, root, bytes);
  }
  const data = await treeBcast(channel, root, bytes, false);
  if (channel.rank === root) return;
  if (data.length !== bytes.length) {
    throw sizeMismatch("Bcast", `root ${root}`, data.length, bytes.length, "buf");
  }
  bytes.set(data);
}

/**
 * Van de Geijn's long-message broadcast: a binomial scatter of the p blocks (by relative rank), then a ring
 * allgather of them, all in place in `bytes`.
 */
async function scatterAllgather(channel: Channel, root: number, bytes: Uint8Array): Promise<void> {
  const { rank, size } = channel;
  const offsets = blockOffsets(bytes.length, size);
  const node = binomialTree(rank, size, root);
  const range = (first: number, count: number) => bytes.subarray(offsets[first], offsets[first + count]);
  if (node.parent >= 0) {
    const data = await channel.receive(node.parent);
    const mine = range(node.relative, node.subtree);
    if (data.length !== mine.length) throw mismatch(root, data.length, mine.length, bytes.length);
    mine.set(data);
  }
  const sends: Promise<void>[] = [];
  for (let i = node.children.length - 1; i >= 0; i--) {
    const child = node.children[i];
    sends.push(channel.send(child.rank, range(child.relative, child.subtree), false));
  }
  await Promise.all(sends);
  // The ring passes blocks by rank: rank r's block is the one of its relative rank.
  const starts = new Array<number>(size), lengths = new Array<number>(size);
  for (let owner = 0; owner < size; owner++) {
    const relative = (owner - root + size) % size;
    starts[owner] = offsets[relative];
    lengths[owner] = offsets[relative + 1] - offsets[relative];
  }
  await ringAllgather(channel, bytes, starts, lengths);
}

function mismatch(root: number, actual: number, expected: number, total: number) {
  return sizeMismatch(
    "Bcast",
    `a rank on the way from root ${root}`,
    actual,
    expected,
    `this rank's share of buf (is buf ${total} bytes on every rank?)`,
  );
}
