/** Group on its own: pure operations on lists of world ranks, with no process and no socket. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { IDENT, PROC_NULL, SIMILAR, UNDEFINED, UNEQUAL } from "../../lib/constants.ts";
import { ErrorCode } from "../../lib/errors.ts";
import { assertThrowsMpiError } from "../_helpers/assert_mpi_error.ts";
import { compareMembers, Group, GROUP_EMPTY } from "../../lib/comm/group.ts";

/** The group of world ranks `members` as seen by the process of world rank `self`. */
const group = (members: number[], self: number) => new Group(members, self);

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
  assertThrowsMpiError(
    () => g.Incl([3]),
    ErrorCode.ERR_RANK,
    /^Group\.Incl: rank 3 is out of range for a group of size 3$/,
  );
  assertThrowsMpiError(() => g.Incl([-1]), ErrorCode.ERR_RANK, /Group\.Incl: rank -1 is out of range/);
  assertThrowsMpiError(() => g.Incl([0.5]), ErrorCode.ERR_RANK, /Group\.Incl: rank 0\.5 is not an integer$/);
  assertThrowsMpiError(
    () => g.Incl(["1" as never]),
    ErrorCode.ERR_RANK,
    /Group\.Incl: rank "1" is a string, not an integer$/,
  );
  assertThrowsMpiError(
    () => g.Excl([7]),
    ErrorCode.ERR_RANK,
    /^Group\.Excl: rank 7 is out of range for a group of size 3$/,
  );
  assertThrowsMpiError(
    () => g.Translate_ranks([3], g),
    ErrorCode.ERR_RANK,
    /^Group\.Translate_ranks: rank 3 is out of range for a group of size 3$/,
  );
  assertThrowsMpiError(
    () => GROUP_EMPTY.Incl([0]),
    ErrorCode.ERR_RANK,
    /rank 0 is out of range for a group of size 0/,
  );
  assertThrowsMpiError(() => g.Incl([PROC_NULL]), ErrorCode.ERR_RANK, /Group\.Incl: rank -2 is out of range/);
});

test("a rank named twice in Incl or Excl is ERR_RANK", () => {
  const g = group([0, 1, 2], 0);
  assertThrowsMpiError(
    () => g.Incl([1, 2, 1]),
    ErrorCode.ERR_RANK,
    /^Group\.Incl: rank 1 appears more than once in ranks$/,
  );
  assertThrowsMpiError(
    () => g.Excl([0, 0]),
    ErrorCode.ERR_RANK,
    /^Group\.Excl: rank 0 appears more than once in ranks$/,
  );
});

test("arguments that are not ranks or groups are ERR_ARG and ERR_GROUP", () => {
  const g = group([0, 1, 2], 0);
  assertThrowsMpiError(
    () => g.Incl(3 as never),
    ErrorCode.ERR_ARG,
    /^Group\.Incl: ranks must be an array of ranks, got 3$/,
  );
  assertThrowsMpiError(
    () => g.Union([0, 1] as never),
    ErrorCode.ERR_GROUP,
    /^Group\.Union: other is not a Group, got an array$/,
  );
  assertThrowsMpiError(
    () => g.Compare(null as never),
    ErrorCode.ERR_GROUP,
    /Group\.Compare: other is not a Group, got null/,
  );
  assertThrowsMpiError(
    () => g.Translate_ranks([0], undefined as never),
    ErrorCode.ERR_GROUP,
    /Translate_ranks: other/,
  );
});

test("operations never change the group they start from", () => {
  const g = group([3, 1, 2], 1);
  g.Incl([2, 0]);
  g.Excl([1]);
  g.Union(group([9], 1));
  assert.deepEqual(g.members, [3, 1, 2]);
  assert.equal(g.rank, 1);
});

test("Range_incl spans each [first, last, stride] triple in order, up or down, stopping short of last", () => {
  const g = group([10, 11, 12, 13, 14, 15, 16, 17, 18, 19], 13);
  assert.deepEqual(g.Range_incl([[0, 9, 3]]).members, [10, 13, 16, 19]);
  assert.deepEqual(g.Range_incl([[1, 8, 3]]).members, [11, 14, 17], "8 is not reached: 7 is the last");
  assert.deepEqual(g.Range_incl([[9, 0, -4]]).members, [19, 15, 11]);
  assert.deepEqual(g.Range_incl([[4, 4, 1], [2, 2, -5]]).members, [14, 12], "first = last: one rank");
  assert.deepEqual(g.Range_incl([[6, 9, 1], [0, 4, 2]]).members, [16, 17, 18, 19, 10, 12, 14]);
  // last may lie past the group when the stride stops inside it, as MPI allows.
  assert.deepEqual(g.Range_incl([[0, 10, 4]]).members, [10, 14, 18]);
  assert.deepEqual(g.Range_incl([]).members, []);
  assert.equal(g.Range_incl([[9, 0, -3]]).rank, 2, "13 is the third of 19, 16, 13, 10");
  assert.equal(g.Range_incl([[0, 9, 2]]).rank, UNDEFINED);
  assert.deepEqual(g.range_incl([[1, 3, 1]]).members, [11, 12, 13]);
});

