/**
 * `Group`: an ordered set of processes, as `Comm.Get_group()` gives it and `Comm.Create(group)` takes it.
 * Pure: a group is a list of world ranks, plus this process's world rank so that it knows its own place.
 *
 * @module
 */

import { IDENT, PROC_NULL, SIMILAR, UNDEFINED, UNEQUAL } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";
import { notAnInteger } from "./args.ts";

/** This process's world rank is unknown to a group built without one (only `GROUP_EMPTY`). */
const NO_SELF = -1;

/**
 * An ordered set of processes. Group ranks count from 0 in the group's order; `rank` is this process's rank
 * in the group, or `UNDEFINED` when it is not a member. Groups never change: every operation makes a new one.
 *
 * @example Even ranks of COMM_WORLD, as a communicator of their own
 * ```ts
 * import { MPI } from "mpirun-deno";
 * const world = MPI.COMM_WORLD;
 * const evens = world.Get_group().Incl(Array.from({ length: Math.ceil(world.size / 2) }, (_, i) => 2 * i));
 * const comm = await world.Create(evens); // every rank calls Create; odd ranks get COMM_NULL
 * if (comm !== MPI.COMM_NULL) console.log(`rank ${comm.rank} of ${comm.size} evens`);
 * ```
 */
export class Group {
  /** @internal World rank of each member, indexed by rank in the group. */
  readonly members: readonly number[];
  readonly #self: number;
  #index: Map<number, number> | undefined;

  /** @internal Groups come from `Comm.Get_group()` and from the operations on groups. */
  constructor(members: readonly number[], self: number = NO_SELF) {
    this.members = members;
    this.#self = self;
  }

  /** Number of processes in the group. */
  get size(): number {
    return this.members.length;
  }

  /** This process's rank in the group, or `UNDEFINED` when it is not a member. */
  get rank(): number {
    return this.#rankOf(this.#self) ?? UNDEFINED;
  }

  /** Number of processes in the group. */
  Get_size(): number {
    return this.size;
  }

  /** This process's rank in the group, or `UNDEFINED` when it is not a member. */
  Get_rank(): number {
    return this.rank;
  }

  /**
   * The group of the members at `ranks`, in that order (each rank at most once).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const group = MPI.COMM_WORLD.Get_group().Incl([0]); // rank 0 alone
   * assert.equal(group.size, 1);
   * ```
   */
  Incl(ranks: readonly number[]): Group {
    return this.#pick(this.#checkRanks("Incl", ranks));
  }

  /** The group without the members at `ranks` (each rank at most once), in this group's order. */
  Excl(ranks: readonly number[]): Group {
    return this.#drop(this.#checkRanks("Excl", ranks));
  }

  /**
   * The group of the members at the ranks that `ranges` spans, in that order: each `[first, last, stride]`
   * triple stands for `first, first + stride, first + 2 * stride, ...` as far as `last` without passing it
   * (a negative stride counts down, from a `first` above `last`), as MPI's `Group_range_incl` does. A stride
   * of 0, or one that leads away from `last`, is an ERR_ARG error; a rank out of the group, or one spanned
   * twice (in one triple or in two), an ERR_RANK error naming the triple.
   *
   * @example Every other rank, and the same counted down from the last
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD.Get_group();
   * const evens = world.Range_incl([[0, world.size - 1, 2]]); // ranks 0, 2, 4, ...
   * const backwards = world.Range_incl([[world.size - 1, 0, -1]]); // ranks size - 1, ..., 1, 0
   * assert.equal(evens.size, Math.ceil(world.size / 2));
   * assert.equal(backwards.size, world.size);
   * ```
   */
  Range_incl(ranges: readonly (readonly [first: number, last: number, stride: number])[]): Group {
    return this.#pick(this.#rangeRanks("Range_incl", ranges));
  }

  /**
   * The group without the members at the ranks that `ranges` spans (`[first, last, stride]` triples, as in
   * {@linkcode Group.Range_incl}, with the same errors), in this group's order.
   *
   * @example Drop the even ranks
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD.Get_group();
   * const odds = world.Range_excl([[0, world.size - 1, 2]]); // ranks 1, 3, 5, ...
   * assert.equal(odds.size, Math.floor(world.size / 2));
   * ```
   */
  Range_excl(ranges: readonly (readonly [first: number, last: number, stride: number])[]): Group {
    return this.#drop(this.#rangeRanks("Range_excl", ranges));
  }

