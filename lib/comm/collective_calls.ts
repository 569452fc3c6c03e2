/**
 * How `Comm` runs a collective: the trailing arguments (`root`, `op`, positional or as an options object)
 * are normalised and checked before anything is sent, then the call takes the next channel of the
 * communicator's collective sequence and is tracked for hang reports. The algorithms are in `collectives/`.
 *
 * @module
 */

import { type Channel, Collectives, type Run, type Shape } from "../collectives/channel.ts";
import { type Op, type OpLike, SUM, toOp } from "../collectives/ops.ts";
import { withWriteBacks } from "../datatypes/staging.ts";
import { brokenCollectives, checkSignal, raceSignal } from "../p2p/cancellation.ts";
import { COMPLETED } from "../p2p/completed.ts";
import { checkRoot, isOptions, namedArg, namedArgs } from "./args.ts";
import { type CollectiveCall, withCollectiveCheck } from "./collective_check.ts";
import { type CommCore, trim } from "./core.ts";

const ROOT_NAMES = ["root", "signal"] as const;
const OP_NAMES = ["op", "signal"] as const;
const REDUCE_NAMES = ["op", "root", "signal"] as const;
const REDUCE_SCATTER_NAMES = ["recvcounts", "op", "signal"] as const;
const SIGNAL_NAMES = ["signal"] as const;

/**
 * Checks a collective's arguments (`prepare` throws before anything is sent, and then the call takes no
 * sequence number), then runs it on the next channel of the communicator's collective sequence. `prepare`
 * may name an `AbortSignal` (see {@linkcode signalOf}): a collective it cancels rejects with ERR_CANCELLED
 * and leaves the communicator without collectives (MPI cannot withdraw one that other ranks have joined).
 * `prepare` is called with `first` and `second`, so that a caller can hand it its arguments without making
 * a closure per call.
 */
export function collective<T, A = undefined, B = undefined>(
  core: CommCore,
  where: string,
  raw: boolean,
  prepare: (shape: Shape, call: CollectiveCall, first: A, second: B) => Run<T>,
  first?: A,
  second?: B,
): Promise<T> {
  let run: Run<T>;
  const call: Preparing<T, A, B> = { where, prepare, first: first as A, second: second as B };
  try {
    core.live(where);
    // Receive buffers of non-contiguous datatypes are staged: their elements go back once the call is done
    // (not when it was cancelled). The communicator is the call's shape (its rank and size).
    run = withCollectiveCheck(call, withWriteBacks(prepareCall, core, call));
    if (core.cancelledCollective !== undefined) {
      throw brokenCollectives(where, core.name, core.cancelledCollective);
    }
  } catch (error) {
    return Promise.reject(error);
  }
  const channel = (core.collectives ?? startCollectives(core)).open(where, raw);
  const signal = call.signal;
  const running = signal ? cancellable(core, channel, run(channel), signal) : run(channel);
  // A call that completed as it was made (a barrier in shared memory) has nothing to track, nor a label.
  if (running === COMPLETED) return running;
  return core.job.activities.track(labelOf(core, channel), running);
}

/** The communicator's collective sequence, made on its first collective call. */
function startCollectives(core: CommCore): Collectives {
  return core.collectives = new Collectives({
    engine: core.job.engine,
    members: core.members,
    rank: core.rank,
    context: core.contexts.collective,
    hosts: core.members.map((member) => core.job.hostnames[member]),
    shared: core.job.shared,
  });
}

/**
 * A collective call being prepared: its `prepare` and the two arguments `collective` passes it, so that the
 * call needs no closure of its own to be prepared (`rooted`, `reduction`).
 */
interface Preparing<T, A, B> extends CollectiveCall {
  prepare(shape: Shape, call: CollectiveCall, first: A, second: B): Run<T>;
  first: A;
  second: B;
}

/** Prepares `call` for the communicator `core` (its shape: rank and size). */
function prepareCall<T, A, B>(core: CommCore, call: Preparing<T, A, B>): Run<T> {
  return call.prepare(core, call, call.first, call.second);
}

/**
 * A collective call under way that `signal` can cancel: it then rejects with ERR_CANCELLED and leaves the
 * communicator without collectives. Apart, so that a call without a signal makes no closure.
 */
function cancellable<T>(
  core: CommCore,
  channel: Channel,
  running: Promise<T>,
  signal: AbortSignal,
): Promise<T> {
  return raceSignal(running, signal, labelOf(core, channel), () => {
    core.cancelledCollective ??= `${channel.where} (collective #${channel.tag})`;
    return true;
  });
}

