/**
 * Communicator management behind `Comm`: `Dup`, `Split`, `Split_type`, `Create`, `Create_group`, `Free` and
 * `Compare`. Making a communicator is a collective on its parent (but `Create_group`, among the group
 * alone); context.ts tells how the members agree on the new context ids. The new communicator is described
 * by a {@linkcode Made}, which `Comm` turns into an object (or into `COMM_NULL`).
 *
 * @module
 */

import { COMM_TYPE_SHARED, CONGRUENT, IDENT, TAG_UB, UNDEFINED } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import { allgatherValue } from "../collectives/allgather.ts";
import { allreduceValue } from "../collectives/allreduce.ts";
import { type Channel, type Run, type Shape, SubgroupChannel } from "../collectives/channel.ts";
import { MAX } from "../collectives/ops.ts";
import { checkSendTag, namedArgs } from "./args.ts";
import { collective } from "./collective_calls.ts";
import type { Contexts } from "./context.ts";
import { type CommCore, trim } from "./core.ts";
import { checkGroup, compareMembers, type Group } from "./group.ts";

const SPLIT_NAMES = ["color", "key"] as const;
const KEY_NAMES = ["key"] as const;
const TAG_NAMES = ["tag"] as const;

/** A communicator to make: its members (world ranks), this process's rank among them, contexts and name. */
export interface Made {
  members: readonly number[];
  rank: number;
  contexts: Contexts;
  name: string;
}

/** Turns a {@linkcode Made} into a communicator, and `undefined` into `COMM_NULL`. */
export type Maker<C> = (made: Made | undefined) => C;

/** What each rank contributes to `Split`: its colour, its key and its context id proposal. */
type SplitEntry = [color: number, key: number, proposal: number];

/** `Dup`: the same members, new contexts. */
export function dup<C>(core: CommCore, make: Maker<C>): Promise<C> {
  return collective(
    core,
    "Dup",
    false,
    (shape) => (channel) =>
      agreeHighest(core, shape, channel).then((contexts) =>
        make({ members: core.members, rank: core.rank, contexts, name: `Dup(${core.name})` })
      ),
  );
}

/** `Split`: `color, key` positionally or as `{ color, key }`. */
export function split<C>(core: CommCore, named: unknown[], make: Maker<C>): Promise<C> {
  return collective(core, "Split", false, (shape) => {
    const args = namedArgs("Split", SPLIT_NAMES, trim(named));
    const checkedColor = checkColor("Split", args.color ?? 0);
    const checkedKey = checkKey("Split", args.key ?? 0);
    return splitRun(core, shape, checkedColor, checkedKey, (c) => `Split(${core.name}, color ${c})`, make);
  });
}

/** `Split_type`: `COMM_TYPE_SHARED` splits by host, `UNDEFINED` gives `COMM_NULL`. */
export function splitByType<C>(
  core: CommCore,
  splitType: number,
  named: unknown[],
  make: Maker<C>,
): Promise<C> {
  return collective(core, "Split_type", false, (shape) => {
    const args = namedArgs("Split_type", KEY_NAMES, trim(named));
    const checkedKey = checkKey("Split_type", args.key ?? 0);
    let color: number;
    if (splitType === UNDEFINED) {
      color = UNDEFINED;
    } else if (splitType === COMM_TYPE_SHARED) {
      // Every rank holds the same table of host names: the colour is the lowest rank on this rank's host.
      const hosts = core.members.map((member) => core.job.hostnames[member]);
      color = hosts.indexOf(hosts[core.rank]);
    } else {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `Split_type: split_type ${String(splitType)} is neither COMM_TYPE_SHARED nor UNDEFINED`,
      );
    }
    return splitRun(core, shape, color, checkedKey, () => `Split_type(${core.name}, COMM_TYPE_SHARED)`, make);
  });
}

/** `Create`: a collective on the parent; ranks outside `group` get `COMM_NULL`. */
export function create<C>(core: CommCore, group: Group, make: Maker<C>): Promise<C> {
  return collective(core, "Create", false, (shape) => {
    ranksOf(core, "Create", group);
    const rank = group.members.indexOf(core.members[core.rank]);
    return (channel) =>
      agreeHighest(core, shape, channel).then((contexts) =>
        make(rank < 0 ? undefined : { members: group.members, rank, contexts, name: `Create(${core.name})` })
      );
  });
}

/**
 * `Create_group`: the members of `group` alone agree, with an allreduce MAX of their proposals on a channel
 * of its own (see `Comm.Create_group` for why its tag, `-2 - tag`, never meets other traffic).
 */
