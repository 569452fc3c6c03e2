/**
 * Point to point on values, from the mpi4py tutorial: rank 0 sends `{ x: 1, y: 2.0 }` to every other rank
 * with `tag = rank`; each receiver checks what it got.
 *
 * ```sh
 * mpirun-deno -n 4 examples/p2p.ts
 * ```
 *
 * @module
 */

import { MPI } from "mpirun-deno";

const comm = MPI.COMM_WORLD;
const rank = comm.Get_rank();

if (rank === 0) {
  const data = { x: 1, y: 2.0 };
  for (let dest = 1; dest < comm.Get_size(); dest++) await comm.send(data, dest, dest);
  console.log(`rank 0 sent ${JSON.stringify(data)} to ${comm.Get_size() - 1} ranks`);
} else {
  const data = await comm.recv(0, rank);
  if (data.x !== 1 || data.y !== 2.0) throw new Error(`rank ${rank} received ${JSON.stringify(data)}`);
  console.log(`rank ${rank} received ${JSON.stringify(data)} with tag ${rank}`);
}
