/**
 * How `Comm` runs a collective: the trailing arguments (`root`, `op`, positional or as an options object)
 * are normalised and checked before anything is sent, then the call takes the next channel of the
 * communicator's collective sequence and is tracked for hang reports. The algorithms are in `collectives/`.
 *
 * @module
 */

import { Collectives, type Run, type Shape } from "../collectives/channel.ts";
import { type Op, type OpLike, SUM, toOp } from "../collectives/ops.ts";
import { withWriteBacks } from "../datatypes/staging.ts";
import { checkRoot, namedArgs } from "./args.ts";
import { type CommCore, trim } from "./core.ts";

const ROOT_NAMES = ["root"] as const;
const OP_NAMES = ["op"] as const;
const REDUCE_NAMES = ["op", "root"] as const;
const REDUCE_SCATTER_NAMES = ["recvcounts", "op"] as const;

/**
 * Checks a collective's arguments (`prepare` throws before anything is sent, and then the call takes no
 * sequence number), then runs it on the next channel of the communicator's collective sequence.
 */
export function collective<T>(
  core: CommCore,
  where: string,
  raw: boolean,
  prepare: (shape: Shape) => Run<T>,
): Promise<T> {
  let run: Run<T>;
  try {
    core.live(where);
    // Receive buffers of non-contiguous datatypes are staged: their elements go back once the call is done.
    run = withWriteBacks(() => prepare({ rank: core.rank, size: core.size }));
  } catch (error) {
    return Promise.reject(error);
  }
  core.collectives ??= new Collectives({
    engine: core.job.engine,
    members: core.members,
    rank: core.rank,
    context: core.contexts.collective,
    hosts: core.members.map((member) => core.job.hostnames[member]),
    shared: core.job.shared,
  });
  const channel = core.collectives.open(where, raw);
  return core.job.activities.track(
    () => `${where} (collective #${channel.tag}) on ${core.name}`,
    run(channel),
  );
}

/** A rooted collective whose last argument is its root (positional or `{ root }`, 0 by default). */
export function rooted<T>(
  core: CommCore,
  where: string,
  raw: boolean,
  root: number | { root?: number } | undefined,
  run: (shape: Shape, root: number) => Run<T>,
): Promise<T> {
  return collective(core, where, raw, (shape) => {
    const args = namedArgs(where, ROOT_NAMES, trim([root]));
    return run(shape, rootOf(core, where, args.root));
  });
}

/** A reduction whose last argument is its op (positional or `{ op }`, SUM by default): checks it, then runs. */
export function reduction<T>(
  core: CommCore,
  where: string,
  raw: boolean,
  op: OpLike | { op?: OpLike } | undefined,
  run: (shape: Shape, op: Op) => Run<T>,
): Promise<T> {
  return collective(core, where, raw, (shape) => {
    const args = namedArgs(where, OP_NAMES, trim([op]));
    return run(shape, toOp(where, args.op ?? SUM));
  });
}

/** A reduction to a root: `op, root` positionally or `{ op, root }` (SUM and 0 by default). */
export function rootedReduction<T>(
  core: CommCore,
  where: string,
  raw: boolean,
  named: unknown[],
  run: (shape: Shape, op: Op, root: number) => Run<T>,
): Promise<T> {
  return collective(core, where, raw, (shape) => {
    const args = namedArgs(where, REDUCE_NAMES, trim(named));
    return run(shape, toOp(where, args.op ?? SUM), rootOf(core, where, args.root));
  });
}

/** `Reduce_scatter`'s `recvcounts, op`, positionally or as `{ recvcounts, op }` (SUM by default). */
export function countedReduction<T>(
  core: CommCore,
  where: string,
  named: unknown[],
  run: (shape: Shape, recvcounts: unknown, op: Op) => Run<T>,
): Promise<T> {
  return collective(core, where, true, (shape) => {
    const args = namedArgs(where, REDUCE_SCATTER_NAMES, trim(named));
    return run(shape, args.recvcounts, toOp(where, args.op ?? SUM));
  });
}

function rootOf(core: CommCore, where: string, root: unknown): number {
  return checkRoot(where, root ?? 0, core.size);
}
