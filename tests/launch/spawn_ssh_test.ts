import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as os from "node:os";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import type { RankLaunch } from "../../lib/launch/spawner.ts";
import {
  agentShellCommand,
  remoteEnvironment,
  shellQuote,
  splitCommand,
  sshCommand,
  SshSpawner,
} from "../../lib/launch/spawn_ssh.ts";
import { alive, recordingEvents, REPO, tempDir } from "./_helpers.ts";

test("MPIRUN_DENO_SSH is split as a shell would split it", () => {
  assert.deepEqual(sshCommand({}), ["ssh"]);
  assert.deepEqual(sshCommand({ MPIRUN_DENO_SSH: "  " }), ["ssh"]);
  assert.deepEqual(sshCommand({ MPIRUN_DENO_SSH: "ssh -F /tmp/cfg" }), ["ssh", "-F", "/tmp/cfg"]);
  assert.deepEqual(splitCommand(`ssh -F "/a b/c" -o 'ProxyCommand=nc %h %p' x\\ y ""`), [
    "ssh",
    "-F",
    "/a b/c",
    "-o",
    "ProxyCommand=nc %h %p",
    "x y",
    "",
  ]);
  assert.throws(() => splitCommand("ssh 'open"), /unterminated ' quote/);
});

test("words sent to the remote shell are quoted only when they need it", () => {
  assert.equal(shellQuote("/usr/bin/deno"), "/usr/bin/deno");
  assert.equal(shellQuote("/my dir/it's"), `'/my dir/it'\\''s'`);
  assert.equal(shellQuote("$HOME"), "'$HOME'");
});

test("the agent runs on the launcher's runtime by its absolute path, with nothing secret on the line", () => {
  const base = { execPath: "/opt/deno dir/deno", libDir: "/repo/lib", searchPath: "/bin" };
  const deno = agentShellCommand({ ...base, runtime: "deno", compiled: false });
  assert.ok(
    deno.endsWith("; exec '/opt/deno dir/deno' run -A --no-config /repo/lib/launch/remote_agent.ts"),
    deno,
  );
  assert.ok(deno.startsWith("[ -e '/opt/deno dir/deno' ] || "), deno);
  assert.match(deno, /\[ -e \/repo\/lib\/launch\/remote_agent\.ts \] \|\| /);
  const bun = agentShellCommand({ ...base, runtime: "bun", execPath: "/opt/bun", compiled: false });
  assert.ok(bun.endsWith("; exec /opt/bun /repo/lib/launch/remote_agent.ts"), bun);
  const binary = agentShellCommand({ ...base, runtime: "bun", execPath: "/opt/mpirun-deno", compiled: true });
  assert.ok(binary.endsWith("; exec env MPIRUN_DENO_ROLE=agent /opt/mpirun-deno"), binary);
});

test("a runtime or checkout missing where the agent starts ends the login with 127, naming file and host", () => {
  const host = { runtime: "deno", libDir: "/repo/lib", searchPath: "/bin", compiled: false } as const;
  const missing = spawnSync("sh", ["-c", agentShellCommand({ ...host, execPath: "/no/such dir/deno" })], {
    encoding: "utf8",
  });
  assert.equal(missing.status, 127);
  assert.equal(
    missing.stderr.trim(),
    `mpirun-deno: the runtime /no/such dir/deno does not exist on ${os.hostname()}`,
  );
  const checkout = spawnSync("sh", ["-c", agentShellCommand({ ...host, execPath: "/bin/sh" })], {
    encoding: "utf8",
  });
  assert.equal(checkout.status, 127);
  assert.match(
    checkout.stderr,
    /mpirun-deno: the mpirun-deno checkout \/repo\/lib\/launch\/remote_agent\.ts does not exist on /,
  );
});

test("a remote rank keeps its own host's variables, and gets the job's", () => {
  const env = remoteEnvironment({
    PATH: "/bin",
    HOSTNAME: "head",
    PWD: "/home/me",
    SSH_AUTH_SOCK: "/tmp/agent",
    MPIRUN_DENO_TOKEN: "ab",
    OMP_NUM_THREADS: "2",
  });
  assert.deepEqual(env, { PATH: "/bin", MPIRUN_DENO_TOKEN: "ab", OMP_NUM_THREADS: "2" });
});

/** Starts `sh -c` ranks on fake hosts through the stand-in ssh, and collects what the backend reports. */
function startOnHosts(ranks: { host: string; script: string }[], logFile: string) {
  const recorded = recordingEvents(ranks.length, 15_000);
  const launches: RankLaunch[] = ranks.map(({ host, script }, rank) => ({
    placement: { rank, host, localRank: 0, localSize: 1 },
    command: "/bin/sh",
    args: ["-c", script],
    env: {
      PATH: process.env.PATH ?? "/bin",
      RANK: String(rank),
      MPIRUN_DENO_TOKEN: SECRET,
      HOSTNAME: "head",
    },
    cwd: REPO,
    stdin: "none",
  }));
  const spawner = new SshSpawner({ ssh: [FAKE_SSH], ownHostname: "head" });
  const previous = process.env.FAKE_SSH_LOG;
  process.env.FAKE_SSH_LOG = logFile;
  const job = spawner.start(launches, recorded.events);
  if (previous === undefined) delete process.env.FAKE_SSH_LOG;
  else process.env.FAKE_SSH_LOG = previous;
  return { job, ...recorded };
}

const FAKE_SSH = path.join(REPO, "tests", "launch", "fixtures", "fake_ssh.sh");
const SECRET = "5ecret".repeat(8);

test("ranks start locally or through one ssh connection per host, with their output and ends", async () => {
  const log = path.join(tempDir(), "ssh.log");
  const run = startOnHosts([
    { host: "head", script: "echo local $RANK $HOSTNAME" },
    { host: "a", script: "echo remote $RANK; echo oops >&2; exit 3" },
    { host: "a", script: 'echo remote $RANK "$MPIRUN_DENO_TOKEN"' },
    { host: "b", script: "kill -KILL $$" },
    { host: "down", script: "echo never" },
    { host: "noisy", script: "echo quiet" },
  ], log);
  await run.until(() => run.exits.size + run.errors.size === 6 && run.ended.length === 12);
  assert.equal(run.output[5].stdout, "Welcome to noisy\nquiet\n", "a login shell's greeting is passed on");
  assert.equal(run.output[0].stdout, "local 0 head\n");
  assert.deepEqual(run.output[1], { stdout: "remote 1\n", stderr: "oops\n" });
  assert.equal(run.output[2].stdout, `remote 2 ${SECRET}\n`, "the token arrives in the environment");
  assert.deepEqual(run.exits.get(1), { code: 3, signal: null });
  assert.deepEqual(run.exits.get(2), { code: 0, signal: null });
  assert.deepEqual(run.exits.get(3), { code: null, signal: "SIGKILL" });
  assert.match(run.errors.get(4)!.message, /^ssh to down exited with code 255: ssh: connect to host down/);
  assert.equal(typeof run.job.pid(1), "number");
  const calls = fs.readFileSync(log, "utf8").trim().split("\n");
  assert.deepEqual(calls.map((line) => line.split(" ")[0]).sort(), ["a", "b", "down", "noisy"]);
  assert.ok(!calls.some((line) => line.includes(SECRET)), "the token is on no command line");
});

test("killAll() ends remote ranks and what they started", async () => {
  const run = startOnHosts([
    { host: "a", script: "sleep 30 & echo child:$!; wait" },
    { host: "b", script: "trap '' TERM; echo up; while :; do sleep 0.05; done" },
  ], path.join(tempDir(), "ssh.log"));
  await run.until(() => run.output[0].stdout.includes("child:") && run.output[1].stdout.includes("up"));
  const child = Number(/child:(\d+)/.exec(run.output[0].stdout)![1]);
  const rank1 = run.job.pid(1)!;
  run.job.signal("SIGTERM");
  await run.until(() => run.exits.size === 1);
  assert.deepEqual(run.exits.get(0), { code: null, signal: "SIGTERM" });
  assert.ok(alive(rank1), "rank 1 ignores SIGTERM");
  run.job.killAll();
  await run.until(() => run.exits.size === 2 && run.ended.length === 4);
  assert.deepEqual(run.exits.get(1), { code: null, signal: "SIGKILL" });
  await run.until(() => !alive(child) && !alive(rank1));
});
