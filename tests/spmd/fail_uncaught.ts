/** Rank 1 throws; the others wait for a message that never comes. */
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 1) throw new Error("rank 1 fails on purpose");
await comm.recv(1);
