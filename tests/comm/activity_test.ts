/** The list of pending calls a hang report reads: order, removal, lazy labels. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { Activities } from "../../lib/comm/activity.ts";

test("activities: a report lists pending calls oldest first, and only them", () => {
  const activities = new Activities();
  const first = activities.begin("recv(source=1, tag=5) on COMM_WORLD");
  const second = activities.begin(() => "Send(dest=2, tag=0) on COMM_WORLD");
  const third = activities.begin("barrier (collective #3) on COMM_WORLD");
  activities.end(second);
  assert.deepEqual(activities.report(Date.now()), [
    "recv(source=1, tag=5) on COMM_WORLD for 0.0 s",
    "barrier (collective #3) on COMM_WORLD for 0.0 s",
  ]);
  activities.end(first);
  activities.end(first); // a second end changes nothing
  assert.deepEqual(activities.report(Date.now()), ["barrier (collective #3) on COMM_WORLD for 0.0 s"]);
  activities.end(third);
  assert.deepEqual(activities.report(Date.now()), []);
  const again = activities.begin("probe(source=0, tag=ANY_TAG) on COMM_WORLD");
  assert.deepEqual(activities.report(again.since + 2500), [
    "probe(source=0, tag=ANY_TAG) on COMM_WORLD for 2.5 s",
  ]);
});

test("activities: a label given as a function is only built for a report", () => {
  const activities = new Activities();
  let built = 0;
  const pending = activities.begin(() => {
    built++;
    return "recv(source=ANY_SOURCE, tag=ANY_TAG) on COMM_WORLD";
  });
  assert.equal(built, 0);
  assert.equal(activities.report(pending.since).length, 1);
  assert.equal(built, 1);
});

test("activities: track ends the activity when its promise settles, either way", async () => {
  const activities = new Activities();
  let fail!: (error: Error) => void;
  const failing = new Promise<void>((_, reject) => fail = reject);
  const tracked = activities.track("Recv(source=1, tag=0) on COMM_WORLD", failing);
  await activities.track("send(dest=0, tag=0) on COMM_WORLD", Promise.resolve());
  assert.equal(activities.report(Date.now()).length, 1);
  fail(new Error("gone"));
  await assert.rejects(tracked, /gone/);
  await Promise.resolve();
  assert.deepEqual(activities.report(Date.now()), []);
});
