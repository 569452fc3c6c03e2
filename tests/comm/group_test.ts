/** Group on its own: pure operations on lists of world ranks, with no process and no socket. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { IDENT, PROC_NULL, SIMILAR, UNDEFINED, UNEQUAL } from "../../lib/constants.ts";
import { ErrorCode, MPIError } from "../../lib/errors.ts";
import { compareMembers, Group, GROUP_EMPTY } from "../../lib/comm/group.ts";

/** The group of world ranks `members` as seen by the process of world rank `self`. */
const group = (members: number[], self: number) => new Group(members, self);

function throwsMpi(run: () => unknown, code: number, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof MPIError, `expected MPIError, got ${error}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

test("size and rank follow the member order; a non-member's rank is UNDEFINED", () => {
  const g = group([4, 2, 7], 2);
  assert.equal(g.size, 3);
  assert.equal(g.Get_size(), 3);
  assert.equal(g.rank, 1);
  assert.equal(g.Get_rank(), 1);
  assert.equal(group([4, 2, 7], 5).rank, UNDEFINED);
  assert.equal(GROUP_EMPTY.size, 0);
  assert.equal(GROUP_EMPTY.rank, UNDEFINED);
});

test("Incl takes the members at the given ranks, in the given order", () => {
  const g = group([10, 11, 12, 13, 14], 13);
  const picked = g.Incl([3, 0, 4]);
  assert.deepEqual(picked.members, [13, 10, 14]);
  assert.equal(picked.rank, 0);
  assert.deepEqual(g.Incl([]).members, []);
  assert.equal(g.Incl([1]).rank, UNDEFINED);
  assert.deepEqual(g.incl([2]).members, [12]);
});

test("Excl drops the members at the given ranks and keeps the order of the rest", () => {
  const g = group([10, 11, 12, 13, 14], 14);
  const rest = g.Excl([3, 0]);
  assert.deepEqual(rest.members, [11, 12, 14]);
  assert.equal(rest.rank, 2);
  assert.deepEqual(g.Excl([]).members, g.members);
  assert.deepEqual(g.excl([0, 1, 2, 3, 4]).members, []);
});

test("Union, Intersection and Difference keep the first group's order", () => {
  const a = group([0, 1, 2, 3], 1);
  const b = group([5, 3, 4, 1], 1);
  assert.deepEqual(a.Union(b).members, [0, 1, 2, 3, 5, 4]);
  assert.deepEqual(b.Union(a).members, [5, 3, 4, 1, 0, 2]);
  assert.deepEqual(a.Intersection(b).members, [1, 3]);
  assert.deepEqual(b.Intersection(a).members, [3, 1]);
  assert.deepEqual(a.Difference(b).members, [0, 2]);
  assert.deepEqual(a.union(GROUP_EMPTY).members, a.members);
  assert.deepEqual(a.intersection(GROUP_EMPTY).members, []);
  assert.deepEqual(a.difference(GROUP_EMPTY).members, a.members);
});

test("groups built from GROUP_EMPTY learn this process's rank from the other group", () => {
  const mine = group([6, 9], 9);
  assert.equal(GROUP_EMPTY.Union(mine).rank, 1);
  assert.equal(GROUP_EMPTY.Union(mine).Intersection(mine).rank, 1);
});

test("Translate_ranks maps ranks through world ranks, with UNDEFINED and PROC_NULL", () => {
  const world = group([0, 1, 2, 3, 4], 0);
  const odd = world.Incl([3, 1]);
  assert.deepEqual(world.Translate_ranks([0, 1, 2, 3, 4], odd), [UNDEFINED, 1, UNDEFINED, 0, UNDEFINED]);
  assert.deepEqual(odd.Translate_ranks([0, 1], world), [3, 1]);
  assert.deepEqual(odd.translate_ranks([PROC_NULL, 0, 0], world), [PROC_NULL, 3, 3]);
  assert.deepEqual(world.Translate_ranks([], odd), []);
});

test("Compare says IDENT, SIMILAR or UNEQUAL", () => {
  const a = group([0, 1, 2], 0);
  assert.equal(a.Compare(group([0, 1, 2], 2)), IDENT);
  assert.equal(a.Compare(group([2, 0, 1], 0)), SIMILAR);
  assert.equal(a.Compare(group([0, 1, 3], 0)), UNEQUAL);
  assert.equal(a.Compare(group([0, 1], 0)), UNEQUAL);
  assert.equal(a.compare(a.Incl([0, 1, 2])), IDENT);
  assert.equal(GROUP_EMPTY.Compare(a.Incl([])), IDENT);
  assert.equal(compareMembers([1, 2], [2, 1]), SIMILAR);
});

test("a rank outside the group is ERR_RANK, naming the call, the rank and the size", () => {
  const g = group([0, 1, 2], 0);
  throwsMpi(
    () => g.Incl([3]),
    ErrorCode.ERR_RANK,
    /^Group\.Incl: rank 3 is out of range for a group of size 3$/,
  );
  throwsMpi(() => g.Incl([-1]), ErrorCode.ERR_RANK, /Group\.Incl: rank -1 is out of range/);
  throwsMpi(() => g.Incl([0.5]), ErrorCode.ERR_RANK, /Group\.Incl: rank 0\.5 is out of range/);
  throwsMpi(() => g.Incl(["1" as never]), ErrorCode.ERR_RANK, /Group\.Incl: rank "1" is out of range/);
  throwsMpi(
    () => g.Excl([7]),
    ErrorCode.ERR_RANK,
    /^Group\.Excl: rank 7 is out of range for a group of size 3$/,
  );
  throwsMpi(
    () => g.Translate_ranks([3], g),
    ErrorCode.ERR_RANK,
    /^Group\.Translate_ranks: rank 3 is out of range for a group of size 3$/,
  );
  throwsMpi(() => GROUP_EMPTY.Incl([0]), ErrorCode.ERR_RANK, /rank 0 is out of range for a group of size 0/);
  throwsMpi(() => g.Incl([PROC_NULL]), ErrorCode.ERR_RANK, /Group\.Incl: rank -2 is out of range/);
});

test("a rank named twice in Incl or Excl is ERR_RANK", () => {
  const g = group([0, 1, 2], 0);
  throwsMpi(
    () => g.Incl([1, 2, 1]),
    ErrorCode.ERR_RANK,
    /^Group\.Incl: rank 1 appears more than once in ranks$/,
  );
  throwsMpi(
    () => g.Excl([0, 0]),
    ErrorCode.ERR_RANK,
    /^Group\.Excl: rank 0 appears more than once in ranks$/,
  );
});

test("arguments that are not ranks or groups are ERR_ARG and ERR_GROUP", () => {
  const g = group([0, 1, 2], 0);
  throwsMpi(
    () => g.Incl(3 as never),
    ErrorCode.ERR_ARG,
    /^Group\.Incl: ranks must be an array of ranks, got 3$/,
  );
  throwsMpi(
    () => g.Union([0, 1] as never),
    ErrorCode.ERR_GROUP,
    /^Group\.Union: other is not a Group, got an array$/,
  );
  throwsMpi(
    () => g.Compare(null as never),
    ErrorCode.ERR_GROUP,
    /Group\.Compare: other is not a Group, got null/,
  );
  throwsMpi(() => g.Translate_ranks([0], undefined as never), ErrorCode.ERR_GROUP, /Translate_ranks: other/);
});

test("operations never change the group they start from", () => {
  const g = group([3, 1, 2], 1);
  g.Incl([2, 0]);
  g.Excl([1]);
  g.Union(group([9], 1));
  assert.deepEqual(g.members, [3, 1, 2]);
  assert.equal(g.rank, 1);
});
