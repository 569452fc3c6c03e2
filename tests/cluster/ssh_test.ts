/**
 * The launcher over a real sshd: three fake hosts (network namespaces, each with its own sshd and host name,
 * from `scripts/services/ssh_hosts.sh`), ranks placed by `--host` and `--hostfile`, started through ssh with
 * `MPIRUN_DENO_SSH` pointing at the hosts' ssh config. Skipped, with the reason, when the hosts are not up.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { test } from "node:test";
import {
  cleanEnv,
  flavour,
  launcherCommand,
  leftovers,
  marker,
  processesWith,
  run,
  type SshHosts,
  sshHosts,
  start,
  taggedLines,
} from "./_cluster.ts";

const service = sshHosts();
const skip = service.ok ? false : service.skip;
if (skip) console.error(`ssh_test: skipping every test: ${skip}`);
const hosts: SshHosts = service.ok
  ? service.value
  : { ssh: "ssh", hosts: [], names: new Map(), mode: "", sshdPids: new Map() };
const [h1, h2, h3] = hosts.hosts;
/** What a rank on `host` says `Get_processor_name()` is. */
const nameOf = (host: string) => hosts.names.get(host) ?? host;

/** Test timeout: each job is bounded well below it. */
const TIMEOUT = 60_000;
const options = { skip, timeout: TIMEOUT };

function env(): Record<string, string | undefined> {
  return { ...cleanEnv(), MPIRUN_DENO_SSH: hosts.ssh };
}

/** Runs the launcher (of this test run's flavour) with `args`, and checks that nothing of the job is left. */
async function launch(args: string[], input?: string, extraEnv: Record<string, string> = {}) {
  const mark = marker();
  // Bounds only against a hang: start-up on a loaded machine can take 15 s.
  const { command, args: full } = launcherCommand(["--tag-output", "--timeout", "40", ...args, mark]);
  const began = Date.now();
  const result = await run(command, full, { ...env(), ...extraEnv }, { input, timeoutMs: 50_000 });
  const seconds = (Date.now() - began) / 1000;
  assert.deepEqual(await leftovers(mark), [], `processes of the job are left: ${result.stderr}`);
  return { ...result, ranks: taggedLines(result.stdout), seconds };
}

const SIX = () => ["--host", `${h1}:2,${h2}:2,${h3}:2`];
/** Host of rank `rank` of the six placed by slot. */
const hostOfSix = (rank: number) => [h1, h2, h3][Math.floor(rank / 2)];

test(`examples/hello.ts greets from 3 ssh hosts, 2 ranks each (${flavour})`, options, async () => {
  const job = await launch([...SIX(), "examples/hello.ts"]);
  assert.equal(job.code, 0, job.stderr);
  for (let rank = 0; rank < 6; rank++) {
    assert.deepEqual(job.ranks.get(rank), [
      `Hello, World! I am process ${rank} of 6 on ${nameOf(hostOfSix(rank))}.`,
    ]);
  }
  if (hosts.mode === "netns") assert.notEqual(nameOf(h1), os.hostname(), "each host has its own name");
});

for (const example of ["p2p", "nonblocking"]) {
  test(`examples/${example}.ts delivers between 3 ssh hosts (${flavour})`, options, async () => {
    const job = await launch([...SIX(), `examples/${example}.ts`]);
    assert.equal(job.code, 0, job.stderr);
    assert.deepEqual(job.ranks.get(0), [`rank 0 sent {"x":1,"y":2} to 5 ranks`]);
    for (let rank = 1; rank < 6; rank++) {
      assert.deepEqual(job.ranks.get(rank), [`rank ${rank} received {"x":1,"y":2} with tag ${rank}`]);
    }
  });
}

