/**
 * A sender far ahead of its receiver: rank 0 sends 256 MiB in 64 KiB messages while rank 1 sleeps. The
 * receiver's memory must stay bounded by the eager window, not grow with what was sent. Prints the figures.
 */

import process from "node:process";
import { MPI } from "../../mod.ts";
import { same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const MESSAGE = 64 * 1024;
const COUNT = 4096;
// Both ranks are connected and started before the receiver takes its first figure: what its memory does
// while starting up is not what the test measures.
await comm.Barrier();
if (comm.size >= 2 && comm.rank <= 1) {
  if (comm.rank === 0) {
    const message = new Uint8Array(MESSAGE).fill(7);
    const start = MPI.Wtime();
    for (let i = 0; i < COUNT; i++) await comm.Send(message, 1, i % 8);
    console.log(`sender: ${COUNT} x ${MESSAGE} bytes in ${(MPI.Wtime() - start).toFixed(2)} s`);
  } else {
    const before = process.memoryUsage().rss;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const during = process.memoryUsage().rss;
    const into = new Uint8Array(MESSAGE);
    for (let i = 0; i < COUNT; i++) await comm.Recv(into, 0, i % 8);
    same(into[MESSAGE - 1], 7, "last message intact");
    const grew = (during - before) / 2 ** 20;
    console.log(
      `receiver: rss grew ${grew.toFixed(1)} MiB (${(before / 2 ** 20).toFixed(1)} to ${
        (during / 2 ** 20).toFixed(1)
      } MiB) while its sender tried to run ahead by ${(COUNT * MESSAGE) / 2 ** 20} MiB`,
    );
    if (grew > 48) throw new Error(`rank 1: memory grew ${grew.toFixed(1)} MiB while its sender ran ahead`);
  }
}
