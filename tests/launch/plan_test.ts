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

test("-N / ppr:N:node puts N ranks on every host, whatever its slots", () => {
  const hosts = [{ host: "a", slots: 1 }, { host: "b", slots: 5 }];
  const ranks = placeRanks({ np: undefined, hosts, mapBy: "slot", perNode: 2, oversubscribe: false });
  assert.deepEqual(ranks.map((r) => r.host), ["a", "a", "b", "b"]);
  assert.throws(
    () => placeRanks({ np: 5, hosts, mapBy: "slot", perNode: 2, oversubscribe: false }),
    /^UsageError: -n: 5 ranks do not fit 2 per host on 2 hosts \(4\); add --oversubscribe$/,
  );
});

test("--rank-by renumbers placed ranks: host by host (slot) or round-robin (node)", () => {
  const hosts = [{ host: "a", slots: 2 }, { host: "b", slots: 2 }];
  const bySlot = placeRanks({ np: 4, hosts, mapBy: "node", rankBy: "slot", oversubscribe: false });
  assert.deepEqual(bySlot.map((r) => [r.host, r.localRank]), [["a", 0], ["a", 1], ["b", 0], ["b", 1]]);
  const byNode = placeRanks({ np: 3, hosts, mapBy: "slot", rankBy: "node", oversubscribe: false });
  assert.deepEqual(byNode.map((r) => r.host), ["a", "b", "a"]);
});
