/**
 * SPMD check of the collectives across hosts (see lib/collectives/hierarchy.ts), run with
 * `MPIRUN_DENO_HOSTNAME` faking several hosts on one machine: Allreduce and Reduce (commutative, and
 * associative but not commutative), Bcast of buffers and values from every root, Barrier; and the hierarchy's
 * shape: during a barrier, only the hosts' leaders send messages, and during a Reduce only one rank per host
 * sends to another host (the ranks of a host meet in shared memory, or by messages among themselves when
 * MPIRUN_DENO_TRANSPORT turns it off). Prints `cco_hosts ok on rank R of N`.
 *
 * ```sh
 * MPIRUN_DENO_HOSTNAME=a,a,b,b mpirun-deno -n 4 tests/spmd/cco_hosts.ts
 * ```
 *
 * @module
 */

import process from "node:process";
import { IN_PLACE, MPI } from "../../mod.ts";
import { collectiveSends, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const hosts = comm.job.hostnames;

for (const count of [1, 1000, 300_000]) {
  const sum = new Float64Array(count);
  await comm.Allreduce(new Float64Array(count).map((_, i) => i + rank), sum, MPI.SUM);
  same(
    [sum[0], sum[count - 1]],
    [size * (size - 1) / 2, (count - 1) * size + size * (size - 1) / 2],
    "Allreduce SUM",
  );
  const inPlace = new Float64Array(count).fill(rank + 1);
  await comm.Allreduce(IN_PLACE, inPlace, MPI.SUM);
  same(inPlace[count - 1], size * (size + 1) / 2, "Allreduce IN_PLACE");
  for (let root = 0; root < size; root++) {
    const reduced = new Float64Array(count).fill(-1);
    await comm.Reduce(
      new Float64Array(count).map((_, i) => i * rank),
      rank === root ? reduced : null,
      MPI.SUM,
      root,
    );
    const expected = rank === root ? [0, (count - 1) * size * (size - 1) / 2] : [-1, -1];
    same([reduced[0], reduced[count - 1]], expected, `Reduce SUM to ${root}`);
    const maximum = new Int32Array(count).fill(rank + root);
    await comm.Reduce(rank === root ? IN_PLACE : maximum, rank === root ? maximum : null, MPI.MAX, root);
    same(maximum[count - 1], rank === root ? size - 1 + root : rank + root, `Reduce IN_PLACE MAX to ${root}`);
  }
  for (let root = 0; root < size; root++) {
    const buffer = new Int32Array(count).fill(rank === root ? root + 7 : -1);
    await comm.Bcast(buffer, root);
    same([buffer[0], buffer[count - 1]], [root + 7, root + 7], `Bcast from ${root}`);
    same(
      await comm.bcast(rank === root ? { root, count } : null, root),
      { root, count },
      `bcast from ${root}`,
    );
  }
}
// Associative but not commutative: the first and the last operand, in rank order.
const first = MPI.Op.Create((x: number, _y: number) => x, false);
const last = MPI.Op.Create((_x: number, y: number) => y, false);
for (const [op, expected] of [[first, 1], [last, size]] as const) {
  const out = new Float64Array(3);
  await comm.Allreduce(new Float64Array(3).fill(rank + 1), out, op);
  same(out[2], expected, "Allreduce in rank order");
  for (const root of new Set([0, Math.floor(size / 2), size - 1])) {
    const reduced = new Float64Array(3);
    await comm.Reduce(new Float64Array(3).fill(rank + 1), rank === root ? reduced : null, op, root);
    if (rank === root) same(reduced[2], expected, `Reduce in rank order to ${root}`);
  }
}

// Who sends what during a barrier: only the first rank of each host, and only to other hosts' first ranks.
const leaders = [...new Set(hosts)].map((host) => hosts.indexOf(host));
const sentTo = await collectiveSends(comm, () => comm.Barrier());
const shared = (process.env.MPIRUN_DENO_TRANSPORT ?? "auto") === "auto";
if (shared && !leaders.includes(rank)) same(sentTo, [], "a host's other ranks send nothing in a barrier");
if (shared && leaders.includes(rank)) {
  same(sentTo.every((peer) => leaders.includes(peer) && peer !== rank), true, "leaders send only to leaders");
}
// During a Reduce, only one rank per host sends to other hosts.
for (const root of [0, size - 1]) {
  const sent = await collectiveSends(
    comm,
    () => comm.Reduce(new Float64Array(4), new Float64Array(4), MPI.SUM, root),
  );
  const across = sent.filter((peer) => hosts[peer] !== hosts[rank]);
  const speakers = await comm.allgather(across.length > 0 ? rank : -1);
  const perHost = new Map<string, number>();
  for (const speaker of speakers) {
    if (speaker >= 0) perHost.set(hosts[speaker], (perHost.get(hosts[speaker]) ?? 0) + 1);
  }
  same(
    [...perHost.values()].every((count) => count === 1),
    true,
    `one rank per host sends across hosts in a Reduce to ${root}`,
  );
}
for (let i = 0; i < 100; i++) await comm.Barrier();
console.log(`cco_hosts ok on rank ${rank} of ${size}`);
