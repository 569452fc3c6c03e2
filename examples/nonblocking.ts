/**
 * The same exchange as `p2p.ts` with non-blocking calls: rank 0 starts every `isend` at once and waits for
 * all of them; each receiver posts an `irecv` and waits for it.
 *
 * ```sh
 * mpirun-deno -n 4 examples/nonblocking.ts
 * ```
 *
 * @module
 */

import { MPI } from "mpirun-deno";

const comm = MPI.COMM_WORLD;
const rank = comm.Get_rank();

if (rank === 0) {
  const data = { x: 1, y: 2.0 };
  const requests = [];
  for (let dest = 1; dest < comm.Get_size(); dest++) requests.push(comm.isend(data, dest, dest));
  await MPI.Request.waitall(requests);
  console.log(`rank 0 sent ${JSON.stringify(data)} to ${comm.Get_size() - 1} ranks`);
} else {
  const request = comm.irecv(0, rank);
  const data = await request.wait();
  if (data.x !== 1 || data.y !== 2.0) throw new Error(`rank ${rank} received ${JSON.stringify(data)}`);
  console.log(`rank ${rank} received ${JSON.stringify(data)} with tag ${rank}`);
}
