/**
 * A rank of another host that ends normally is no failure: on hosts a,a,b,b, rank 1 (host a) sends rank 3
 * (host b) a message, so the two are connected, takes part in a broadcast from rank 0 and ends at once. Rank 3
 * waits in that broadcast in host b's shared memory until its leader, rank 2, arrives a second later. Rank 3
 * must get the value: rank 1's end does not concern a wait among host b's ranks.
 *
 * With `skip`, the other ranks go on to a barrier that rank 1 never joins: they wait for it there, across
 * hosts, and the job must end, naming rank 1, not hang.
 *
 * ```sh
 * MPIRUN_DENO_HOSTNAME=a,a,b,b mpirun-deno -n 4 tests/faults/review_remote_finished.ts [skip]
 * ```
 */
import process from "node:process";
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 1) await comm.send("hello", 3, 7);
if (comm.rank === 3) await comm.recv(1, 7);
if (comm.rank === 2) await new Promise((resolve) => setTimeout(resolve, 1000));
const value = await comm.bcast(comm.rank === 0 ? "from rank 0" : null, 0);
console.log(`got:${value}`);
// With `skip`, every rank but rank 1 goes on to a barrier.
if (process.argv.includes("skip") && comm.rank !== 1) await comm.barrier();
