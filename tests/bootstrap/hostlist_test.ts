import { test } from "node:test";
import assert from "node:assert/strict";
import { expandHostlist, expandTasksPerNode } from "../../lib/bootstrap/hostlist.ts";

test("host lists expand ranges with their zero padding, in order", () => {
  assert.deepEqual(expandHostlist("n[01-04,07]"), ["n01", "n02", "n03", "n04", "n07"]);
  assert.deepEqual(expandHostlist("login1,n[8-10]"), ["login1", "n8", "n9", "n10"]);
  assert.deepEqual(expandHostlist("gpu[1-2]-ib,x"), ["gpu1-ib", "gpu2-ib", "x"]);
  assert.deepEqual(expandHostlist("r[1-2]n[1-2]"), ["r1n1", "r1n2", "r2n1", "r2n2"]);
  assert.deepEqual(expandHostlist("single"), ["single"]);
});

test("malformed host lists are errors naming the input", () => {
  assert.throws(() => expandHostlist("n[1-"), /host list "n\[1-" has unbalanced brackets/);
  assert.throws(() => expandHostlist("n[a-b]"), /bad range "a-b"/);
  assert.throws(() => expandHostlist("n[5-2]"), /descending range "5-2"/);
});

test("tasks per node expand repeat counts", () => {
  assert.deepEqual(expandTasksPerNode("2(x3),1"), [2, 2, 2, 1]);
  assert.deepEqual(expandTasksPerNode("4"), [4]);
  assert.throws(() => expandTasksPerNode("2(3)"), /bad part "2\(3\)"/);
});