test("Range_excl drops the ranks each triple spans and keeps the group's order", () => {
  const g = group([10, 11, 12, 13, 14, 15, 16, 17, 18, 19], 13);
  const rest = g.Range_excl([[9, 0, -3], [1, 1, 1]]);
  assert.deepEqual(rest.members, [12, 14, 15, 17, 18]);
  assert.equal(rest.rank, UNDEFINED);
  assert.equal(g.Range_excl([[0, 9, 2]]).rank, 1, "13 comes second of 11, 13, 15, 17, 19");
  assert.deepEqual(g.Range_excl([]).members, g.members);
  assert.deepEqual(g.range_excl([[0, 9, 1]]).members, []);
});

test("Range_incl and Range_excl agree with Incl and Excl on the ranks the triples list", () => {
  const g = group([5, 3, 8, 1, 9, 0, 7], 8);
  const triples: [number, number, number][] = [[6, 0, -2], [1, 5, 4]];
  const listed = [6, 4, 2, 0, 1, 5];
  assert.deepEqual(g.Range_incl(triples).members, g.Incl(listed).members);
  assert.deepEqual(g.Range_excl(triples).members, g.Excl(listed).members);
});

test("a stride of 0 or one leading away from last is ERR_ARG, naming the call and the triple", () => {
  const g = group([0, 1, 2, 3], 0);
  assertThrowsMpiError(
    () => g.Range_incl([[0, 3, 1], [1, 2, 0]]),
    ErrorCode.ERR_ARG,
    /^Group\.Range_incl: ranges\[1\] = \[1, 2, 0\] has a stride of 0$/,
  );
  assertThrowsMpiError(
    () => g.Range_excl([[3, 0, 1]]),
    ErrorCode.ERR_ARG,
    /^Group\.Range_excl: ranges\[0\] = \[3, 0, 1\] never reaches 0: a stride of 1 leads away from it$/,
  );
  assertThrowsMpiError(
    () => g.Range_incl([[0, 2, -1]]),
    ErrorCode.ERR_ARG,
    /Group\.Range_incl: ranges\[0\] = \[0, 2, -1\] never reaches 2/,
  );
});

test("a triple spanning a rank outside the group is ERR_RANK, naming the triple, the rank and the size", () => {
  const g = group([0, 1, 2, 3], 0);
  assertThrowsMpiError(
    () => g.Range_incl([[2, 5, 1]]),
    ErrorCode.ERR_RANK,
    /^Group\.Range_incl: ranges\[0\] = \[2, 5, 1\] spans rank 5, out of range for a group of size 4$/,
  );
  assertThrowsMpiError(
    () => g.Range_excl([[0, 0, 1], [-1, 2, 1]]),
    ErrorCode.ERR_RANK,
    /^Group\.Range_excl: ranges\[1\] = \[-1, 2, 1\] spans rank -1, out of range for a group of size 4$/,
  );
  assertThrowsMpiError(
    () => g.Range_incl([[3, -3, -2]]),
    ErrorCode.ERR_RANK,
    /Group\.Range_incl: ranges\[0\] = \[3, -3, -2\] spans rank -3, out of range/,
  );
  // Huge spans fail on their ends, before any rank is listed.
  assertThrowsMpiError(() => g.Range_incl([[0, 2 ** 40, 1]]), ErrorCode.ERR_RANK, /spans rank 1099511627776/);
  assertThrowsMpiError(
    () => GROUP_EMPTY.Range_incl([[0, 0, 1]]),
    ErrorCode.ERR_RANK,
    /for a group of size 0/,
  );
});

test("a rank spanned twice, by one triple or by two, is ERR_RANK", () => {
  const g = group([0, 1, 2, 3, 4], 0);
  assertThrowsMpiError(
    () => g.Range_incl([[0, 4, 2], [4, 0, -1]]),
    ErrorCode.ERR_RANK,
    /^Group\.Range_incl: rank 4 appears more than once in ranges \(again in ranges\[1\] = \[4, 0, -1\]\)$/,
  );
  assertThrowsMpiError(
    () => g.Range_excl([[1, 3, 1], [2, 2, 1]]),
    ErrorCode.ERR_RANK,
    /^Group\.Range_excl: rank 2 appears more than once in ranges/,
  );
});

test("ranges that are not lists of integer triples are ERR_ARG", () => {
  const g = group([0, 1, 2], 0);
  assertThrowsMpiError(
    () => g.Range_incl([0, 2, 1] as never),
    ErrorCode.ERR_ARG,
    /^Group\.Range_incl: ranges\[0\] must be a \[first, last, stride\] triple of integers, got 0$/,
  );
  assertThrowsMpiError(
    () => g.Range_incl([[0, 2]] as never),
    ErrorCode.ERR_ARG,
    /ranges\[0\] must be a \[first, last, stride\] triple of integers, got \[0, 2\]$/,
  );
  assertThrowsMpiError(
    () => g.Range_excl([[0, 1.5, 1]]),
    ErrorCode.ERR_ARG,
    /Group\.Range_excl: ranges\[0\] must be a .* got \[0, 1\.5, 1\]$/,
  );
  assertThrowsMpiError(
    () => g.Range_incl([[0, "2", 1]] as never),
    ErrorCode.ERR_ARG,
    /got \[0, "2", 1\]$/,
  );
  assertThrowsMpiError(
    () => g.Range_incl("0-2" as never),
    ErrorCode.ERR_ARG,
    /^Group\.Range_incl: ranges must be an array of \[first, last, stride\] triples, got "0-2"$/,
  );
});
