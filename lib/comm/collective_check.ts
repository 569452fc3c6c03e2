/**
 * `MPIRUN_DENO_CHECK_COLLECTIVES=1`: before each collective, its ranks compare what they called (the call,
 * its root and its op). Rank 0 of the communicator collects every rank's call on the collective's own
 * channel, and answers all with the verdict; on a mismatch every rank fails with ERR_ARG naming which ranks
 * called what, instead of a hang or a wrong result. It costs one gather and one broadcast of a few bytes per
 * collective, so it is off unless asked for (a debugging aid, as MPICH's `MPIR_CVAR_COLL_*` checks).
 *
 * The check's messages and the collective's share the channel's tag, and cannot be confused: a rank sends
 * the collective's own messages only after the verdict, which rank 0 sends after it has received every
 * rank's call, and messages between two ranks are never overtaken.
 *
 * @module
 */

import type { Channel, Run } from "../collectives/channel.ts";
import { EnvName, readEnv } from "../env.ts";
import { ErrorCode, mpiError } from "../errors.ts";

/** What a collective call is, as the check compares it (and its `AbortSignal`, not compared). */
export interface CollectiveCall {
  where: string;
  root?: number;
  op?: string;
  signal?: AbortSignal;
}

/** Is the check on in this process? Read once. */
const CHECKING = readEnv(EnvName.CHECK_COLLECTIVES) === "1";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * How a call shows in a mismatch report: `bcast(root=1)`, `allreduce(op=MAX)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeCall } from "./collective_check.ts";
 * assert.equal(describeCall({ where: "reduce", root: 2, op: "SUM" }), "reduce(root=2, op=SUM)");
 * ```
 */
export function describeCall(call: CollectiveCall): string {
  const args = [
    ...(call.root === undefined ? [] : [`root=${call.root}`]),
    ...(call.op === undefined ? [] : [`op=${call.op}`]),
  ];
  return `${call.where}(${args.join(", ")})`;
}

/**
 * `run`, preceded by the check when `MPIRUN_DENO_CHECK_COLLECTIVES=1` (else `run` itself: no cost). `call`
 * is read when the collective runs, after its arguments were checked.
 */
export function withCollectiveCheck<T>(call: CollectiveCall, run: Run<T>, checking = CHECKING): Run<T> {
  return checking ? checked(call, run) : run;
}

/** `run`, once every rank is found to make the same call (apart, so that unchecked calls make no closure). */
function checked<T>(call: CollectiveCall, run: Run<T>): Run<T> {
  return async (channel) => {
    await verify(channel, describeCall(call));
    return run(channel);
  };
}

/**
 * The verdict on every rank's call, indexed by rank: empty when all agree, else which ranks called what.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mismatch } from "./collective_check.ts";
 * assert.equal(mismatch(["bcast(root=0)", "bcast(root=0)"]), "");
 * assert.equal(
 *   mismatch(["bcast(root=0)", "bcast(root=0)", "bcast(root=1)"]),
 *   "ranks 0, 1 called bcast(root=0); rank 2 called bcast(root=1)",
 * );
 * ```
 */
export function mismatch(calls: readonly string[]): string {
  const byCall = new Map<string, number[]>();
  calls.forEach((call, rank) => byCall.set(call, [...byCall.get(call) ?? [], rank]));
  if (byCall.size <= 1) return "";
  return [...byCall].map(([call, ranks]) =>
    `${ranks.length === 1 ? "rank" : "ranks"} ${ranks.join(", ")} called ${call}`
  ).join("; ");
}

async function verify(channel: Channel, mine: string): Promise<void> {
  let verdict: string;
  if (channel.rank === 0) {
    const calls = [mine];
    for (let rank = 1; rank < channel.size; rank++) calls.push(decoder.decode(await channel.receive(rank)));
    verdict = mismatch(calls);
    const bytes = encoder.encode(verdict);
    await Promise.all(Array.from({ length: channel.size - 1 }, (_, i) => channel.send(i + 1, bytes, true)));
  } else {
    await channel.send(0, encoder.encode(mine), true);
    verdict = decoder.decode(await channel.receive(0));
  }
  if (verdict !== "") {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${mine}: the ranks called different collectives (${EnvName.CHECK_COLLECTIVES}=1): ${verdict}`,
    );
  }
}
