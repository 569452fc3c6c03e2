/**
 * Every rank writes `MIB` MiB (first argument) of numbered lines, `R:SEQ:xxx…` of 100 bytes with the newline,
 * in 64 KiB chunks cut mid-line, each write waiting for its stream's callback: the rank goes only as fast as
 * the launcher reads. The driver reads the launcher's stdout slowly and watches the launcher's memory.
 */
import process from "node:process";
import { comm } from "./_rank.ts";

/** Bytes per line, with the newline (the driver knows it too). */
const LINE_BYTES = 100;
const CHUNK_BYTES = 64 * 1024;

const total = Number(process.argv[2] ?? "64") * 1024 * 1024;
const lines = Math.floor(total / LINE_BYTES);
const encoder = new TextEncoder();
const write = (bytes: Uint8Array) =>
  new Promise<void>((resolve, reject) =>
    process.stdout.write(bytes, (error) => error ? reject(error) : resolve())
  );

let pending = new Uint8Array(0);
let seq = 0;
while (seq < lines) {
  let text = "";
  while (text.length < CHUNK_BYTES && seq < lines) {
    const head = `${comm.rank}:${seq++}:`;
    text += `${head}${"x".repeat(LINE_BYTES - head.length - 1)}\n`;
  }
  const bytes = encoder.encode(text);
  const joined = new Uint8Array(pending.length + bytes.length);
  joined.set(pending);
  joined.set(bytes, pending.length);
  // Keep back the last 37 bytes, so that every write but the last ends mid-line.
  const cut = seq < lines ? joined.length - 37 : joined.length;
  await write(joined.subarray(0, cut));
  pending = joined.slice(cut);
}
await comm.barrier();
