/**
 * Rank 0 starts 200 sends to rank 1 without waiting for them and exits at once: the sends cannot all go out,
 * and rank 0 must say so on stderr instead of losing them silently. Rank 1 only waits for the end.
 */
import process from "node:process";
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  for (let i = 0; i < 200; i++) comm.send({ i }, 1, 2).catch(() => {});
  process.exit(0);
}
