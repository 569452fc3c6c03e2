/** Every error code point to point can raise, at the caller, with a message naming rank and argument. */

import { ANY_TAG, ErrorCode, MPI } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;

await failsWith(
  () => comm.send(1, size),
  ErrorCode.ERR_RANK,
  new RegExp(`^rank ${rank}: send: dest ${size} is out of range for a communicator of size ${size}$`),
  "dest too large",
);
await failsWith(() => comm.send(1, -7), ErrorCode.ERR_RANK, /send: dest -7 is out of range/, "negative dest");
await failsWith(
  () => comm.recv(size + 3),
  ErrorCode.ERR_RANK,
  /recv: source \d+ is out of range/,
  "source too large",
);
await failsWith(
  () => comm.send(1, 0, -1),
  ErrorCode.ERR_TAG,
  /send: tag -1 is not in 0\.\.2147483647/,
  "negative tag",
);
await failsWith(() => comm.send(1, 0, 2 ** 31), ErrorCode.ERR_TAG, /send: tag 2147483648/, "tag too large");
await failsWith(() => comm.isend(1, 0, 1.5), ErrorCode.ERR_TAG, /isend: tag 1.5/, "fractional tag");
await failsWith(
  () => comm.recv(0, -5),
  ErrorCode.ERR_TAG,
  /recv: tag -5 is not in 0\.\.2147483647 nor ANY_TAG/,
  "bad recv tag",
);
await failsWith(() => comm.send(() => 1, 0), ErrorCode.ERR_TYPE, /send: value is a function/, "function");
class Point {
  constructor(public x: number) {}
}
await failsWith(
  () => comm.send({ p: new Point(1) }, 0),
  ErrorCode.ERR_TYPE,
  /send: value\.p is an instance of Point/,
  "class instance",
);
await failsWith(
  () => comm.send(1, { dest: 0, tga: 3 } as never),
  ErrorCode.ERR_ARG,
  /send: unknown option "tga"/,
  "misspelt option",
);
await failsWith(
  () => comm.Send([new Float64Array(2), 3], 0),
  ErrorCode.ERR_COUNT,
  /Send: buf count 3 does not fit a buffer of 2 elements/,
  "count too large",
);
await failsWith(
  // @ts-expect-error: a plain array is no buffer, which the types say too
  () => comm.Send([1, 2, 3], 0),
  ErrorCode.ERR_TYPE,
  /Send: buf must be a TypedArray/,
  "array as buffer",
);
await failsWith(
  // @ts-expect-error: a string is no buffer, which the types say too
  () => comm.Recv("x", 0, ANY_TAG),
  ErrorCode.ERR_TYPE,
  /Recv: buf must be a TypedArray/,
  "string as buffer",
);

// A send-receive whose send half is refused leaves no receive behind: the next message with the same source
// and tag goes to the receive that asks for it next (before the fix, the orphaned receive swallowed it).
const right = (rank + 1) % size;
const left = (rank + size - 1) % size;
await failsWith(
  () => comm.sendrecv(() => 1, right, 40, left, 40),
  ErrorCode.ERR_TYPE,
  /sendrecv: value is a function/,
  "sendrecv with an unsendable value",
);
await failsWith(
  // @ts-expect-error: a plain array is no buffer, which the types say too
  () => comm.Sendrecv([1, 2], right, 41, new Int32Array(2), left, 41),
  ErrorCode.ERR_TYPE,
  /Sendrecv: buf must be a TypedArray/,
  "Sendrecv with a plain array to send",
);
await failsWith(
  () => comm.sendrecv("x", size, 42, left, 42),
  ErrorCode.ERR_RANK,
  /sendrecv: dest \d+ is out of range/,
  "sendrecv to a dest out of range",
);
await Promise.all([
  comm.send(`after refusals from ${rank}`, right, 40),
  comm.Send(Int32Array.of(rank, 7), right, 41),
  comm.send(`and ${rank} again`, right, 42),
]);
same(await comm.recv(left, 40), `after refusals from ${left}`, "the value after a refused sendrecv");
const after = new Int32Array(2);
await comm.Recv(after, left, 41);
same(after, Int32Array.of(left, 7), "the buffer after a refused Sendrecv");
same(await comm.recv(left, 42), `and ${left} again`, "the value after a sendrecv to a bad dest");
// A refused receive half sends nothing: had it sent, the next receive would get "stray".
await failsWith(
  () => comm.sendrecv("stray", right, 43, size + 1, 43),
  ErrorCode.ERR_RANK,
  /sendrecv: source \d+ is out of range/,
  "sendrecv from a source out of range",
);
await Promise.all([
  comm.send("expected", right, 43),
  (async () => {
    same(await comm.recv(left, 43), "expected", "the message after a sendrecv with a bad source");
  })(),
]);

console.log(`errors_p2p ok on rank ${rank} of ${size}`);
