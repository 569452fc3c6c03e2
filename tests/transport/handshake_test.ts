import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, listen } from "../../lib/runtime/node_net.ts";
import { Connection } from "../../lib/transport/connection.ts";
import { acceptHandshake, connectHandshake, newToken, parseToken } from "../../lib/transport/handshake.ts";
import { FrameKind } from "../../lib/wire/frame.ts";

const token = parseToken(newToken());

/** A listener that runs the acceptor side for rank 0 of a world of 2 and records each outcome. */
async function acceptor() {
  const outcomes: string[] = [];
  const frames: number[] = [];
  const listener = await listen("127.0.0.1", 0, (socket) => {
    const connection = new Connection(socket);
    acceptHandshake(connection, token, 0, (id) => id === 1).then(
      (peer) => {
        outcomes.push(`accepted ${peer}`);
        connection.startFrames({ onFrame: (header) => frames.push(header.tag), onClose: () => {} });
      },
      (error) => outcomes.push(`refused: ${error.message}`),
    );
  });
  return { listener, outcomes, frames };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

test("both sides prove the token, then frames flow", async () => {
  const { listener, outcomes, frames } = await acceptor();
  const connection = new Connection(await connect("127.0.0.1", listener.port));
  await connectHandshake(connection, token, 1, 0);
  connection.startFrames({ onFrame: () => {}, onClose: () => {} });
  connection.send({
    length: 0,
    kind: FrameKind.EAGER,
    flags: 0,
    context: 0,
    source: 1,
    tag: 42,
    seq: 0,
    size: 0,
  }, undefined);
  await until(() => frames.length > 0);
  assert.deepEqual(outcomes, ["accepted 1"]);
  assert.deepEqual(frames, [42]);
  connection.destroy();
  listener.close();
});

test("a connector with the wrong token is refused and learns nothing", async () => {
  const { listener, outcomes } = await acceptor();
  const connection = new Connection(await connect("127.0.0.1", listener.port));
  await assert.rejects(connectHandshake(connection, parseToken(newToken()), 1, 0));
  await until(() => outcomes.length > 0);
  assert.deepEqual(outcomes, ["refused: its proof of the job token is wrong"]);
  listener.close();
});

test("garbage bytes and impostor ids are refused", async () => {
  const { listener, outcomes } = await acceptor();
  const garbage = await connect("127.0.0.1", listener.port);
  garbage.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3)));
  const impostor = new Connection(await connect("127.0.0.1", listener.port));
  await assert.rejects(connectHandshake(impostor, token, 5, 0));
  await until(() => outcomes.length >= 2);
  assert.deepEqual(outcomes.sort(), [
    "refused: it claims the unexpected id 5",
    "refused: it does not speak the mpirun-deno protocol",
  ]);
  garbage.destroy();
  listener.close();
});

test("the acceptor refuses a proof that disagrees with the acceptor's id", async () => {
  const { listener, outcomes } = await acceptor();
  const connection = new Connection(await connect("127.0.0.1", listener.port));
  await assert.rejects(connectHandshake(connection, token, 1, 3));
  await until(() => outcomes.length > 0);
  assert.deepEqual(outcomes, ["refused: its proof of the job token is wrong"]);
  listener.close();
});