  /** Every member of this group, in its order, then the members of `other` that are not in this one. */
  Union(other: Group): Group {
    checkGroup("Group.Union", other, "other");
    const more = other.members.filter((member) => this.#rankOf(member) === undefined);
    return this.#derive([...this.members, ...more], other);
  }

  /** The members of this group that are also in `other`, in this group's order. */
  Intersection(other: Group): Group {
    checkGroup("Group.Intersection", other, "other");
    return this.#derive(this.members.filter((member) => other.#rankOf(member) !== undefined), other);
  }

  /** The members of this group that are not in `other`, in this group's order. */
  Difference(other: Group): Group {
    checkGroup("Group.Difference", other, "other");
    return this.#derive(this.members.filter((member) => other.#rankOf(member) === undefined), other);
  }

  /**
   * The rank in `other` of the member at each of `ranks` in this group: `UNDEFINED` where `other` does not
   * hold it, and `PROC_NULL` for `PROC_NULL`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD.Get_group();
   * const reversed = world.Incl(Array.from({ length: world.size }, (_, i) => world.size - 1 - i));
   * assert.deepEqual(world.Translate_ranks([0], reversed), [world.size - 1]);
   * ```
   */
  Translate_ranks(ranks: readonly number[], other: Group): number[] {
    checkGroup("Group.Translate_ranks", other, "other");
    const checked = this.#checkRanks("Translate_ranks", ranks, { procNull: true, repeats: true });
    return checked.map((rank) =>
      rank === PROC_NULL ? PROC_NULL : other.#rankOf(this.members[rank]) ?? UNDEFINED
    );
  }

  /** `IDENT` (same members in the same order), `SIMILAR` (same members, another order) or `UNEQUAL`. */
  Compare(other: Group): number {
    checkGroup("Group.Compare", other, "other");
    return compareMembers(this.members, other.members);
  }

  /** Same as {@linkcode Group.Incl}. */
  incl(ranks: readonly number[]): Group {
    return this.Incl(ranks);
  }

  /** Same as {@linkcode Group.Excl}. */
  excl(ranks: readonly number[]): Group {
    return this.Excl(ranks);
  }

  /** Same as {@linkcode Group.Range_incl}. */
  range_incl(ranges: readonly (readonly [first: number, last: number, stride: number])[]): Group {
    return this.Range_incl(ranges);
  }

  /** Same as {@linkcode Group.Range_excl}. */
  range_excl(ranges: readonly (readonly [first: number, last: number, stride: number])[]): Group {
    return this.Range_excl(ranges);
  }

  /** Same as {@linkcode Group.Union}. */
  union(other: Group): Group {
    return this.Union(other);
  }

  /** Same as {@linkcode Group.Intersection}. */
  intersection(other: Group): Group {
    return this.Intersection(other);
  }

  /** Same as {@linkcode Group.Difference}. */
  difference(other: Group): Group {
    return this.Difference(other);
  }

  /** Same as {@linkcode Group.Translate_ranks}. */
  translate_ranks(ranks: readonly number[], other: Group): number[] {
    return this.Translate_ranks(ranks, other);
  }

  /** Same as {@linkcode Group.Compare}. */
  compare(other: Group): number {
    return this.Compare(other);
  }

  #rankOf(member: number): number | undefined {
    if (this.#index === undefined) {
      this.#index = new Map();
      this.members.forEach((m, rank) => this.#index!.set(m, rank));
    }
    return this.#index.get(member);
  }

  /** The group of the members at `ranks` (checked), in that order. */
  #pick(ranks: readonly number[]): Group {
    return this.#derive(ranks.map((rank) => this.members[rank]));
  }

