/** ContextIds on its own: proposals, the winner, one agreement at a time per process. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { ContextIds } from "../../lib/comm/context.ts";
import { MPIError } from "../../lib/errors.ts";

const lone = (proposal: number) => Promise.resolve(proposal);
const itself = (highest: number) => highest;

test("the first agreement proposes the first free id; each communicator takes two ids", async () => {
  const ids = new ContextIds(4);
  assert.deepEqual((await ids.agree(lone, itself)).contexts, { p2p: 4, collective: 5 });
  assert.deepEqual((await ids.agree(lone, itself)).contexts, { p2p: 6, collective: 7 });
});

test("after agreeing on a higher id, the next proposal is past it", async () => {
  const ids = new ContextIds(4);
  const { contexts } = await ids.agree(() => Promise.resolve(40), itself);
  assert.deepEqual(contexts, { p2p: 40, collective: 41 });
  const proposals: number[] = [];
  await ids.agree((proposal) => {
    proposals.push(proposal);
    return Promise.resolve(proposal);
  }, itself);
  assert.deepEqual(proposals, [42]);
});

test("agreements in flight at once run one at a time, in call order, and never share ids", async () => {
  const ids = new ContextIds(4);
  const log: string[] = [];
  const slow = (name: string, ms: number) => async (proposal: number) => {
    log.push(`${name} starts with ${proposal}`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    log.push(`${name} ends`);
    return proposal;
  };
  const results = await Promise.all([
    ids.agree(slow("a", 20), itself),
    ids.agree(slow("b", 1), itself),
    ids.agree(slow("c", 5), itself),
  ]);
  assert.deepEqual(log, [
    "a starts with 4",
    "a ends",
    "b starts with 6",
    "b ends",
    "c starts with 8",
    "c ends",
  ]);
  assert.deepEqual(results.map((r) => r.contexts.p2p), [4, 6, 8]);
});

test("a failed agreement passes its error on and does not hold up the next", async () => {
  const ids = new ContextIds(4);
  const failed = ids.agree(() => Promise.reject(new Error("peer lost")), itself);
  const next = ids.agree(lone, itself);
  await assert.rejects(failed, /peer lost/);
  assert.deepEqual((await next).contexts, { p2p: 4, collective: 5 });
});

test("a winner below this process's proposal is an internal error, not a silent reuse", async () => {
  const ids = new ContextIds(4);
  await ids.agree(lone, itself);
  await assert.rejects(ids.agree(() => Promise.resolve(4), itself), (error: unknown) => {
    assert.ok(error instanceof MPIError);
    assert.match(error.message, /context agreement gave 4, below this rank's 6/);
    return true;
  });
});

test("ids below the first free one are the predefined communicators'", () => {
  const ids = new ContextIds(4);
  assert.equal(ids.isPredefined(0), true);
  assert.equal(ids.isPredefined(3), true);
  assert.equal(ids.isPredefined(4), false);
});