test(
  `collectives and locality across this machine and 3 hosts from a hostfile, --map-by node (${flavour})`,
  options,
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-hosts-"));
    const hostfile = path.join(dir, "hosts");
    fs.writeFileSync(
      hostfile,
      [
        "# this machine, then the three ssh hosts in both notations",
        "localhost slots=2",
        "",
        `${h1}:2   # MPICH style`,
        `${h2} slots=1`,
        `${h3} slots=1 max_slots=2`,
        "",
      ].join("\n"),
    );
    try {
      const job = await launch(["--hostfile", hostfile, "--map-by", "node", "tests/cluster/_collectives.ts"]);
      assert.equal(job.code, 0, job.stderr);
      // Round-robin over the hosts with free slots: localhost, h1, h2, h3, localhost, h1.
      const placed = ["localhost", h1, h2, h3, "localhost", h1];
      const name = (host: string) => host === "localhost" ? os.hostname() : nameOf(host);
      for (let rank = 0; rank < placed.length; rank++) {
        const same = placed.filter((host) => name(host) === name(placed[rank]));
        const local = placed.slice(0, rank).filter((host) => name(host) === name(placed[rank])).length;
        assert.deepEqual(job.ranks.get(rank), [
          `rank ${rank} on ${name(placed[rank])} local ${local}/${same.length} ok`,
        ]);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(`the collectives SPMD script passes on 3 ssh hosts (${flavour})`, options, async () => {
  const script = "tests/spmd/cco_obj.ts";
  if (!fs.existsSync(script)) return;
  const job = await launch([...SIX(), script]);
  assert.equal(job.code, 0, job.stderr);
  for (let rank = 0; rank < 6; rank++) {
    assert.ok(job.ranks.get(rank)?.includes(`cco_obj ok on rank ${rank} of 6`));
  }
});

test(
  `a rank failing on a remote host ends the job, naming the rank and the host (${flavour})`,
  options,
  async () => {
    const mark = marker();
    const { command, args } = launcherCommand([
      "--tag-output",
      ...SIX(),
      "tests/cluster/_fail.ts",
      "throw",
      "3",
      mark,
    ]);
    const started = start(command, args, env(), 50_000);
    // From the ranks' start on: start-up itself is slow under load, and no part of what is tested here.
    await started.waitFor(/rank \d+ ready on /, 6, 40_000);
    const began = Date.now();
    const job = await started.finished;
    const seconds = (Date.now() - began) / 1000;
    assert.deepEqual(await leftovers(mark), [], `processes of the job are left: ${job.stderr}`);
    assert.equal(job.code, 1, job.stderr);
    // A Deno rank runs the script as its main module: a top-level throw reaches it as a rejected evaluation.
    assert.match(
      job.stderr,
      new RegExp(
        `mpirun-deno: rank 3 \\(host ${
          nameOf(h2)
        }, pid \\d+\\) aborted with code 1: (?:uncaught exception|unhandled promise rejection): ` +
          `Error: planned failure on ${nameOf(h2)}`,
      ),
    );
    assert.ok(seconds < 10, `the job took ${seconds} s to end after the ranks were ready`);
  },
);

test(`a remote rank's exit code and death by a signal are the launcher's (${flavour})`, options, async () => {
  const exited = await launch([...SIX(), "tests/cluster/_fail.ts", "exit", "4", "7"]);
  assert.equal(exited.code, 7, exited.stderr);
  assert.match(exited.stderr, new RegExp(`rank 4 \\(host ${nameOf(h3)}, pid \\d+\\) exited with code 7`));
  const killed = await launch([...SIX(), "tests/cluster/_fail.ts", "kill", "1"]);
  assert.equal(killed.code, 137, killed.stderr);
  assert.match(
    killed.stderr,
    new RegExp(`rank 1 \\(host ${nameOf(h1)}, pid \\d+\\) was killed by signal SIGKILL`),
  );
});

test(
  `standard input reaches rank 0 on a remote host, the others read end-of-file (${flavour})`,
  options,
  async () => {
    const job = await launch(["--host", `${h2},${h3}`, "tests/cluster/_stdin.ts"], "line one\nline two\n");
    assert.equal(job.code, 0, job.stderr);
    assert.deepEqual(job.ranks.get(0), [`rank 0 on ${nameOf(h2)} read "line one\\nline two\\n"`]);
    assert.deepEqual(job.ranks.get(1), [`rank 1 on ${nameOf(h3)} read ""`]);
  },
);

test(
  `SIGINT to the launcher reaches every remote rank, and no secret is on a command line (${flavour})`,
  options,
  async () => {
    const mark = marker();
    const { command, args } = launcherCommand([...SIX(), "tests/cluster/_fail.ts", "hang", mark]);
    const job = start(command, args, env());
    await job.waitFor(/^rank \d+ ready on /, 6);
    // Every process of the job (launcher, ssh, agents, ranks), here and on the hosts, as ps shows it.
    const ours = [job.pid, ...processesWith(mark), ...processesWith("remote_agent")];
    for (const pid of ours) {
      let line = "";
      try {
        line = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      } catch {
        continue;
      }
      assert.doesNotMatch(
        line,
        /[0-9a-f]{64}|MPIRUN_DENO_TOKEN/,
        `a command line carries the token: ${line}`,
      );
    }
    process.kill(job.pid, "SIGINT");
    const ended = await job.finished;
    assert.equal(ended.code, 130, ended.stderr);
    assert.match(ended.stderr, /^mpirun-deno: job interrupted by SIGINT$/m);
    assert.deepEqual(await leftovers(mark), []);
  },
);

test(`a host that cannot be reached fails the job, naming it (${flavour})`, options, async () => {
  const job = await launch(["--host", `${h1},nosuchhost.invalid`, "examples/hello.ts"]);
  assert.equal(job.code, 127, job.stderr);
  assert.match(
    job.stderr,
    /rank 1 \(host nosuchhost\.invalid, pid unknown\) could not be started: ssh to nosuchhost\.invalid exited with code 255/,
  );
});

test(`remote ranks listen on the interface MPIRUN_DENO_BIND_INTERFACE names on their own host (${flavour})`, {
  ...options,
  skip: skip || (hosts.mode !== "netns" && "the ssh hosts share this machine's interfaces"),
}, async () => {
  const job = await launch([
    "--host",
    `${h1},${h2}`,
    "-x",
    "MPIRUN_DENO_BIND_INTERFACE=eth0",
    "examples/p2p.ts",
  ]);
  assert.equal(job.code, 0, job.stderr);
  assert.deepEqual(job.ranks.get(1), [`rank 1 received {"x":1,"y":2} with tag 1`]);
  const missing = await launch([
    "--host",
    `${h1},${h2}`,
    "-x",
    "MPIRUN_DENO_BIND_INTERFACE=nope0",
    "examples/p2p.ts",
  ]);
  assert.equal(missing.code, 1);
  assert.match(
    missing.stderr,
    /MPIRUN_DENO_BIND_INTERFACE=nope0: no such interface with an IPv4 address here/,
  );
});

test(`a black-holed host fails the job within the ssh connect timeout, naming it (${flavour})`, {
  ...options,
  skip: skip || (!hosts.blackhole && "the ssh hosts have no black hole (an older `ssh_hosts.sh up`)"),
}, async () => {
  const job = await launch(["--host", `${h1},${hosts.blackhole}`, "examples/hello.ts"], undefined, {
    MPIRUN_DENO_SSH_CONNECT_TIMEOUT: "1",
  });
  assert.equal(job.code, 127, job.stderr);
  assert.match(
    job.stderr,
    new RegExp(
      `rank 1 \\(host ${hosts.blackhole!.replaceAll(".", "\\.")}, pid unknown\\) could not be started: ` +
        `ssh to \\S+ exited with code 255: .*timed out`,
    ),
  );
  // 1 s to connect, plus start-up under load; the hosts' ssh config alone would wait 10 s, the kernel 2 min.
  assert.ok(job.seconds < 9, `the job took ${job.seconds} s`);
});

test(`a bad MPIRUN_DENO_SSH_CONNECT_TIMEOUT is refused by name (${flavour})`, options, async () => {
  const job = await launch(["--host", `${h1},${h2}`, "examples/hello.ts"], undefined, {
    MPIRUN_DENO_SSH_CONNECT_TIMEOUT: "soon",
  });
  assert.equal(job.code, 2, job.stderr);
  assert.match(
    job.stderr,
    /MPIRUN_DENO_SSH_CONNECT_TIMEOUT="soon" is not a positive whole number of seconds/,
  );
});

/** `pid` and its ancestors below `stop` (exclusive). */
function ancestors(pid: number, stop: number): number[] {
  const chain: number[] = [];
  for (let at = pid; at > 1 && at !== stop;) {
    chain.push(at);
    const stat = fs.readFileSync(`/proc/${at}/stat`, "utf8");
    at = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  }
  return chain;
}

test(`a host that stops answering mid-job ends the job within 10 s, naming host and ranks (${flavour})`, {
  ...options,
  skip: skip || (hosts.sshdPids.size < 3 && "the hosts' sshd pids are unknown"),
}, async () => {
  const mark = marker();
  const { command, args } = launcherCommand([...SIX(), "tests/cluster/_fail.ts", "hang", mark]);
  const job = start(command, args, env());
  const frozen: number[] = [];
  try {
    await job.waitFor(/^rank \d+ ready on /, 6);
    // h2 freezes: its ranks, their agent and the sshd session that serves them stop (as a host that hangs, or
    // whose network is cut, they answer nothing), and nothing closes a connection.
    const listener = hosts.sshdPids.get(h2)!;
    for (const pid of processesWith(mark)) {
      if (!ancestors(pid, 0).includes(listener)) continue; // a rank of another host, or the launcher
      for (const each of ancestors(pid, listener)) if (!frozen.includes(each)) frozen.push(each);
    }
    assert.ok(frozen.length >= 4, `found h2's ranks, agent and session: ${frozen}`);
    for (const pid of frozen) process.kill(pid, "SIGSTOP");
    const began = Date.now();
    const ended = await job.finished;
    const took = Date.now() - began;
    assert.notEqual(ended.code, 0, ended.stderr);
    assert.match(
      ended.stderr,
      new RegExp(`lost the ssh connection to ${h2} \\(.*\\); ranks 2, 3 on it are lost`),
    );
    assert.ok(took < 10_000, `the job took ${took} ms to end after the host froze`);
  } finally {
    for (const pid of frozen) {
      try {
        process.kill(pid, "SIGKILL");
        process.kill(pid, "SIGCONT");
      } catch {
        // Gone already.
      }
    }
  }
  assert.deepEqual(await leftovers(mark), []);
});
