/** Rank 0 knocks on rank 1's port as a stranger (wrong token, then garbage); the job must still complete. */

import { connect } from "../../lib/runtime/node_net.ts";
import { Connection } from "../../lib/transport/connection.ts";
import { connectHandshake, newToken, parseToken } from "../../lib/transport/handshake.ts";
import { world } from "../../lib/comm/world.ts";
import { MPI } from "../../mod.ts";
import { same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  const { host, port } = world.peers[1];
  const impostor = new Connection(await connect(host, port));
  await connectHandshake(impostor, parseToken(newToken()), 2, 1).then(
    () => {
      throw new Error("a wrong token was accepted");
    },
    () => {},
  );
  const garbage = await connect(host, port);
  garbage.write(
    new TextEncoder().encode("\x00\x01garbage that is no handshake at all, and long enough".repeat(2)),
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  garbage.destroy();
}
await MPI.COMM_WORLD.barrier?.();
const right = (comm.rank + 1) % comm.size;
const left = (comm.rank - 1 + comm.size) % comm.size;
same(await comm.sendrecv(comm.rank, right, 0, left, 0), left, "ring after the strangers");
console.log(`stranger ok on rank ${comm.rank} of ${comm.size}`);
