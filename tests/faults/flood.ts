/**
 * Every rank writes 1 MiB of numbered lines (`R:SEQ:xxx…`) in chunks cut mid-line, all ranks at once, then
 * calls process.exit at once: the launcher must deliver every line whole and none mixed with another rank's.
 */
import process from "node:process";
import { comm, ready } from "./_rank.ts";

/** Lines each rank writes, and their length with the newline (the driver knows them too). */
const LINES = 8192;
const LINE_BYTES = 128;

await ready();
await comm.barrier();
let text = "";
for (let seq = 0; seq < LINES; seq++) {
  const head = `${comm.rank}:${seq}:`;
  text += `${head}${"x".repeat(LINE_BYTES - head.length - 1)}\n`;
}
// Chunk sizes that are not multiples of the line length, so that most writes end mid-line.
for (let offset = 0, size = 1000; offset < text.length; offset += size, size = size % 7919 + 997) {
  process.stdout.write(text.slice(offset, offset + size));
}
process.exit(0);