export function createGroup<C>(core: CommCore, group: Group, named: unknown[], make: Maker<C>): Promise<C> {
  const where = "Create_group";
  let ranks: number[];
  let checkedTag: number;
  try {
    core.live(where);
    ranks = ranksOf(core, where, group);
    const args = namedArgs(where, TAG_NAMES, trim(named));
    checkedTag = checkSendTag(where, args.tag ?? 0);
  } catch (error) {
    return Promise.reject(error);
  }
  const rank = ranks.indexOf(core.rank);
  if (rank < 0) return Promise.resolve(make(undefined));
  const channel = new SubgroupChannel(
    { engine: core.job.engine, members: core.members, rank: core.rank, context: core.contexts.collective },
    ranks,
    where,
    -2 - (checkedTag % TAG_UB),
    false,
  );
  return core.job.activities.track(
    () => `${where}(tag=${checkedTag}) among ${ranks.length} ranks of ${core.name}`,
    agreeHighest(core, { rank, size: ranks.length }, channel).then((contexts) =>
      make({ members: group.members, rank, contexts, name: `Create_group(${core.name})` })
    ),
  );
}

/** `Free`: later calls fail with ERR_COMM; the predefined communicators cannot be freed. */
export function free(core: CommCore): void {
  core.live("Free");
  if (core.job.contextIds.isPredefined(core.contexts.p2p)) {
    throw mpiError(ErrorCode.ERR_COMM, `Free: ${core.name} is predefined and cannot be freed`);
  }
  core.state = "freed";
  core.collectives?.close();
  core.collectives = undefined;
}

/** `Compare` with `other`, the state of `given` when that is a communicator. */
export function compare(core: CommCore, other: CommCore | undefined, given: unknown): number {
  core.live("Compare");
  if (other === undefined) {
    throw mpiError(ErrorCode.ERR_COMM, `Compare: comm is not a communicator, got ${String(given)}`);
  }
  other.live("Compare");
  if (other === core || other.contexts.p2p === core.contexts.p2p) return IDENT;
  const result = compareMembers(core.members, other.members);
  return result === IDENT ? CONGRUENT : result;
}

/**
 * The run of `Split` and `Split_type`, once the arguments are checked: an allgather of every rank's colour,
 * key and context proposal, from which every rank works out its own communicator.
 */
function splitRun<C>(
  core: CommCore,
  shape: Shape,
  color: number,
  key: number,
  name: (color: number) => string,
  make: Maker<C>,
): Run<C> {
  return (channel) =>
    core.job.contextIds.agree(
      (proposal) => allgatherValue<SplitEntry>(shape, [color, key, proposal])(channel),
      (entries) => entries.reduce((highest, entry) => Math.max(highest, entry[2]), 0),
    ).then(({ result, contexts }) => {
      if (color === UNDEFINED) return make(undefined);
      const ranks: number[] = [];
      result.forEach((entry, rank) => {
        if (entry[0] === color) ranks.push(rank);
      });
      ranks.sort((a, b) => result[a][1] - result[b][1] || a - b);
      const members = ranks.map((rank) => core.members[rank]);
      return make({ members, rank: ranks.indexOf(core.rank), contexts, name: name(color) });
    });
}

/**
 * Agrees with the other ranks of `channel` on a new communicator's context ids: an allreduce MAX of their
 * proposals (see context.ts).
 */
function agreeHighest(core: CommCore, shape: Shape, channel: Channel): Promise<Contexts> {
  return core.job.contextIds.agree(
    (proposal) => allreduceValue(shape, proposal, MAX)(channel),
    (highest) => highest,
  ).then(({ contexts }) => contexts);
}

/** The rank here of each member of `group`; ERR_GROUP when it is no group, or holds a stranger. */
function ranksOf(core: CommCore, where: string, group: Group): number[] {
  checkGroup(where, group);
  const here = new Map(core.members.map((member, rank) => [member, rank]));
  return group.members.map((member) => {
    const rank = here.get(member);
    if (rank === undefined) {
      throw mpiError(
        ErrorCode.ERR_GROUP,
        `${where}: the group holds world rank ${member}, which is not in ${core.name}`,
      );
    }
    return rank;
  });
}

/** Checks a `Split` colour: an integer from 0, or UNDEFINED. */
function checkColor(where: string, color: unknown): number {
  if (color === UNDEFINED) return UNDEFINED;
  if (typeof color !== "number" || !Number.isSafeInteger(color) || color < 0) {
    throw mpiError(
      ErrorCode.ERR_ARG,
      `${where}: color ${String(color)} is neither an integer from 0 nor UNDEFINED`,
    );
  }
  return color;
}

/** Checks a `Split` key: any integer. */
function checkKey(where: string, key: unknown): number {
  if (typeof key !== "number" || !Number.isSafeInteger(key)) {
    throw mpiError(ErrorCode.ERR_ARG, `${where}: key ${String(key)} is not an integer`);
  }
  return key;
}
