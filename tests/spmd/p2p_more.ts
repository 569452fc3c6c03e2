/**
 * The rest of point to point: buffered and ready sends, matched probes (Message), Sendrecv_replace,
 * isendrecv/Isendrecv and their clean-up after a refused send, persistent requests (one started 1,000
 * times), Start/Startall/Cancel on them, and their argument errors. Works on 1 rank too (everyone's
 * neighbour is then itself).
 */

import { ErrorCode, MPI, Prequest, PROC_NULL, Request, Status } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

// ---- Buffered sends: complete before any receive is posted, copy the data, and are bounded by the buffer.
await failsWith(
  () => comm.bsend(1, right, 1),
  ErrorCode.ERR_BUFFER,
  /bsend: no buffer is attached/,
  "no buffer",
);
const BIG = 1 << 20; // beyond the eager limit: a standard Send of it would wait for the receive
const attached = new Uint8Array(BIG + 1024 + 3 * MPI.BSEND_OVERHEAD);
MPI.Attach_buffer(attached);
await failsWith(
  () => MPI.Attach_buffer(new Uint8Array(8)),
  ErrorCode.ERR_BUFFER,
  /Attach_buffer: a buffer of \d+ bytes is attached already/,
  "second Attach_buffer",
);
const bigOut = new Uint8Array(BIG).fill(rank + 1);
await comm.Bsend(bigOut, right, 30); // completes with no receive posted anywhere yet
bigOut.fill(99); // the message was copied: this does not change it
await comm.bsend({ from: rank }, right, 31);
await failsWith(
  () => comm.Bsend(new Uint8Array(4096), right, 32),
  ErrorCode.ERR_BUFFER,
  /Bsend: the attached buffer has \d+ of its \d+ bytes free, and this message needs 4160/,
  "Bsend beyond the attached buffer",
);
await comm.barrier(); // every buffered send completed before any rank posted its receive
const bigIn = new Uint8Array(BIG);
await comm.Recv(bigIn, left, 30);
same(bigIn.every((byte) => byte === left + 1), true, "Bsend delivers the bytes as they were when sent");
same(await comm.recv(left, 31), { from: left }, "bsend delivers the value");
same(await MPI.Detach_buffer(), attached, "Detach_buffer gives the attached buffer back");
await failsWith(() => MPI.Detach_buffer(), ErrorCode.ERR_BUFFER, /no buffer is attached/, "second Detach");

// ---- Ready sends: with the receive posted; without it (a standard send here, as in Open MPI).
const readyIn = new Int32Array(2);
const readyRecv = comm.Irecv(readyIn, left, 33);
await comm.barrier();
await comm.Rsend(Int32Array.of(rank, 7), right, 33);
await readyRecv;
same([...readyIn], [left, 7], "Rsend with the receive posted");
await comm.Irsend(Int32Array.of(rank, 8), right, 34).wait();
await comm.Recv(readyIn, left, 34);
same([...readyIn], [left, 8], "Rsend without a posted receive works as a send");

// ---- Matched probes: the message leaves matching; only its Message receives it.
await comm.send("first", right, 40);
await comm.send("second", right, 40);
const probed = new Status();
same((await comm.Probe(left, 40)).Get_tag(), 40, "Probe");
same(await comm.Iprobe(left, 40), true, "Iprobe");
const first = await comm.mprobe(left, 40, probed);
same([probed.Get_source(), probed.Get_tag()], [left, 40], "mprobe fills the status");
same(await comm.recv(left, 40), "second", "a receive after mprobe cannot take the probed message");
same(await first.recv(), "first", "Message.recv gets the probed message");
await failsWith(() => first.recv(), ErrorCode.ERR_ARG, /already been received/, "second Message.recv");

await comm.Send(Float64Array.of(rank, 0.5), right, 41);
const elements = new Status();
const floats = await comm.Mprobe({ source: left, tag: 41, status: elements });
same(elements.Get_elements(Float64Array.BYTES_PER_ELEMENT), 2, "Get_elements of a probed buffer message");
const floatsIn = new Float64Array(2);
await floats.Recv(floatsIn);
same([...floatsIn], [left, 0.5], "Message.Recv");

