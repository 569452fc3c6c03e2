import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../lib/launch/options.ts";
import { isLocalHost, placeRanks } from "../../lib/launch/plan.ts";

const hosts = [{ host: "a", slots: 2 }, { host: "b", slots: 3 }];

test("map-by slot fills each host's slots before the next", () => {
  const ranks = placeRanks({ np: 4, hosts, mapBy: "slot", oversubscribe: false });
  assert.deepEqual(ranks.map((r) => [r.host, r.localRank, r.localSize]), [
    ["a", 0, 2],
    ["a", 1, 2],
    ["b", 0, 2],
    ["b", 1, 2],
  ]);
});

test("map-by node deals ranks round-robin over hosts with free slots", () => {
  const ranks = placeRanks({ np: 5, hosts, mapBy: "node", oversubscribe: false });
  assert.deepEqual(ranks.map((r) => r.host), ["a", "b", "a", "b", "b"]);
  assert.deepEqual(ranks.map((r) => r.localRank), [0, 0, 1, 1, 2]);
});

test("without -n every slot gets a rank", () => {
  assert.equal(placeRanks({ np: undefined, hosts, mapBy: "slot", oversubscribe: false }).length, 5);
});

test("more ranks than slots is an error naming both, unless oversubscribed", () => {
  assert.throws(
    () => placeRanks({ np: 6, hosts, mapBy: "slot", oversubscribe: false }),
    new UsageError("-n: 6 ranks do not fit the 5 slots of the hosts; add slots or --oversubscribe"),
  );
  const ranks = placeRanks({ np: 7, hosts, mapBy: "slot", oversubscribe: true });
  assert.deepEqual(ranks.map((r) => r.host), ["a", "a", "b", "b", "b", "a", "b"]);
  assert.deepEqual(ranks.map((r) => r.localSize), [3, 3, 4, 4, 4, 3, 4]);
});

test("localhost, loopback and this machine's name are local", () => {
  assert.ok(isLocalHost("localhost", "node7.cluster"));
  assert.ok(isLocalHost("127.0.0.1", "node7.cluster"));
  assert.ok(isLocalHost("node7", "node7.cluster"));
  assert.ok(isLocalHost("NODE7.cluster", "node7.cluster"));
  assert.ok(!isLocalHost("node8", "node7.cluster"));
});