/** How the hang report names a collective call: `Allreduce (collective #3) on COMM_WORLD`. */
function labelOf(core: CommCore, channel: Channel): () => string {
  return () => `${channel.where} (collective #${channel.tag}) on ${core.name}`;
}

/**
 * The checked `signal` of a collective's options, put in `call` for {@linkcode collective}. The collectives
 * without other options take `{ signal }` as their last argument.
 */
export function signalOf(where: string, options: unknown, call: CollectiveCall): void {
  if (options === undefined) return; // the usual call: nothing to normalise
  const args = namedArg(where, SIGNAL_NAMES, options);
  call.signal = checkSignal(where, args.signal);
}

/** A rooted collective whose last argument is its root (positional or `{ root }`, 0 by default). */
export function rooted<T>(
  core: CommCore,
  where: string,
  raw: boolean,
  root: number | { root?: number; signal?: AbortSignal } | undefined,
  run: (shape: Shape, root: number) => Run<T>,
): Promise<T> {
  return collective(core, where, raw, prepareRooted, root, run);
}

/** Checks a rooted collective's root (and signal) and makes its run: {@linkcode rooted}'s preparation. */
function prepareRooted<T>(
  shape: Shape,
  call: CollectiveCall,
  root: number | { root?: number; signal?: AbortSignal } | undefined,
  run: (shape: Shape, root: number) => Run<T>,
): Run<T> {
  const where = call.where;
  // A root given positionally (the usual call) needs no options object read.
  const args = isOptions(root) ? namedArg(where, ROOT_NAMES, root) : undefined;
  call.signal = checkSignal(where, args?.signal);
  call.root = checkRoot(where, (args ? args.root : root) ?? 0, shape.size);
  return run(shape, call.root);
}

/** A reduction whose last argument is its op (positional or `{ op }`, SUM by default): checks it, then runs. */
export function reduction<T>(
  core: CommCore,
  where: string,
  raw: boolean,
  op: OpLike | { op?: OpLike; signal?: AbortSignal } | undefined,
  run: (shape: Shape, op: Op) => Run<T>,
): Promise<T> {
  return collective(core, where, raw, prepareReduction, op, run);
}

/** Checks a reduction's op (and signal) and makes its run: {@linkcode reduction}'s preparation. */
function prepareReduction<T>(
  shape: Shape,
  call: CollectiveCall,
  op: OpLike | { op?: OpLike; signal?: AbortSignal } | undefined,
  run: (shape: Shape, op: Op) => Run<T>,
): Run<T> {
  const where = call.where;
  // An op given positionally (the usual call) needs no options object read.
  const args = isOptions(op) ? namedArg(where, OP_NAMES, op) : undefined;
  call.signal = checkSignal(where, args?.signal);
  const checkedOp = toOp(where, (args ? args.op : op) ?? SUM);
  call.op = checkedOp.name;
  return run(shape, checkedOp);
}

/** A reduction to a root: `op, root` positionally or `{ op, root }` (SUM and 0 by default). */
export function rootedReduction<T>(
  core: CommCore,
  where: string,
  raw: boolean,
  named: unknown[],
  run: (shape: Shape, op: Op, root: number) => Run<T>,
): Promise<T> {
  return collective(core, where, raw, (shape, call) => {
    const args = namedArgs(where, REDUCE_NAMES, trim(named));
    call.signal = checkSignal(where, args.signal);
    const checkedOp = toOp(where, args.op ?? SUM);
    call.op = checkedOp.name;
    call.root = rootOf(core, where, args.root);
    return run(shape, checkedOp, call.root);
  });
}

/** `Reduce_scatter`'s `recvcounts, op`, positionally or as `{ recvcounts, op }` (SUM by default). */
export function countedReduction<T>(
  core: CommCore,
  where: string,
  named: unknown[],
  run: (shape: Shape, recvcounts: unknown, op: Op) => Run<T>,
): Promise<T> {
  return collective(core, where, true, (shape, call) => {
    const args = namedArgs(where, REDUCE_SCATTER_NAMES, trim(named));
    call.signal = checkSignal(where, args.signal);
    const checkedOp = toOp(where, args.op ?? SUM);
    call.op = checkedOp.name;
    return run(shape, args.recvcounts, checkedOp);
  });
}

function rootOf(core: CommCore, where: string, root: unknown): number {
  return checkRoot(where, root ?? 0, core.size);
}
