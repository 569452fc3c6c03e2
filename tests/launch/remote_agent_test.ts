import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import {
  type AgentFrame,
  AgentFrameKind,
  AgentFrameReader,
  type AgentStart,
  ALL_RANKS,
  encodeAgentFrame,
  encodeJsonFrame,
  payloadJson,
  payloadText,
  splitGreeting,
} from "../../lib/launch/agent_protocol.ts";
import { alive, REPO, scriptCommand } from "./_helpers.ts";

const AGENT = path.join(REPO, "lib", "launch", "remote_agent.ts");

/** Runs the agent here, over pipes, as ssh would on a remote host. */
function startAgent() {
  const { command, args } = scriptCommand(AGENT);
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  const frames: AgentFrame[] = [];
  const reader = new AgentFrameReader();
  let stderr = "";
  let wake = () => {};
  let head: Uint8Array | undefined = new Uint8Array(0);
  child.stdout.on("data", (chunk: Uint8Array) => {
    if (head !== undefined) {
      const split = splitGreeting(new Uint8Array([...head, ...chunk]));
      if (split === undefined) {
        head = new Uint8Array([...head, ...chunk]);
        return;
      }
      assert.equal(split.before.length, 0, "nothing before the agent's greeting");
      head = undefined;
      chunk = split.after;
    }
    frames.push(...reader.push(chunk));
    wake();
  });
  child.stderr.setEncoding("utf8").on("data", (chunk) => stderr += chunk);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const send = (frame: Uint8Array) => child.stdin.write(frame);
  const start = (index: number, order: Partial<AgentStart> & { script: string }, total: number) =>
    send(encodeJsonFrame(AgentFrameKind.START, index, {
      rank: index,
      command: "/bin/sh",
      args: ["-c", order.script],
      env: order.env ?? {},
      cwd: order.cwd ?? REPO,
      stdin: order.stdin ?? false,
      total,
    }));
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 10_000;
    while (!done()) {
      if (Date.now() > deadline) {
        throw new Error(`timed out; frames: ${frames.map((f) => f.kind)}; ${stderr}`);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  };
  const output = (index: number, kind: number) =>
    new TextDecoder().decode(
      Buffer.concat(frames.filter((f) => f.index === index && f.kind === kind).map((f) => f.payload)),
    );
  const of = (kind: number) => frames.filter((f) => f.kind === kind);
  // Whatever happens to the test, the agent does not outlive it.
  const guard = setTimeout(() => child.kill("SIGKILL"), 15_000);
  child.on("close", () => clearTimeout(guard));
  return { child, frames, send, start, until, output, of, exited, stderr: () => stderr };
}

test("the agent starts its ranks, passes stdin, and reports output and ends, then exits", async () => {
  const agent = startAgent();
  agent.start(0, { script: "echo out; echo err >&2; cat; exit 3", stdin: true }, 2);
  agent.start(1, {
    script: 'echo "$FOO $MPIRUN_DENO_TOKEN"; kill -TERM $$',
    env: { FOO: "foo", MPIRUN_DENO_TOKEN: "t0k" },
  }, 2);
  agent.send(encodeAgentFrame(AgentFrameKind.STDIN, 0, "typed\n"));
  agent.send(encodeAgentFrame(AgentFrameKind.STDIN_END, 0));
  assert.equal(await agent.exited, 0, agent.stderr());
  assert.equal(agent.of(AgentFrameKind.STARTED).length, 2);
  assert.equal(agent.output(0, AgentFrameKind.STDOUT), "out\ntyped\n");
  assert.equal(agent.output(0, AgentFrameKind.STDERR), "err\n");
  assert.equal(agent.output(1, AgentFrameKind.STDOUT), "foo t0k\n");
  const exits = agent.of(AgentFrameKind.EXIT).map((f) => [f.index, payloadJson(f)]);
  assert.deepEqual(exits.sort(), [[0, { code: 3, signal: null }], [1, { code: null, signal: "SIGTERM" }]]);
});

test("a rank that cannot start is reported with its host and why", async () => {
  const agent = startAgent();
  agent.start(0, { script: "true", cwd: "/nonexistent/dir" }, 4);
  agent.send(encodeJsonFrame(AgentFrameKind.START, 1, {
    rank: 1,
    command: "/nonexistent/runtime",
    args: [],
    env: {},
    cwd: REPO,
    stdin: false,
    total: 4,
  }));
  agent.send(encodeJsonFrame(AgentFrameKind.START, 2, {
    rank: 2,
    command: "/bin/sh",
    args: [],
    env: { MPIRUN_DENO_SCRIPT: "/nonexistent/app.ts" },
    cwd: REPO,
    stdin: false,
    total: 4,
  }));
  agent.start(3, { script: "echo fine" }, 4);
  assert.equal(await agent.exited, 0);
  const errors = agent.of(AgentFrameKind.ERROR).sort((a, b) => a.index - b.index).map(payloadText);
  assert.equal(errors.length, 3);
  assert.match(errors[0], /the working directory \/nonexistent\/dir does not exist on /);
  assert.match(
    errors[1],
    /the runtime \/nonexistent\/runtime does not exist on \S+ \(mpirun-deno expects the same/,
  );
  assert.match(
    errors[2],
    /the script \/nonexistent\/app\.ts does not exist on \S+ \(mpirun-deno expects the same/,
  );
  assert.equal(agent.output(3, AgentFrameKind.STDOUT), "fine\n");
});

test("signals reach every rank, and the end of the launcher's stream kills what is left", async () => {
  const agent = startAgent();
  agent.start(
    0,
    { script: "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done" },
    2,
  );
  agent.start(1, { script: "sleep 30 & echo child:$!; wait" }, 2);
  await agent.until(() =>
    agent.output(0, AgentFrameKind.STDOUT).includes("ready") &&
    agent.output(1, AgentFrameKind.STDOUT).includes("child:")
  );
  agent.send(encodeAgentFrame(AgentFrameKind.SIGNAL, 0, "SIGTERM"));
  await agent.until(() => agent.of(AgentFrameKind.EXIT).length === 1);
  assert.equal(agent.output(0, AgentFrameKind.STDOUT), "ready\ngot TERM\n");
  const child = Number(/child:(\d+)/.exec(agent.output(1, AgentFrameKind.STDOUT))![1]);
  assert.ok(alive(child));
  agent.child.stdin.end();
  assert.equal(await agent.exited, 0);
  assert.ok(!alive(child), "the rank's own children die with it");
  assert.deepEqual(payloadJson(agent.of(AgentFrameKind.EXIT)[1]), { code: null, signal: "SIGKILL" });
});

test("a signal to all ranks uses the ALL index", async () => {
  const agent = startAgent();
  for (let i = 0; i < 2; i++) agent.start(i, { script: "echo up; while :; do sleep 0.05; done" }, 2);
  await agent.until(() => agent.of(AgentFrameKind.STDOUT).length === 2);
  agent.send(encodeAgentFrame(AgentFrameKind.SIGNAL, ALL_RANKS, "SIGINT"));
  assert.equal(await agent.exited, 0);
  assert.deepEqual(agent.of(AgentFrameKind.EXIT).map((f) => payloadJson(f)), [
    { code: null, signal: "SIGINT" },
    { code: null, signal: "SIGINT" },
  ]);
});
