/** Rank 2 calls Abort(7); the others wait in recv. */
import { MPI } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 2) await comm.Abort(7);
await comm.recv(2);
