/**
 * Rank 0 stops in the middle of a line for 400 ms while rank 1 writes whole lines: rank 0's half line must not
 * be forwarded on its own, or rank 1's next line would continue it. With the argument `long`, rank 0 then
 * writes one line of 3 MiB, which the launcher forwards in pieces and says so once.
 */
import process from "node:process";
import { comm, ready } from "./_rank.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const write = (text: string) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve()));

await ready();
await comm.barrier();
if (comm.rank === 0) {
  await write("0:first half,");
  await sleep(400);
  await write(" second half\n");
} else {
  for (let i = 0; i < 20; i++) {
    await write(`${comm.rank}:line ${i}\n`);
    await sleep(20);
  }
}
await comm.barrier();
if (comm.rank === 0 && process.argv[2] === "long") await write(`0:long:${"y".repeat(3 * 1024 * 1024)}\n`);
await comm.barrier();
