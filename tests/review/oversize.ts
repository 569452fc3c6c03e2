/**
 * Rank 0 tries to send buffers of 2 GiB and of 4 GiB + 100 bytes to rank 1 (by Send, Ssend and Isend):
 * each must be refused with ERR_COUNT and nothing must arrive, never a truncated message. Then a small
 * message goes through, and rank 1 prints what it received.
 */
import { ErrorCode, MPI, MPIError } from "../../mod.ts";

const comm = MPI.COMM_WORLD;
if (comm.rank === 0) {
  for (const size of [2 ** 31, 2 ** 32 + 100]) {
    let buffer: Uint8Array;
    try {
      buffer = new Uint8Array(size);
    } catch (error) {
      // JavaScriptCore (Bun) allocates no typed array of 4 GiB: its send cannot even be tried.
      console.log(`alloc ${size}: skipped: ${(error as Error).message}`);
      continue;
    }
    for (const call of ["Send", "Ssend", "Isend"] as const) {
      try {
        if (call === "Isend") await comm.Isend(buffer, 1, 5).wait();
        else await comm[call](buffer, 1, 5);
        console.log(`${call} ${size}: sent`);
      } catch (error) {
        const code = error instanceof MPIError && error.code === ErrorCode.ERR_COUNT ? "ERR_COUNT" : "other";
        console.log(`${call} ${size}: ${code}: ${(error as Error).message}`);
      }
    }
  }
  await comm.Send(new Uint8Array([1, 2, 3]), 1, 5);
} else {
  const status = new MPI.Status();
  const buffer = new Uint8Array(16);
  await comm.Recv(buffer, 0, 5, status);
  console.log(`received ${status.Get_count()} bytes`);
}
