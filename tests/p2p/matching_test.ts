import { test } from "node:test";
import assert from "node:assert/strict";
import { ANY_SOURCE, ANY_TAG } from "../../lib/constants.ts";
import { type Arrival, MatchQueues, type Pattern } from "../../lib/p2p/matching.ts";

function arrival(source: number, tag: number, context = 0): Arrival {
  return {
    context,
    source,
    tag,
    peer: source,
    raw: false,
    payload: Uint8Array.of(source, tag),
    size: 2,
    seq: 0,
  };
}

function pattern(source: number, tag: number, context = 0): Pattern & { id: number } {
  return { context, source, tag, peer: source < 0 ? -1 : source, id: Math.random() };
}

test("a receive takes the earliest matching unexpected message", () => {
  const queues = new MatchQueues<Pattern>();
  queues.addUnexpected(arrival(1, 5));
  queues.addUnexpected(arrival(2, 5));
  queues.addUnexpected(arrival(1, 6));
  assert.equal(queues.takeUnexpected(pattern(ANY_SOURCE, 6))?.source, 1);
  assert.equal(queues.takeUnexpected(pattern(2, ANY_TAG))?.source, 2);
  assert.equal(queues.takeUnexpected(pattern(ANY_SOURCE, ANY_TAG))?.tag, 5);
  assert.equal(queues.unexpected.length, 0);
});

test("an arrival takes the earliest matching posted receive", () => {
  const queues = new MatchQueues<Pattern & { id: number }>();
  const first = pattern(ANY_SOURCE, ANY_TAG);
  const second = pattern(3, 1);
  queues.post(second);
  queues.post(first);
  assert.equal(queues.takePosted(arrival(3, 1)), second);
  assert.equal(queues.takePosted(arrival(3, 1)), first);
  assert.equal(queues.takePosted(arrival(3, 1)), undefined);
});

test("contexts never match each other", () => {
  const queues = new MatchQueues<Pattern>();
  queues.addUnexpected(arrival(0, 0, 1));
  assert.equal(queues.takeUnexpected(pattern(ANY_SOURCE, ANY_TAG, 0)), undefined);
  assert.equal(queues.peekUnexpected(pattern(0, 0, 1))?.context, 1);
});

test("a withdrawn receive no longer matches", () => {
  const queues = new MatchQueues<Pattern>();
  const receive = pattern(1, 1);
  queues.post(receive);
  assert.equal(queues.withdraw(receive), true);
  assert.equal(queues.withdraw(receive), false);
  assert.equal(queues.takePosted(arrival(1, 1)), undefined);
});

test("ANY_TAG keeps per-sender order across interleaved tags", () => {
  const queues = new MatchQueues<Pattern>();
  for (let i = 0; i < 100; i++) queues.addUnexpected(arrival(i % 2, i % 7));
  const seen: number[][] = [[], []];
  for (let i = 0; i < 100; i++) {
    const next = queues.takeUnexpected(pattern(ANY_SOURCE, ANY_TAG))!;
    seen[next.source].push(next.tag);
  }
  assert.deepEqual(seen[0], Array.from({ length: 50 }, (_, i) => (2 * i) % 7));
  assert.deepEqual(seen[1], Array.from({ length: 50 }, (_, i) => (2 * i + 1) % 7));
});
