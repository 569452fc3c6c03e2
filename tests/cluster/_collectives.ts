/**
 * Collectives and locality across hosts: barrier, bcast, allreduce, allgather, then checks that
 * `MPIRUN_DENO_LOCAL_RANK`/`LOCAL_SIZE`, `Get_local_rank()`/`Get_local_size()` and
 * `Split_type(COMM_TYPE_SHARED)` agree with where every rank says it runs. Prints one line per rank:
 * `rank R on HOST local L/S ok`; throws on the first mismatch.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const host = MPI.Get_processor_name();

await comm.barrier();
const greeting = await comm.bcast(rank === 0 ? { from: host, list: [1, 2, 3] } : null, 0);
assert.deepEqual(greeting?.list, [1, 2, 3]);
assert.equal(await comm.allreduce(rank), (size * (size - 1)) / 2);
assert.equal(await comm.allreduce(rank + 1, MPI.MAX), size);
const hosts: string[] = await comm.allgather(host);
assert.equal(hosts[rank], host);

const localRank = hosts.slice(0, rank).filter((name) => name === host).length;
const localSize = hosts.filter((name) => name === host).length;
assert.equal(MPI.Get_local_rank(), localRank, "Get_local_rank");
assert.equal(MPI.Get_local_size(), localSize, "Get_local_size");
assert.equal(process.env.MPIRUN_DENO_RANK, String(rank), "MPIRUN_DENO_RANK");
assert.equal(process.env.MPIRUN_DENO_SIZE, String(size), "MPIRUN_DENO_SIZE");
assert.equal(process.env.MPIRUN_DENO_LOCAL_RANK, String(localRank), "MPIRUN_DENO_LOCAL_RANK");
assert.equal(process.env.MPIRUN_DENO_LOCAL_SIZE, String(localSize), "MPIRUN_DENO_LOCAL_SIZE");
const shared = await comm.Split_type(MPI.COMM_TYPE_SHARED);
assert.equal(shared.size, localSize, "Split_type(COMM_TYPE_SHARED).size");
assert.equal(shared.rank, localRank, "Split_type(COMM_TYPE_SHARED).rank");
const sharedHosts: string[] = await shared.allgather(host);
assert.ok(sharedHosts.every((name) => name === host), `one host per shared communicator: ${sharedHosts}`);
await comm.barrier();
console.log(`rank ${rank} on ${host} local ${localRank}/${localSize} ok`);
