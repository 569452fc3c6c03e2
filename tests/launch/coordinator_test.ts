import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ControlMessage,
  decodeControl,
  type ReportRequestMessage,
  sendControl,
} from "../../lib/bootstrap/protocol.ts";
import { Coordinator } from "../../lib/launch/coordinator.ts";
import { connect } from "../../lib/runtime/node_net.ts";
import { Connection } from "../../lib/transport/connection.ts";
import { connectHandshake, COORDINATOR_ID, newToken, parseToken } from "../../lib/transport/handshake.ts";

/** A fake rank: connects, proves `token`, and collects the control messages it gets. */
async function fakeRank(coordinator: Coordinator, rank: number, token: Uint8Array) {
  const connection = new Connection(await connect("127.0.0.1", coordinator.port));
  await connectHandshake(connection, token, rank, COORDINATOR_ID);
  const received: ControlMessage[] = [];
  let notify = () => {};
  let closed = false;
  connection.startFrames({
    onFrame: (_header, payload) => {
      received.push(decodeControl(payload));
      notify();
    },
    onClose: () => {
      closed = true;
      notify();
    },
  });
  const next = async (t: ControlMessage["t"]) => {
    while (true) {
      const index = received.findIndex((message) => message.t === t);
      if (index >= 0) return received.splice(index, 1)[0]; // taken: a later call waits for the next one
      if (closed) throw new Error(`rank ${rank}: closed before ${t}`);
      await new Promise<void>((resolve) => notify = resolve);
    }
  };
  const hello = () =>
    sendControl(connection, {
      t: "hello",
      rank,
      host: "127.0.0.1",
      port: 7000 + rank,
      hostname: "h",
      pid: 100 + rank,
    });
  const isClosed = () => closed;
  return { connection, next, hello, isClosed };
}

function startCoordinator(size: number, token: Uint8Array, events: { aborts?: unknown[] } = {}) {
  const log: string[] = [];
  return Coordinator.start({
    host: "127.0.0.1",
    size,
    token,
    log: (line) => log.push(line),
    onAbort: (message) => events.aborts?.push(message),
  }).then((coordinator) => ({ coordinator, log }));
}

test("every rank gets the world, indexed by rank, once all have said hello", async () => {
  const token = parseToken(newToken());
  const { coordinator, log } = await startCoordinator(3, token);
  try {
    const ranks = await Promise.all([2, 0, 1].map((rank) => fakeRank(coordinator, rank, token)));
    ranks[0].hello();
    ranks[1].hello();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(coordinator.worldSent, false);
    ranks[2].hello();
    for (const rank of ranks) {
      const world = await rank.next("world");
      assert.deepEqual(world, {
        t: "world",
        peers: [0, 1, 2].map((r) => ({ host: "127.0.0.1", port: 7000 + r, hostname: "h", pid: 100 + r })),
      });
    }
    assert.equal(coordinator.hello(1)?.pid, 101);
    assert.deepEqual(log, []);
    coordinator.close();
    for (const rank of ranks) await rank.next("never" as ControlMessage["t"]).catch(() => {});
    assert.ok(
      ranks.every((rank) => rank.isClosed()),
      "closing the coordinator closes every rank's connection",
    );
  } finally {
    coordinator.close();
  }
});

test("a wrong token and garbage bytes are refused, logged, and the job goes on", async () => {
  const token = parseToken(newToken());
  const { coordinator, log } = await startCoordinator(2, token);
  try {
    const impostor = new Connection(await connect("127.0.0.1", coordinator.port));
    await assert.rejects(connectHandshake(impostor, parseToken(newToken()), 0, COORDINATOR_ID));
    const garbage = new Connection(await connect("127.0.0.1", coordinator.port));
    garbage.writeRaw(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4)));
    const stranger = new Connection(await connect("127.0.0.1", coordinator.port));
    await assert.rejects(
      connectHandshake(stranger, token, 5, COORDINATOR_ID),
      "an id out of range is refused",
    );

    const ranks = await Promise.all([0, 1].map((rank) => fakeRank(coordinator, rank, token)));
    for (const rank of ranks) rank.hello();
    for (const rank of ranks) assert.equal((await rank.next("world")).t, "world");
    // The three refusals come in some order: the first is printed whole, the others summarised (at close).
    while (log.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 100));
    coordinator.close();
    assert.equal(log.length, 2, log.join("\n"));
    assert.match(log[0], /^refused a connection from 127\.0\.0\.1:\d+: /);
    assert.match(log[1], /^refused 2 more connections from 127\.0\.0\.1 since \S+ \(last: .+\)$/);
    const reasons = [
      "its proof of the job token is wrong",
      "it does not speak the mpirun-deno protocol",
      "it claims the unexpected id 5",
    ];
    assert.ok(reasons.some((reason) => log[0].endsWith(reason)), log.join("\n"));
    impostor.destroy();
    garbage.destroy();
    stranger.destroy();
  } finally {
    coordinator.close();
  }
});