// A rendezvous-sized message received through its Message, into the caller's buffer.
const largeOut = Float64Array.from({ length: 1 << 18 }, (_, i) => i + rank);
const largeSend = comm.Isend(largeOut, right, 42);
const large = await comm.Mprobe(left, 42);
const largeIn = new Float64Array(1 << 18);
const largeRecv = large.Irecv(largeIn);
await Request.waitall([largeRecv, largeSend]);
same(largeIn[12345], 12345 + left, "Message.Irecv of a large message");
same(largeRecv.status.Get_count(), largeOut.byteLength, "Message.Irecv status count");

same(await comm.improbe(left, 43), null, "improbe with nothing there");
await comm.barrier(); // nobody sends tag 43 before this
await comm.send({ tag: 43, from: rank }, right, 43);
let later = await comm.improbe(left, 43);
while (later === null) later = await comm.Improbe(left, 43);
same(await later.irecv(), { tag: 43, from: left }, "Message.irecv after improbe");
const none = await comm.mprobe(PROC_NULL);
same(await none.recv(), null, "the message of PROC_NULL receives null");
await failsWith(() => comm.mprobe(size + 2), ErrorCode.ERR_RANK, /mprobe: source/, "mprobe bad source");

// ---- Sendrecv_replace, isendrecv, Isendrecv, Isendrecv_replace.
const replace = Int32Array.of(rank, 2 * rank);
const replaced = new Status();
await comm.Sendrecv_replace(replace, right, 50, left, 50, replaced);
same([...replace], [left, 2 * left], "Sendrecv_replace");
same(replaced.Get_source(), left, "Sendrecv_replace status");
await comm.Isendrecv_replace(replace, right, 51, left, 51).wait();
same([...replace], [(left - 1 + size) % size, 2 * ((left - 1 + size) % size)], "Isendrecv_replace");
same(await comm.isendrecv({ r: rank }, right, 52, left, 52), { r: left }, "isendrecv");
same(
  await comm.isendrecv(rank, { dest: right, sendtag: 53, source: left, recvtag: 53 }),
  left,
  "isendrecv with named arguments",
);
const pairIn = new Int16Array(1);
const pair = comm.Isendrecv(Int16Array.of(rank), right, 54, pairIn, left, 54);
await pair;
same([pairIn[0], pair.status.Get_source(), pair.status.Get_tag()], [left, left, 54], "Isendrecv");

// ---- A refused send half withdraws the posted receive: the next message with that source and tag arrives.
await failsWith(
  () => comm.isendrecv(() => 1, right, 55, left, 55),
  ErrorCode.ERR_TYPE,
  /isendrecv: value is a function/,
  "isendrecv with an unsendable value",
);
await failsWith(
  () => comm.Isendrecv(Int8Array.of(1), size + 1, 56, new Int8Array(1), left, 56),
  ErrorCode.ERR_RANK,
  /Isendrecv: dest/,
  "Isendrecv with a bad dest",
);
await failsWith(
  () => comm.Sendrecv_replace(Int8Array.of(1), right, -5, left, 57),
  ErrorCode.ERR_TAG,
  /Sendrecv_replace: tag/,
  "Sendrecv_replace with a bad send tag",
);
for (const tag of [55, 56, 57]) {
  await comm.send(`after ${tag}`, right, tag);
  same(await comm.recv(left, tag), `after ${tag}`, `tag ${tag} after a refused send half`);
}

