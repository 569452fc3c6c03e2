/**
 * SPMD check of the collectives across hosts (see lib/collectives/hierarchy.ts), run with
 * `MPIRUN_DENO_HOSTNAME` faking several hosts on one machine: Allreduce (commutative, and associative but not
 * commutative), Bcast of buffers and values from every root, Barrier; and the hierarchy's shape: during a
 * barrier, only the hosts' leaders send messages (the ranks of a host meet in shared memory, or by messages
 * among themselves when MPIRUN_DENO_TRANSPORT turns it off). Prints `cco_hosts ok on rank R of N`.
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
}

// Who sends what during a barrier: only the first rank of each host, and only to other hosts' first ranks.
const leaders = [...new Set(hosts)].map((host) => hosts.indexOf(host));
const sentTo = await collectiveSends(comm, () => comm.Barrier());
const shared = (process.env.MPIRUN_DENO_TRANSPORT ?? "auto") === "auto";
if (shared && !leaders.includes(rank)) same(sentTo, [], "a host's other ranks send nothing in a barrier");
if (shared && leaders.includes(rank)) {
  same(sentTo.every((peer) => leaders.includes(peer) && peer !== rank), true, "leaders send only to leaders");
}
for (let i = 0; i < 100; i++) await comm.Barrier();
console.log(`cco_hosts ok on rank ${rank} of ${size}`);
