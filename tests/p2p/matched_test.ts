/**
 * Matched receives in the engine (the ground of `mprobe`): a claimed message leaves matching, so no receive
 * takes it, and `receiveMatched` gets it, eager or by rendezvous; and persistent requests restart.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import type { SendOrder } from "../../lib/p2p/engine.ts";
import { Prequest } from "../../lib/p2p/prequest.ts";
import { EAGER_LIMIT } from "../../lib/wire/limits.ts";
import { memoryEngines } from "../_helpers/memory_mesh.ts";

function order(tag: number, payload: Uint8Array): SendOrder {
  return {
    peer: 1,
    context: 0,
    source: 0,
    tag,
    payload,
    headroom: false,
    raw: true,
    sync: false,
    owned: false,
  };
}

const pattern = { context: 0, source: 0, tag: 5, peer: 0 };

for (const [kind, size] of [["an eager", 100], ["a rendezvous", EAGER_LIMIT + 1]] as const) {
  test(`${kind} message claimed out of matching is received only through receiveMatched`, async () => {
    const { engines } = memoryEngines(2);
    const first = new Uint8Array(size).fill(1);
    const second = new Uint8Array(size).fill(2);
    const sent = [engines[0].send(order(5, first)), engines[0].send(order(5, second))];
    const arrival = await engines[1].probe(pattern);
    assert.equal(engines[1].claim(arrival), true);
    assert.equal(engines[1].claim(arrival), false, "a message is claimed once");
    // A plain receive now gets the second message, never the claimed first one.
    const plain = engines[1].receive(pattern);
    const matched = engines[1].receiveMatched(arrival, new Uint8Array(size));
    const [plainMessage, matchedMessage] = await Promise.all([plain.promise, matched.promise]);
    assert.deepEqual(matchedMessage!.payload, first);
    assert.deepEqual(plainMessage!.payload, second);
    await Promise.all(sent);
  });
}

test("a persistent request restarts after completion, and refuses a start while active", async () => {
  let runs = 0;
  const request = new Prequest("Test_init", () => ({ promise: Promise.resolve(++runs) }));
  assert.equal(await request, undefined, "inactive: completes at once");
  for (let i = 1; i <= 3; i++) {
    request.Start();
    assert.throws(() => request.Start(), /still active/);
    assert.equal(await request, i);
  }
});