// ---- Persistent requests: a pair to this rank itself started 1,000 times, then a ring started 50 times;
// each start sends the buffer's current contents.
const out = new Int32Array(1);
const into = new Int32Array(1);
const selfReceive = comm.Recv_init(into, rank, 59);
const selfSend = comm.Send_init(out, rank, 59);
same(selfSend instanceof Prequest, true, "Send_init makes a Prequest");
await selfReceive.wait(); // inactive: returns at once
for (let i = 0; i < 1000; i++) {
  out[0] = i;
  Prequest.Startall([selfReceive, selfSend]);
  await Request.Waitall([selfReceive, selfSend]);
  if (into[0] !== i) same(into[0], i, `persistent self-message, start ${i}`);
}
const receive = comm.Recv_init(into, left, 60);
const send = comm.Send_init(out, right, 60);
for (let i = 0; i < 50; i++) {
  out[0] = i * size + rank;
  Prequest.Startall([receive, send]);
  await Request.Waitall([receive, send]);
  if (into[0] !== i * size + left) same(into[0], i * size + left, `persistent ring, start ${i}`);
}
same(receive.status.Get_source(), left, "persistent receive status");
for (
  const [name, make] of [
    ["Ssend_init", () => comm.Ssend_init(out, { dest: right, tag: 61 })],
    ["Rsend_init", () => comm.Rsend_init(out, right, 61)],
  ] as const
) {
  const request = make();
  const incoming = comm.Recv_init(into, { source: left, tag: 61 });
  for (let i = 0; i < 3; i++) {
    out[0] = 100 * i + rank;
    MPI.Request.Startall([incoming, request]);
    await Promise.all([incoming, request]);
    same(into[0], 100 * i + left, `${name}, start ${i}`);
  }
}
MPI.Attach_buffer(new ArrayBuffer(8 * (8 + MPI.BSEND_OVERHEAD)));
const buffered = comm.Bsend_init(out, right, 62);
for (let i = 0; i < 3; i++) {
  out[0] = 1000 + i;
  buffered.Start();
  await buffered;
  await comm.Recv(into, left, 62);
  same(into[0], 1000 + i, `Bsend_init, start ${i}`);
}
await comm.ibsend("ib", right, 65).Wait();
const ib = comm.Ibsend(Int32Array.of(rank), right, 66);
same((await ib.Test())[0], true, "Ibsend is complete at once");
same(await comm.recv(left, 65), "ib", "ibsend");
await comm.Recv(into, left, 66);
same(into[0], left, "Ibsend");
await MPI.Detach_buffer();
await Promise.all([comm.Ssend(Int32Array.of(rank), right, 67), comm.Recv(into, left, 67)]);
same(into[0], left, "Ssend");
const some = [comm.isend(1, right, 68), comm.irecv(left, 68)];
await Request.Waitall(some);
same((await Request.Testsome(some))[0], [0, 1], "Testsome of complete requests");

// Start while active is refused; a cancelled persistent receive withdraws cleanly and can start again.
const pending = comm.Recv_init(into, left, 63);
pending.Start();
await failsWith(() => pending.Start(), ErrorCode.ERR_ARG, /Recv_init is still active/, "Start while active");
same(pending.Cancel(), true, "Cancel of a pending persistent receive");
await pending;
same(pending.status.Is_cancelled(), true, "Is_cancelled after Cancel");
await comm.barrier(); // nobody sends tag 63 before this
pending.Start();
await comm.Send(Int32Array.of(63 + rank), right, 63);
await pending;
same([into[0], pending.status.Is_cancelled()], [63 + left, false], "restart after a cancel");
const plainCancel = comm.Irecv(new Int32Array(1), left, 64);
same(plainCancel.Cancel(), true, "Cancel of a pending Irecv");
await plainCancel;
same(plainCancel.status.Is_cancelled(), true, "Irecv Is_cancelled");
await comm.barrier(); // nobody sends tag 64 before this
await comm.send("sixty-four", right, 64);
same(await comm.recv(left, 64), "sixty-four", "a message after a cancelled receive");

// Bad arguments are refused when the request is made, naming the argument.
await failsWith(() => comm.Send_init(out, size + 3), ErrorCode.ERR_RANK, /Send_init: dest/, "Send_init dest");
await failsWith(() => comm.Recv_init(into, left, -7), ErrorCode.ERR_TAG, /Recv_init: tag/, "Recv_init tag");
await failsWith(
  () => comm.Ssend_init("text" as unknown as Int8Array, right),
  ErrorCode.ERR_TYPE,
  /Ssend_init: buf must be/,
  "Ssend_init buf",
);
await failsWith(
  () => MPI.Request.Startall([receive, comm.irecv(PROC_NULL)]),
  ErrorCode.ERR_ARG,
  /Startall: requests\[1\] is not a persistent request/,
  "Startall of a plain request",
);

console.log(`p2p_more ok on rank ${rank} of ${size}`);