test("a rank's abort reaches the launcher with the rank it proved", async () => {
  const token = parseToken(newToken());
  const aborts: unknown[] = [];
  const { coordinator } = await startCoordinator(2, token, { aborts });
  try {
    const ranks = await Promise.all([0, 1].map((rank) => fakeRank(coordinator, rank, token)));
    for (const rank of ranks) rank.hello();
    await ranks[1].next("world");
    sendControl(ranks[1].connection, { t: "abort", rank: 1, code: 5, reason: "Abort(5) called\nstack" });
    while (aborts.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(aborts, [{ t: "abort", rank: 1, code: 5, reason: "Abort(5) called\nstack" }]);
  } finally {
    coordinator.close();
  }
});

test("a connection that hangs up during the handshake is not logged as refused; garbage is", async () => {
  const token = parseToken(newToken());
  const { coordinator, log } = await startCoordinator(2, token);
  try {
    // Ten that close at once (a rank killed while it connected), with and without sending a byte first.
    for (let i = 0; i < 10; i++) {
      const quitter = await connect("127.0.0.1", coordinator.port);
      if (i % 2 === 1) quitter.write(Uint8Array.of(1));
      quitter.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(log, []);
    const garbage = new Connection(await connect("127.0.0.1", coordinator.port));
    garbage.writeRaw(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(4)));
    while (log.length < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.match(
      log[0],
      /^refused a connection from 127\.0\.0\.1:\d+: it does not speak the mpirun-deno protocol$/,
    );
    garbage.destroy();
  } finally {
    coordinator.close();
  }
});

test("report requests collect each rank's blocked lines and name the silent ones", async () => {
  const token = parseToken(newToken());
  const { coordinator } = await startCoordinator(3, token);
  try {
    const ranks = await Promise.all([0, 1, 2].map((rank) => fakeRank(coordinator, rank, token)));
    for (const rank of ranks) rank.hello();
    await ranks[0].next("world");
    const reports = coordinator.requestReports(300);
    const request = await ranks[0].next("report") as ReportRequestMessage;
    sendControl(ranks[0].connection, {
      t: "blocked",
      rank: 0,
      round: request.round,
      lines: ["recv(source=1, tag=0) on COMM_WORLD for 2.0 s"],
    });
    await ranks[2].next("report");
    sendControl(ranks[2].connection, { t: "blocked", rank: 2, round: request.round, lines: [] });
    const { lines, silent, unconnected } = await reports;
    assert.deepEqual([...lines], [[0, ["recv(source=1, tag=0) on COMM_WORLD for 2.0 s"]], [2, []]]);
    assert.deepEqual(silent, [1]);
    assert.deepEqual(unconnected, []);

    // Rank 1 answers the first request only now, during the second: that answer is not rank 1's answer to it.
    const second = coordinator.requestReports(300);
    const late = await ranks[1].next("report") as ReportRequestMessage;
    const current = await ranks[1].next("report") as ReportRequestMessage;
    assert.notEqual(late.round, current.round);
    sendControl(ranks[1].connection, { t: "blocked", rank: 1, round: late.round, lines: ["stale"] });
    for (const rank of [0, 2]) {
      const { round } = await ranks[rank].next("report") as ReportRequestMessage;
      sendControl(ranks[rank].connection, { t: "blocked", rank, round, lines: [] });
    }
    const answered = await second;
    assert.deepEqual([...answered.lines.keys()].sort(), [0, 2]);
    assert.deepEqual(answered.silent, [1]);
  } finally {
    coordinator.close();
  }
});
