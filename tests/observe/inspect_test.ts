/**
 * `--inspect RANK[:PORT]` / `--inspect-wait` through the real launcher: the rank waits for a debugger, the
 * others wait for it, and once a debugger attaches (a WebSocket speaking the runtime's protocol) the job runs.
 */

import assert from "node:assert/strict";
import * as net from "node:net";
import * as path from "node:path";
import { test } from "node:test";
import { flavour, REPO, runRanks, startLauncher } from "../_helpers/run_ranks.ts";

/** A TCP port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Attaches to the inspector at `port` as a debugger would, and lets a waiting program run. */
async function attach(port: number): Promise<WebSocket> {
  let url = `ws://127.0.0.1:${port}/mpirun-deno`;
  if (flavour === "deno") {
    // Deno's inspector names its session with a UUID, listed over HTTP.
    const list = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
    url = list[0].webSocketDebuggerUrl;
  }
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot attach to ${url}`));
  });
  const send = (id: number, method: string) => socket.send(JSON.stringify({ id, method, params: {} }));
  if (flavour === "deno") {
    send(1, "Runtime.enable");
    send(2, "Runtime.runIfWaitingForDebugger");
  } else {
    send(1, "Inspector.enable");
    send(2, "Inspector.initialized");
  }
  return socket;
}

test(`--inspect-wait holds the job until a debugger attaches to the rank (${flavour})`, async () => {
  const port = await freePort();
  const job = startLauncher([
    "-n",
    "2",
    "--oversubscribe",
    "--tag-output",
    "--timeout",
    "55",
    "--inspect",
    `1:${port}`,
    "--inspect-wait",
    path.join(REPO, "examples/hello.ts"),
  ]);
  let socket: WebSocket | undefined;
  try {
    // Long enough for the other rank to have run its script, were it not held at start-up.
    await sleep(1500);
    for (let tries = 0; socket === undefined; tries++) {
      await sleep(200);
      try {
        socket = await attach(port);
      } catch (error) {
        if (tries > 150) throw error;
      }
    }
    assert.doesNotMatch(job.stdout, /Hello/, "no rank runs its script before the debugger attaches");
    for (let waited = 0; (job.stdout.match(/Hello, World!/g) ?? []).length < 2; waited += 50) {
      if (waited > 60_000) {
        throw new Error(`the job did not go on after the debugger attached: ${job.stdout}${job.stderr}`);
      }
      await sleep(50);
    }
  } finally {
    socket?.close();
  }
  assert.equal(await job.exited, 0, job.stderr);
  assert.match(
    job.stderr,
    new RegExp(
      `^mpirun-deno: rank 1 runs under the inspector at ws://127\\.0\\.0\\.1:${port}.*; it waits for a debugger`,
      "m",
    ),
  );
});

test(`--inspect names a rank the job lacks, and --inspect-wait needs --inspect (${flavour})`, async () => {
  const missing = await runRanks(2, "examples/hello.ts", { launcherArgs: ["--inspect", "5"] });
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--inspect: rank 5 is not in a job of 2 ranks/);
  const alone = await runRanks(2, "examples/hello.ts", { launcherArgs: ["--inspect-wait"] });
  assert.equal(alone.code, 2);
  assert.match(alone.stderr, /--inspect-wait goes with --inspect RANK\[:PORT\]/);
  const badPort = await runRanks(2, "examples/hello.ts", { launcherArgs: ["--inspect", "1:70000"] });
  assert.match(badPort.stderr, /--inspect: "1:70000" is not RANK or RANK:PORT/);
});
