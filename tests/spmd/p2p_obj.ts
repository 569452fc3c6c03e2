/** Point to point on values: every call of SPEC §2, wildcards, ordering and every value type, on any size. */

import { ANY_SOURCE, ANY_TAG, MPI, PROC_NULL, Request, Status } from "../../mod.ts";
import { same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const right = (rank + 1) % size;
const left = (rank - 1 + size) % size;

// Every value type round-trips with its type, around a ring (to self on one rank).
const values: unknown[] = [
  null,
  undefined,
  true,
  false,
  0,
  -1,
  2 ** 31,
  2 ** 53 + 2,
  -0,
  Number.NaN,
  Infinity,
  3.25,
  12345678901234567890n,
  -(2n ** 100n),
  "",
  "héllo wörld ✓",
  "x".repeat(100_000),
  [1, "two", [3, [4]]],
  { x: 1, y: 2.0, nested: { list: [1, 2, 3], flag: false } },
  new Map<unknown, unknown>([["a", 1], [2, new Set([1, 2])]]),
  new Set(["a", "b"]),
  new Date(1_700_000_000_123),
  new Uint8Array([1, 2, 255]),
  new Int8Array([-1, 2]),
  new Uint8ClampedArray([0, 255]),
  new Int16Array([-300, 300]),
  new Uint16Array([65535]),
  new Int32Array([-(2 ** 31)]),
  new Uint32Array([2 ** 32 - 1]),
  new Float32Array([1.5, -2.5]),
  new Float64Array([Math.PI, -0]),
  new BigInt64Array([-(2n ** 63n)]),
  new BigUint64Array([2n ** 64n - 1n]),
  new Float64Array(new ArrayBuffer(80), 8, 3).fill(7),
  { deep: [{ map: new Map([["k", [new Float64Array([1, 2])]]]) }] },
];
for (const [i, value] of values.entries()) {
  const got = await comm.sendrecv(value, right, i, left, i);
  same(got, value, `value #${i} round-trips`);
  if (ArrayBuffer.isView(value)) same(got.constructor, value.constructor, `value #${i} keeps its type`);
}

// send/recv with options objects, status, ANY_SOURCE.
if (rank !== 0) await comm.send({ from: rank }, { dest: 0, tag: 100 });
if (rank === 0) {
  const seen = new Set<number>();
  for (let i = 1; i < size; i++) {
    const status = new Status();
    const message = await comm.recv({ source: ANY_SOURCE, tag: 100, status });
    same(message, { from: status.Get_source() }, "ANY_SOURCE message matches its status");
    same(status.Get_tag(), 100, "status tag");
    same(status.Get_count() > 0, true, "status count in bytes");
    seen.add(status.source);
  }
  same(seen.size, size - 1, "every sender seen once");
}

// ssend completes once matched; issend/irecv/waitall.
if (size > 1) {
  if (rank === 0) await comm.ssend("sync", 1, 5);
  if (rank === 1) same(await comm.recv(0, 5), "sync", "ssend payload");
}
const [, fromLeft] = await Request.waitall([comm.issend(rank, right, 6), comm.irecv(left, 6)]);
same(fromLeft, left, "issend/irecv ring");

// probe and iprobe see the envelope and leave the message to be received.
await comm.send([rank, "probe me"], right, 7);
const probed = await comm.probe(left, 7);
same([probed.source, probed.tag], [left, 7], "probe envelope");
same(await comm.iprobe(left, 7), true, "iprobe after probe");
same(await comm.recv(left, 7), [left, "probe me"], "probed message received");
same(await comm.iprobe(left, 7), false, "iprobe with nothing pending");

// waitany / waitsome / testall / testany.
const ring = [comm.irecv(left, 8), comm.irecv(left, 9)];
await comm.send("eight", right, 8);
const [index, value] = await Request.waitany(ring);
same([index, value], [0, "eight"], "waitany");
await comm.send("nine", right, 9);
const [indices, got] = await Request.waitsome([ring[1]]);
same([indices, got], [[0], ["nine"]], "waitsome");
const [allDone, all] = await Request.testall(ring);
same([allDone, all], [true, ["eight", "nine"]], "testall on complete requests");
const neverSent = comm.irecv(left, 999);
same((await Request.testany([neverSent]))[1], false, "testany on a pending request");
same((await neverSent.test())[0], false, "test on a pending request");
same((await Request.testall([neverSent, ring[0]]))[0], false, "testall with a pending request");
same(neverSent.cancel(), true, "cancel the never-sent receive");
const pending = comm.irecv(left, 10);
await comm.send("ten", right, 10);
same(await pending, "ten", "a request is awaitable");

// A cancelled receive matches nothing; the next receive gets the message.
const cancelled = comm.irecv(left, 11);
same(cancelled.cancel(), true, "cancel a pending receive");
same(await cancelled, undefined, "a cancelled receive resolves with undefined");
same(cancelled.status.Is_cancelled(), true, "status says cancelled");
// Tell the left neighbour the receive is withdrawn; only then does it send tag 11.
await comm.send("withdrawn", left, 12);
await comm.recv(right, 12);
await comm.send("eleven", right, 11);
same(await comm.recv(left, 11), "eleven", "message after a cancelled receive");

// PROC_NULL is a no-op.
await comm.send("nothing", PROC_NULL);
const nullStatus = new Status();
same(await comm.recv(PROC_NULL, ANY_TAG, nullStatus), null, "recv from PROC_NULL");
same(nullStatus.source, PROC_NULL, "PROC_NULL status");

// 10,000 interleaved tagged messages keep MPI's order per (sender, tag) and overall per sender with ANY_TAG.
const COUNT = 10_000;
const sends = [];
for (let i = 0; i < COUNT; i++) sends.push(comm.isend(i, right, i % 4));
const order: number[] = [];
for (let i = 0; i < COUNT / 2; i++) order.push(await comm.recv(left, ANY_TAG));
const byTag: number[][] = [[], [], [], []];
for (let i = COUNT / 2; i < COUNT; i++) {
  const tag = (COUNT / 2 + i) % 4;
  byTag[tag].push(await comm.recv(left, tag));
}
await Request.waitall(sends);
same(order, Array.from({ length: COUNT / 2 }, (_, i) => i), "ANY_TAG keeps the sender's order");
for (let tag = 0; tag < 4; tag++) {
  const expected = [];
  for (let i = COUNT / 2; i < COUNT; i++) if (i % 4 === tag) expected.push(i);
  same(byTag[tag], expected, `tag ${tag} keeps the sender's order`);
}

console.log(`p2p_obj ok on rank ${rank} of ${size}`);
