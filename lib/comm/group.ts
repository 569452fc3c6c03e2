/**
 * `Group`: an ordered set of processes, as `Comm.Get_group()` gives it and `Comm.Create(group)` takes it.
 * Pure: a group is a list of world ranks, plus this process's world rank so that it knows its own place.
 *
 * @module
 */

import { IDENT, PROC_NULL, SIMILAR, UNDEFINED, UNEQUAL } from "../constants.ts";
import { ErrorCode, mpiError } from "../errors.ts";

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
   * import { MPI } from "mpirun-deno";
   * const group = MPI.COMM_WORLD.Get_group().Incl([0]); // rank 0 alone
   * console.log(group.size); // 1
   * ```
   */
  Incl(ranks: readonly number[]): Group {
    const checked = this.#checkRanks("Incl", ranks);
    return this.#derive(checked.map((rank) => this.members[rank]));
  }

  /** The group without the members at `ranks` (each rank at most once), in this group's order. */
  Excl(ranks: readonly number[]): Group {
    const dropped = new Set(this.#checkRanks("Excl", ranks));
    return this.#derive(this.members.filter((_, rank) => !dropped.has(rank)));
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
   * import { MPI } from "mpirun-deno";
   * const world = MPI.COMM_WORLD.Get_group();
   * const reversed = world.Incl(Array.from({ length: world.size }, (_, i) => world.size - 1 - i));
   * console.log(world.Translate_ranks([0], reversed)); // [size - 1]
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
      if (typeof rank !== "number" || !Number.isInteger(rank) || rank < 0 || rank >= this.size) {
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

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : `an instance of ${value.constructor?.name ?? "Object"}`;
}