  /** The group without the members at `ranks` (checked), in this group's order. */
  #drop(ranks: readonly number[]): Group {
    const dropped = new Set(ranks);
    return this.#derive(this.members.filter((_, rank) => !dropped.has(rank)));
  }

  #derive(members: number[], other?: Group): Group {
    return new Group(members, this.#self !== NO_SELF || other === undefined ? this.#self : other.#self);
  }

  #checkRanks(
    where: string,
    ranks: unknown,
    allow: { procNull?: boolean; repeats?: boolean } = {},
  ): number[] {
    if (!Array.isArray(ranks)) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `Group.${where}: ranks must be an array of ranks, got ${describe(ranks)}`,
      );
    }
    const seen = new Set<number>();
    for (const rank of ranks) {
      if (allow.procNull && rank === PROC_NULL) continue;
      const wrongType = notAnInteger(rank);
      if (wrongType !== undefined) throw mpiError(ErrorCode.ERR_RANK, `Group.${where}: rank ${wrongType}`);
      if (rank < 0 || rank >= this.size) {
        throw mpiError(
          ErrorCode.ERR_RANK,
          `Group.${where}: rank ${describe(rank)} is out of range for a group of size ${this.size}`,
        );
      }
      if (!allow.repeats && seen.has(rank)) {
        throw mpiError(ErrorCode.ERR_RANK, `Group.${where}: rank ${rank} appears more than once in ranks`);
      }
      seen.add(rank);
    }
    return ranks as number[];
  }

  /**
   * The ranks that `ranges` spans, triple by triple, each checked. A triple's ranks run from `first` in one
   * direction, so its ends are checked against the group before any rank is listed: a triple such as
   * `[0, 2 ** 40, 1]` fails at once instead of listing a trillion ranks.
   */
  #rangeRanks(where: string, ranges: unknown): number[] {
    if (!Array.isArray(ranges)) {
      throw mpiError(
        ErrorCode.ERR_ARG,
        `Group.${where}: ranges must be an array of [first, last, stride] triples, got ${describe(ranges)}`,
      );
    }
    const ranks: number[] = [];
    const seen = new Set<number>();
    ranges.forEach((range: unknown, i) => {
      if (
        !Array.isArray(range) || range.length !== 3 ||
        !range.every((n) => typeof n === "number" && Number.isSafeInteger(n))
      ) {
        throw mpiError(
          ErrorCode.ERR_ARG,
          `Group.${where}: ranges[${i}] must be a [first, last, stride] triple of integers, got ${
            describeTriple(range)
          }`,
        );
      }
      const [first, last, stride] = range as [number, number, number];
      const triple = `ranges[${i}] = [${first}, ${last}, ${stride}]`;
      if (stride === 0) {
        throw mpiError(ErrorCode.ERR_ARG, `Group.${where}: ${triple} has a stride of 0`);
      }
      if ((last - first) * stride < 0) {
        throw mpiError(
          ErrorCode.ERR_ARG,
          `Group.${where}: ${triple} never reaches ${last}: a stride of ${stride} leads away from it`,
        );
      }
      const end = first + Math.floor((last - first) / stride) * stride;
      for (const rank of [first, end]) {
        if (rank < 0 || rank >= this.size) {
          throw mpiError(
            ErrorCode.ERR_RANK,
            `Group.${where}: ${triple} spans rank ${rank}, out of range for a group of size ${this.size}`,
          );
        }
      }
      for (let rank = first; stride > 0 ? rank <= end : rank >= end; rank += stride) {
        if (seen.has(rank)) {
          throw mpiError(
            ErrorCode.ERR_RANK,
            `Group.${where}: rank ${rank} appears more than once in ranges (again in ${triple})`,
          );
        }
        seen.add(rank);
        ranks.push(rank);
      }
    });
    return ranks;
  }
}

/** The group with no members. */
export const GROUP_EMPTY: Group = new Group([]);

/** @internal `IDENT`, `SIMILAR` or `UNEQUAL` for two lists of world ranks (used by `Comm.Compare` too). */
export function compareMembers(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return UNEQUAL;
  if (a.every((member, i) => member === b[i])) return IDENT;
  const set = new Set(a);
  return b.every((member) => set.has(member)) ? SIMILAR : UNEQUAL;
}

/** @internal Throws ERR_GROUP unless `value` is a group. */
export function checkGroup(where: string, value: unknown, argument = "group"): asserts value is Group {
  if (!(value instanceof Group)) {
    throw mpiError(ErrorCode.ERR_GROUP, `${where}: ${argument} is not a Group, got ${describe(value)}`);
  }
}

/** A `[first, last, stride]` triple as the caller gave it, for error messages. */
function describeTriple(value: unknown): string {
  return Array.isArray(value) ? `[${value.map(describe).join(", ")}]` : describe(value);
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : `an instance of ${value.constructor?.name ?? "Object"}`;
}
