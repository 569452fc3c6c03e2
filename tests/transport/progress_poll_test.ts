import { test } from "node:test";
import assert from "node:assert/strict";
import { runtimeName } from "../../lib/runtime/detect.ts";
import { cpuCount } from "../../lib/runtime/host.ts";
import { defaultPollMicros, POLL_MICROS, POLLER_POLL_MICROS } from "../../lib/transport/progress.ts";

test("a rank with a core of its own polls for its runtime's budget", () => {
  assert.equal(defaultPollMicros(1), POLL_MICROS[runtimeName]);
});

test("ranks that outnumber the cores of their host never poll", () => {
  assert.equal(defaultPollMicros(cpuCount() + 1), 0);
});

test("polling is bounded: no runtime polls longer than a few milliseconds", () => {
  for (const micros of Object.values(POLL_MICROS)) assert.ok(micros <= 5000, `${micros} µs`);
});

test("with a poller (the C library's Unix sockets) a rank polls, bounded, even when ranks outnumber cores", () => {
  assert.equal(defaultPollMicros(1, true), POLLER_POLL_MICROS);
  assert.equal(defaultPollMicros(cpuCount() + 1, true), POLLER_POLL_MICROS);
  assert.ok(POLLER_POLL_MICROS > 0 && POLLER_POLL_MICROS <= 5000, `${POLLER_POLL_MICROS} µs`);
});
