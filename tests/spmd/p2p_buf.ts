/** Point to point on buffers: every typed array type, counts, non-blocking, sendrecv, and 64 MiB intact. */

import { ANY_SOURCE, ErrorCode, MPI, Request, Status } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

const kinds = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
] as const;
for (const [tag, Kind] of kinds.entries()) {
  const out = new Kind(17).map((_, i) => (i * 3 + rank) % 100);
  const into = new Kind(17);
  const status = new Status();
  await comm.Sendrecv(out, right, tag, into, left, tag, status);
  same([...into], [...new Kind(17).map((_, i) => (i * 3 + left) % 100)], `${Kind.name} arrives in place`);
  same(status.Get_count(), out.byteLength, `${Kind.name} status count`);
  same(status.Get_elements(Kind.BYTES_PER_ELEMENT), 17, `${Kind.name} status elements`);
}
const big64 = new BigInt64Array([-1n, 2n ** 62n, BigInt(rank)]);
const got64 = new BigInt64Array(3);
await comm.Sendrecv(big64, right, 20, got64, left, 20);
same(got64[2], BigInt(left), "BigInt64Array");

// [buf, count] sends a prefix; a receive buffer may be longer than the message.
const prefix = new Float64Array([1, 2, 3, 4, 5]);
const roomy = new Float64Array(8).fill(-1);
const request = comm.Irecv(roomy, left, 21);
await comm.Isend([prefix, 3], right, 21);
const prefixStatus = new Status();
await request.wait(prefixStatus);
same([...roomy], [1, 2, 3, -1, -1, -1, -1, -1], "[buf, count] prefix");
same(prefixStatus.Get_count(), 24, "prefix byte count");

// A view into the middle of a larger buffer sends only its own bytes.
const backing = new Float64Array([9, 9, 1, 2, 9, 9]);
const middle = new Float64Array(2);
await comm.Sendrecv(backing.subarray(2, 4), right, 22, middle, left, 22);
same([...middle], [1, 2], "subarray sends only its span");

// ArrayBuffer and Ssend/Issend.
const raw = new Uint8Array([rank, 1, 2, 3]).buffer;
const rawInto = new ArrayBuffer(4);
await Request.waitall([comm.Irecv(rawInto, ANY_SOURCE, 23), comm.Issend(raw, right, 23)]);
same(new Uint8Array(rawInto)[0], left, "ArrayBuffer payload");

// A message longer than the receive buffer is ERR_TRUNCATE, naming both sizes.
await comm.Send(new Float64Array(4), right, 24);
await failsWith(
  () => comm.Recv(new Float64Array(2), left, 24),
  ErrorCode.ERR_TRUNCATE,
  new RegExp(
    `rank ${rank}: Recv: the message from rank ${left} \\(tag 24\\) has 32 bytes, more than the 16 bytes`,
  ),
  "truncation",
);

// Mixing a value send with a buffer receive is a clear error, not garbage.
await comm.send({ a: 1 }, right, 25);
await failsWith(
  () => comm.Recv(new Uint8Array(100), left, 25),
  ErrorCode.ERR_TYPE,
  /sent a value .* with send; receive it with recv/,
  "value into Recv",
);

// 64 MiB round-trips intact between neighbours (rendezvous, chunked on the wire).
const BIG = 8 * 1024 * 1024;
const payload = new Float64Array(BIG);
for (let i = 0; i < BIG; i += 4096) payload[i] = i + rank;
payload[BIG - 1] = -rank;
const received = new Float64Array(BIG);
await comm.Sendrecv(payload, right, 26, received, left, 26);
let intact = received[BIG - 1] === -left;
for (let i = 0; i < BIG && intact; i += 4096) intact = received[i] === i + left;
same(intact, true, "64 MiB arrive intact");

// From 1 MiB on, ranks of one host copy a message together (the sender writes the first half into the
// receiver's buffer, the receiver reads the second; see SHARED_COPY_MIN): every byte, between views at odd
// offsets, three times (the first from a peer is read whole), and nothing written outside the view.
const ODD = 3 * 1024 * 1024 + 11;
for (let round = 0; round < 3; round++) {
  const source = new Uint8Array(ODD + 5).map((_, i) => (i * 7 + rank * 13 + round) & 255);
  const landed = new Uint8Array(ODD + 9).fill(1);
  await comm.Sendrecv(source.subarray(5), right, 28, landed.subarray(4, 4 + ODD), left, 28);
  let whole = landed[3] === 1 && landed[4 + ODD] === 1;
  for (let i = 0; i < ODD && whole; i++) whole = landed[4 + i] === (((i + 5) * 7 + left * 13 + round) & 255);
  same(whole, true, `3 MiB + 11 bytes intact, round ${round}`);
}

// A large view at an offset of its buffer, into a view at another offset, and one too large for its receive
// buffer (ranks of one host read such messages from each other's memory: the same bytes must arrive).
const wide = new Float64Array(40_000).map((_, i) => i + rank / 2);
const landing = new Float64Array(40_010).fill(-1);
await comm.Sendrecv(wide.subarray(7, 30_007), right, 27, landing.subarray(3, 30_003), left, 27);
same(
  [landing[2], landing[3], landing[30_002], landing[30_003]],
  [-1, 7 + left / 2, 30_006 + left / 2, -1],
  "large views",
);
const sending = comm.Issend(wide, right, 28);
await failsWith(
  () => comm.Recv(new Float64Array(10_000), left, 28),
  ErrorCode.ERR_TRUNCATE,
  /has 320000 bytes, more than the 80000 bytes/,
  "large truncation",
);
await sending;

console.log(`p2p_buf ok on rank ${rank} of ${size}`);
