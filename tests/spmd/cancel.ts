/**
 * Cancellation with an AbortSignal (run on 2 or more ranks): a cancelled receive, probe or wait is withdrawn
 * and the message it waited for goes to the next receive; a cancelled collective leaves its communicator
 * without collectives; a signal that is not an AbortSignal is ERR_ARG. Prints `cancel ok on rank R of N`.
 */

import { ErrorCode, MPI, Status } from "../../mod.ts";
import { failsWith, same } from "./_check.ts";

const comm = MPI.COMM_WORLD;
const { rank, size } = comm;
const GO = 100;

/** Rank 1 sends `value` with `tag` once rank 0 says so: rank 0 cancels its receive before it can arrive. */
async function sendWhenAsked(): Promise<void> {
  const { tag, value, buffer } = await comm.recv(0, GO);
  if (buffer) await comm.Send(Float64Array.of(value), 0, tag);
  else await comm.send(value, 0, tag);
}

const dup = await comm.Dup();
if (rank === 0) {
  // recv: a timeout cancels it; the message sent afterwards goes to the next receive.
  await failsWith(
    () => comm.recv({ source: 1, tag: 4, signal: AbortSignal.timeout(100) }),
    ErrorCode.ERR_CANCELLED,
    /recv\(source=1, tag=4\) on COMM_WORLD was cancelled by its signal \(TimeoutError/,
    "recv cancelled by a timeout",
  );
  await comm.send({ tag: 4, value: "first" }, 1, GO);
  same(await comm.recv({ source: 1, tag: 4 }), "first", "the next recv gets the message");

  // A signal aborted before the call: the call is not even posted.
  await failsWith(
    () => comm.recv({ source: 1, tag: 4, signal: AbortSignal.abort("stop") }),
    ErrorCode.ERR_CANCELLED,
    /recv\(source=1, tag=4\) on COMM_WORLD was cancelled by its signal \("stop"\)/,
    "recv with an aborted signal",
  );

  // Recv into a buffer, then probe.
  const controller = new AbortController();
  const pending = comm.Recv(new Float64Array(1), { source: 1, tag: 5, signal: controller.signal });
  controller.abort();
  await failsWith(() => pending, ErrorCode.ERR_CANCELLED, /Recv\(source=1, tag=5\)/, "Recv cancelled");
  await failsWith(
    () => comm.probe({ source: 1, tag: 5, signal: AbortSignal.timeout(50) }),
    ErrorCode.ERR_CANCELLED,
    /probe\(source=1, tag=5\) on COMM_WORLD was cancelled/,
    "probe cancelled",
  );
  await comm.send({ tag: 5, value: 2.5, buffer: true }, 1, GO);
  const status = new Status();
  await comm.probe({ source: 1, tag: 5, status });
  same([status.source, status.tag], [1, 5], "a probe after the cancelled one sees the message");
  const got = new Float64Array(1);
  await comm.Recv(got, { source: 1, tag: 5 });
  same(got[0], 2.5, "the next Recv gets the buffer");

  // Request.wait with a signal withdraws the receive; irecv with a signal fails its request.
  const request = comm.irecv(1, 6);
  await failsWith(
    () => request.wait({ signal: AbortSignal.timeout(50) }),
    ErrorCode.ERR_CANCELLED,
    /wait was cancelled/,
    "wait cancelled",
  );
  same(request.status.Is_cancelled(), true, "the waited receive is withdrawn");
  const late = new AbortController();
  const withSignal = comm.irecv({ source: 1, tag: 6, signal: late.signal });
  late.abort();
  await failsWith(() => withSignal.wait(), ErrorCode.ERR_CANCELLED, /irecv\(source=1, tag=6\)/, "irecv");
  await comm.send({ tag: 6, value: "third" }, 1, GO);
  same(await comm.recv(1, 6), "third", "the recv after two cancelled ones gets the message");

  // Bad signals name the call and the argument.
  await failsWith(
    () => comm.recv({ source: 1, tag: 4, signal: 300 as unknown as AbortSignal }),
    ErrorCode.ERR_ARG,
    /recv: signal 300 is not an AbortSignal/,
    "a number as signal",
  );
  await failsWith(
    () => comm.barrier({ signal: "soon" as unknown as AbortSignal }),
    ErrorCode.ERR_ARG,
    /barrier: signal "soon" is not an AbortSignal/,
    "a string as signal",
  );

  // A collective nobody else joins: cancelled, it leaves `dup` without collectives, with a clear error.
  await failsWith(
    () => dup.bcast(null, { root: 1, signal: AbortSignal.timeout(100) }),
    ErrorCode.ERR_CANCELLED,
    /bcast \(collective #\d+\) on Dup\(COMM_WORLD\) was cancelled/,
    "bcast cancelled",
  );
  await failsWith(
    () => dup.allreduce(1),
    ErrorCode.ERR_COMM,
    /allreduce: communicator Dup\(COMM_WORLD\) can no longer run collectives: its bcast \(collective #\d+\) was cancelled/,
    "collectives after a cancelled one",
  );
  // Point to point on it still works.
  await dup.send("still here", 1, 9);
} else if (rank === 1) {
  await sendWhenAsked();
  await sendWhenAsked();
  await sendWhenAsked();
  same(await dup.recv(0, 9), "still here", "p2p on a communicator whose collective was cancelled");
}
// A collective that completes before its signal aborts is not affected.
same(await comm.allreduce(1, { signal: AbortSignal.timeout(60_000) }), size, "allreduce with a signal");
await comm.barrier({ signal: new AbortController().signal });
console.log(`cancel ok on rank ${rank} of ${size}`);
