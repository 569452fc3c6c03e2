/**
 * Rank 0 sends a buffer of 3 GiB (more than one frame may carry) to rank 1, by `Send` or (with the argument
 * `ssend`) `Ssend`; rank 1 receives it into a buffer of its own and compares every byte with what was sent,
 * then receives a 3-byte message with the same tag: nothing of the large one may be left over. Each rank
 * prints one line.
 *
 * The content: a block of pseudo-random bytes whose length is no power of two (so chunk boundaries fall
 * anywhere in it), repeated, each copy stamped with its index; filled and compared at memcpy speed.
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import { MPI } from "../../mod.ts";

/** 3 GiB, or the size given as `--bytes=N` (to try the script on less memory). */
const SIZE = Number(process.argv.find((arg) => arg.startsWith("--bytes="))?.slice(8) ?? 3 * 2 ** 30);
const BLOCK = 2 ** 20 + 4093;
const comm = MPI.COMM_WORLD;
const call = process.argv.includes("ssend") ? "Ssend" : "Send";

/** The pseudo-random block every copy starts from. */
function pattern(): Uint8Array {
  const block = new Uint8Array(BLOCK);
  let state = 2463534242;
  for (let i = 0; i < BLOCK; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    block[i] = state & 255;
  }
  return block;
}

/** Copy `index` of the block, as it must be found at `index * BLOCK` (the last one cut at SIZE). */
function expectedBlock(block: Uint8Array, index: number, length: number): Uint8Array {
  const copy = block.slice(0, length);
  new DataView(copy.buffer).setUint32(0, index, true);
  return copy;
}

const block = pattern();
const blocks = Math.ceil(SIZE / BLOCK);
if (comm.rank === 0) {
  const bytes = new Uint8Array(SIZE);
  for (let index = 0; index < blocks; index++) {
    const at = index * BLOCK;
    bytes.set(expectedBlock(block, index, Math.min(BLOCK, SIZE - at)), at);
  }
  await comm[call](bytes, 1, 9);
  await comm.Send(new Uint8Array([1, 2, 3]), 1, 9);
  console.log(`sent ${SIZE} bytes by ${call}`);
} else {
  const status = new MPI.Status();
  const bytes = new Uint8Array(SIZE);
  const started = Date.now();
  await comm.Recv(bytes, 0, 9, status);
  const seconds = (Date.now() - started) / 1000;
  let wrong = 0;
  let firstWrong = -1;
  for (let index = 0; index < blocks; index++) {
    const at = index * BLOCK;
    const length = Math.min(BLOCK, SIZE - at);
    const got = Buffer.from(bytes.buffer, at, length);
    if (Buffer.compare(got, expectedBlock(block, index, length)) !== 0 && wrong++ === 0) firstWrong = index;
  }
  const small = new Uint8Array(16);
  const next = new MPI.Status();
  await comm.Recv(small, 0, 9, next);
  console.log(
    `received ${status.Get_count()} bytes, ${wrong} wrong blocks (first ${firstWrong}), ` +
      `then ${next.Get_count()} bytes: ${Array.from(small.subarray(0, next.Get_count()))}; ` +
      `the receive took ${seconds.toFixed(1)} s`,
  );
}
