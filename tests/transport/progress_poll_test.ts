import { test } from "node:test";
import assert from "node:assert/strict";
import { runtimeName } from "../../lib/runtime/detect.ts";
import { cpuCount } from "../../lib/runtime/host.ts";
import {
  defaultPollMicros,
  POLL_MICROS,
  type Poller,
  POLLER_POLL_MICROS,
  Progress,
} from "../../lib/transport/progress.ts";
import { connect, listen } from "../../lib/transport/sockets.ts";

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

test("a rank asleep in its poller still reads the runtime's own sockets (the launcher's requests) promptly", async () => {
  // A poller that only sleeps, as a rank's does while it waits for a peer that sends nothing: 16 ms in the
  // kernel per call, the longest slice.
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const poller: Poller = {
    pump: () => false,
    sleep: (timeoutMs) => {
      Atomics.wait(nap, 0, 0, Math.max(timeoutMs, 16));
      return false;
    },
    yieldProcessor: () => {},
    backlog: 0,
    onBacklog: () => {},
  };
  const progress = new Progress(0);
  progress.attach(poller, false);
  let received: (() => void) | undefined;
  const listener = await listen("127.0.0.1", 0, (socket) => socket.onData(() => received?.()));
  const socket = await connect("127.0.0.1", listener.port);
  progress.adjust(1); // waiting from now on
  try {
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const sent = performance.now();
      await new Promise<void>((resolve) => {
        received = resolve;
        socket.write(Uint8Array.of(i));
      });
      delays.push(performance.now() - sent);
    }
    // A timer turn comes at least every 50 ms; before it did, Deno read such a socket about once a second.
    const median = delays.sort((a, b) => a - b)[2];
    assert.ok(median < 500, `a byte took ${delays.map((ms) => ms.toFixed(0)).join(", ")} ms to be read`);
  } finally {
    progress.adjust(-1);
    progress.dispose();
    socket.destroy();
    listener.close();
  }
});

/** A poller that delivers whatever waits at once (an answer already in the ring), counting its passes. */
function answeringPoller() {
  const state = { waiter: undefined as (() => void) | undefined, passes: 0 };
  const poller: Poller = {
    pump: () => {
      state.passes++;
      const waiter = state.waiter;
      if (!waiter) return false;
      state.waiter = undefined;
      waiter();
      return true;
    },
    sleep: () => poller.pump(),
    yieldProcessor: () => {},
    backlog: 0,
    onBacklog: () => {},
  };
  return { state, poller };
}

test("a blocking call's first spin runs before the event loop turns, once the code that made it yields", async () => {
  const { state, poller } = answeringPoller();
  const progress = new Progress(POLLER_POLL_MICROS);
  progress.attach(poller, false);
  try {
    // Let the loop turn the rank's polling (a wait's first spin needs a turn less than 1 ms ago), then let it
    // stop. A loaded machine can pause the test past that millisecond: such a try is made again.
    let quick = false;
    for (let attempt = 0; attempt < 20 && !quick; attempt++) {
      progress.adjust(1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      progress.adjust(-1);
      const stopping = performance.now(); // the polling's last turn comes after this
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      quick = performance.now() - stopping < 0.5;
    }
    assert.ok(quick, "the machine never ran three turns of the event loop within 0.5 ms");
    let turned = false;
    setImmediate(() => turned = true);
    const answered = new Promise<void>((resolve) => state.waiter = resolve);
    progress.adjust(1);
    progress.spinFirst();
    assert.equal(state.passes > 0 && state.waiter === undefined, false, "it spun before the caller yielded");
    await answered;
    assert.equal(turned, false, "the answer waited for a turn of the event loop");
    progress.adjust(-1);
    // A wait that no blocking call awaits (an Irecv) does not spin so: its caller may have more to do first.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    const passes = state.passes;
    const later = new Promise<void>((resolve) => state.waiter = resolve);
    progress.adjust(1);
    await null;
    assert.equal(state.passes, passes, "a wait alone spun before the event loop turned");
    await later;
    progress.adjust(-1);
  } finally {
    progress.dispose();
  }
});

test("blocking calls that keep ending in their first spin still let the event loop turn about every millisecond", async () => {
  const { state, poller } = answeringPoller();
  const progress = new Progress(POLLER_POLL_MICROS);
  progress.attach(poller, false);
  let turns = 0;
  let counting = true;
  const countTurns = () => {
    turns++;
    if (counting) setImmediate(countTurns);
  };
  try {
    progress.adjust(1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    progress.adjust(-1);
    setImmediate(countTurns);
    // 20 ms of waits answered at once: without turns, this chain of microtasks would hold the loop throughout.
    const end = performance.now() + 20;
    let waits = 0;
    while (performance.now() < end) {
      const answered = new Promise<void>((resolve) => state.waiter = resolve);
      progress.adjust(1);
      progress.spinFirst();
      await answered;
      progress.adjust(-1);
      waits++;
    }
    assert.ok(turns >= 5, `the event loop turned ${turns} times in 20 ms of ${waits} waits`);
  } finally {
    counting = false;
    progress.dispose();
  }
});
