/**
 * SPMD check of `Split_type(COMM_TYPE_SHARED)` when ranks span hosts. Run it with a faked host per rank
 * (`MPIRUN_DENO_HOSTNAME=a,b,a`: rank r takes item r modulo the count); each rank prints the world ranks of
 * its host's communicator, for the driver to check against the host table it chose, then the same for the
 * odd and even halves of the world.
 *
 * ```sh
 * MPIRUN_DENO_HOSTNAME=a,b,a mpirun-deno -n 5 tests/spmd/comm_split_type.ts
 * ```
 *
 * @module
 */

import { COMM_TYPE_SHARED, MPI } from "../../mod.ts";
import { same } from "./_check.ts";

const world = MPI.COMM_WORLD;
const { rank, size } = world;

const node = await world.Split_type(COMM_TYPE_SHARED);
const members = await node.allgather(rank);
console.log(`host ${MPI.Get_processor_name()}: ${members.join(",")}`);
same(await node.allreduce(1), members.length, "allreduce on the host's communicator");
same([node.rank, node.size], [MPI.Get_local_rank(), MPI.Get_local_size()], "local rank and size");

// Keys reorder the ranks of a host: the highest world rank first.
const backwards = await world.Split_type(COMM_TYPE_SHARED, { key: -rank });
same(await backwards.allgather(rank), [...members].reverse(), "Split_type keyed by -rank");

// On a sub-communicator: the parity halves, each split by host.
const half = await world.Split(rank % 2);
const halfNode = await half.split_type(COMM_TYPE_SHARED);
console.log(
  `half ${rank % 2} host ${MPI.Get_processor_name()}: ${(await halfNode.allgather(rank)).join(",")}`,
);

console.log(`comm_split_type ok on rank ${rank} of ${size}`);
