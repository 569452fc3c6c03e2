/**
 * A rank that ends normally is no failure: rank 0 waits in recv(ANY_SOURCE) while rank 2 finishes its
 * script at once and exits 0; rank 1 sends the message a second later. Every rank must exit 0.
 */
import { ANY_SOURCE, MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  const message = await comm.recv(ANY_SOURCE, 9);
  console.log(`got:${message}`);
} else if (comm.rank === 1) {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await comm.send("from rank 1", 0, 9);
}
