/**
 * Both ways of running under a real Slurm (three slurmd nodes on this machine, each with its own host name,
 * from `scripts/services/slurm.sh`): the launcher inside an allocation (`salloc`, `sbatch`), which starts the
 * ranks as one `srun` step; and direct launch, `srun -n 4 <runtime> script.ts` and
 * `srun -n 4 mpirun-deno script.ts`, with no launcher process of ours. Skipped, with the reason, when the
 * cluster is not up.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import {
  cleanEnv,
  flavour,
  launcherCommand,
  leftovers,
  marker,
  processesWith,
  REPO,
  run,
  runtimeCommand,
  type SlurmCluster,
  slurmCluster,
  start,
  taggedLines,
} from "./_cluster.ts";

const service = slurmCluster();
const skip = service.ok ? false : service.skip;
if (skip) console.error(`slurm_test: skipping every test: ${skip}`);
const cluster: SlurmCluster = service.ok ? service.value : { env: {}, nodes: [], cpusPerNode: 0 };
const multiNode = cluster.nodes.length >= 3 ? false : "the Slurm cluster has fewer than 3 nodes";

/** Test timeout, against hangs only (start-up on a loaded machine can take 15 s). */
const TIMEOUT = 60_000;
const options = { skip, timeout: TIMEOUT };

function env(): Record<string, string | undefined> {
  return { ...cleanEnv(), ...cluster.env };
}

/** What each task of `srun ARGS hostname` calls its host: the names our ranks must report. */
async function taskHosts(srunArgs: string[]): Promise<Map<number, string>> {
  const result = await run("srun", ["--quiet", "--label", ...srunArgs, "hostname"], env());
  assert.equal(result.code, 0, result.stderr);
  return new Map([...taggedLines(result.stdout)].map(([task, lines]) => [task, lines[0]]));
}

/** Each task's exit code from srun's "task 1-3: Exited with exit code 5" lines. */
function exitCodes(stderr: string): Map<number, number> {
  const codes = new Map<number, number>();
  for (const [, tasks, code] of stderr.matchAll(/tasks? ([\d,-]+): Exited with exit code (\d+)/g)) {
    for (const range of tasks.split(",")) {
      const [first, last = first] = range.split("-").map(Number);
      for (let task = first; task <= last; task++) codes.set(task, Number(code));
    }
  }
  return codes;
}

/** `word` quoted for sh. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line of an srun step whose every task runs `mpirun-deno "$script" ARGS` (this run's flavour)
 * after `prelude`, a line of sh that may set `$script` or wait, by `$SLURM_PROCID`: it makes one task unlike
 * the others.
 */
function perTask(prelude: string, script: string, args: readonly string[]): string[] {
  const { command, args: launcher } = launcherCommand([]);
  return [
    "sh",
    "-c",
    `script=${quote(script)}; ${prelude}\nexec ${[command, ...launcher].map(quote).join(" ")} "$script" ${
      args.map(quote).join(" ")
    }`,
  ];
}

/** The pid of the rank process (not its `mpirun-deno` task) of task `task` of the job marked `mark`. */
async function rankProcess(mark: string, task: number, ms = 40_000): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const pid of processesWith(mark)) {
      try {
        const environ = fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
        // Only the rank has the script in its environment (its task puts it there).
        if (
          environ.includes(`SLURM_PROCID=${task}`) && environ.some((v) => v.startsWith("MPIRUN_DENO_SCRIPT="))
        ) {
          return pid;
        }
      } catch {
        // Gone meanwhile.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no rank process of task ${task} within ${ms} ms`);
}

/** Runs `command` and checks that no process of it is left. */
async function job(command: string, args: string[], input?: string) {
  const mark = marker();
  const result = await run(command, [...args, mark], env(), { input, timeoutMs: 50_000 });
  assert.deepEqual(await leftovers(mark), [], `processes of the job are left: ${result.stderr}`);
  return { ...result, ranks: taggedLines(result.stdout) };
}

test(
  `direct launch: srun -n 4 ${
    runtimeCommand().map((word) => path.basename(word)).join(" ")
  } script.ts forms one COMM_WORLD over 3 nodes`,
  {
    ...options,
    skip: skip || multiNode,
  },
  async () => {
    const where = ["--nodes=3", "--ntasks=4"];
    const expected = await taskHosts(where);
    const result = await job("srun", [
      "--quiet",
      "--label",
      ...where,
      ...runtimeCommand(),
      "examples/hello.ts",
    ]);
    assert.equal(result.code, 0, result.stderr);
    for (let rank = 0; rank < 4; rank++) {
      assert.deepEqual(result.ranks.get(rank), [
        `Hello, World! I am process ${rank} of 4 on ${expected.get(rank)}.`,
      ]);
    }
    assert.equal(new Set(expected.values()).size, 3, "the tasks span 3 nodes");
  },
);

test(
  `direct launch: srun -n 4 mpirun-deno script.ts (${flavour} cli.ts) runs collectives`,
  options,
  async () => {
    const where = cluster.nodes.length >= 3 ? ["--nodes=3", "--ntasks=4"] : ["--ntasks=4"];
    const { command, args } = launcherCommand(["tests/cluster/_collectives.ts"]);
    const result = await job("srun", ["--quiet", "--label", ...where, command, ...args]);
    assert.equal(result.code, 0, result.stderr);
    const expected = await taskHosts(where);
    for (let rank = 0; rank < 4; rank++) {
      assert.match(
        result.ranks.get(rank)?.[0] ?? "",
        new RegExp(`^rank ${rank} on ${expected.get(rank)} local \\d/\\d ok$`),
      );
    }
  },
);

test(
  `direct launch: a failing task ends the step under --kill-on-bad-exit, srun naming its node (${flavour})`,
  options,
  async () => {
    const { command, args } = launcherCommand(["tests/cluster/_fail.ts", "exit", "2", "7"]);
    const result = await job("srun", [
      "--quiet",
      "--label",
      "--kill-on-bad-exit=1",
      "--ntasks=4",
      command,
      ...args,
    ]);
    assert.notEqual(result.code, 0, result.stderr);
    assert.match(result.stderr, /srun: error: \S+: task 2: Exited with exit code 7/);
  },
);

for (
  const [what, failure, code] of [
    ["Abort(5) on rank 3", ["abort", "3", "5"], 5],
    ["an uncaught exception on rank 4", ["throw", "4"], 1],
  ] as const
) {
  test(`direct launch: ${what} ends the whole srun step with the rank's code (${flavour})`, {
    ...options,
    skip: skip || multiNode,
  }, async () => {
    const mark = marker();
    const { command, args } = launcherCommand(["tests/cluster/_fail.ts", ...failure, mark]);
    const srun = start("srun", ["--quiet", "--label", "--nodes=3", "--ntasks=6", command, ...args], env());
    // The others wait in recv(ANY_SOURCE) on 3 nodes: only the abort can end them.
    await srun.waitFor(/rank \d+ ready on /, 6);
    const began = Date.now();
    const ended = await srun.finished;
    const took = Date.now() - began;
    assert.equal(ended.code, code, ended.stderr);
    assert.deepEqual(exitCodes(ended.stderr), new Map([0, 1, 2, 3, 4, 5].map((task) => [task, code])));
    // Within 3 s on an idle machine (see the issue's note); the bound leaves slack for a loaded one, and is
    // far below the hang it guards against (the step used to wait for its time limit).
    assert.ok(took < 10_000, `the step took ${took} ms to end after the ranks were ready`);
    assert.deepEqual(await leftovers(mark), []);
  });
}

// A rank that dies before the rendezvous: its mpirun-deno task ends the step in its place. Before, the others
// waited for it: rank 0 for its hello without a bound, srun (without --kill-on-bad-exit) with them.
test(
  `direct launch: a rank killed before it joined ends the whole srun step at once, named (${flavour})`,
  options,
  async () => {
    const mark = marker();
    const gate = path.join(os.tmpdir(), `${mark}.gate`);
    // Task 3 starts once the gate is open: until then no rank can have joined (the world needs all four).
    const held = `if [ "$SLURM_PROCID" = 3 ]; then while [ ! -e ${quote(gate)} ]; do sleep 0.05; done; fi`;
    const srun = start("srun", [
      "--quiet",
      "--label",
      "--ntasks=4",
      ...perTask(held, "tests/cluster/_fail.ts", ["exit", "9", "9", mark]),
    ], env());
    try {
      const rank = await rankProcess(mark, 2);
      const began = Date.now();
      process.kill(rank, "SIGKILL");
      fs.writeFileSync(gate, "");
      const ended = await srun.finished;
      const took = Date.now() - began;
      assert.equal(ended.code, 137, ended.stderr);
      assert.deepEqual(exitCodes(ended.stderr), new Map([0, 1, 2, 3].map((task) => [task, 137])));
      assert.match(
        ended.stderr,
        new RegExp(
          `mpirun-deno: rank 2 \\(host \\S+, pid ${rank}\\) was killed by signal SIGKILL before joining`,
        ),
      );
      // Within 2 s on an idle machine, task 3's start included; the old code waited for the step's time limit.
      assert.ok(took < 10_000, `the step took ${took} ms to end after the rank was killed`);
      assert.deepEqual(await leftovers(mark), []);
    } finally {
      fs.rmSync(gate, { force: true });
    }
  },
);

test(
  `direct launch: rank 0 whose script is missing on its node ends the whole srun step at once, named (${flavour})`,
  options,
  async () => {
    const mark = marker();
    // As on a node without the file: task 0's mpirun-deno fails before it starts its rank.
    const missing = `if [ "$SLURM_PROCID" = 0 ]; then script=tests/cluster/_nowhere_${mark}.ts; fi`;
    const srun = start("srun", [
      "--quiet",
      "--label",
      "--ntasks=4",
      ...perTask(missing, "tests/cluster/_fail.ts", ["exit", "9", "9", mark]),
    ], env());
    const said =
      /mpirun-deno: rank 0 \(host \S+, pid \d+\) did not start: Script "[^"]*_nowhere_[^"]*" not found/;
    await srun.waitFor(said, 1, 40_000, "stderr");
    const began = Date.now();
    const ended = await srun.finished;
    const took = Date.now() - began;
    assert.equal(ended.code, 2, ended.stderr);
    assert.deepEqual(exitCodes(ended.stderr), new Map([0, 1, 2, 3].map((task) => [task, 2])));
    // The others' start-up included; the old code made them try to reach rank 0 for 30 s.
    assert.ok(took < 10_000, `the step took ${took} ms to end after task 0 failed`);
    assert.deepEqual(await leftovers(mark), []);
  },
);

test(`salloc -n 4 mpirun-deno -n 4 runs the ranks as one srun step (${flavour})`, options, async () => {
  const { command, args } = launcherCommand(["-n", "4", "--tag-output", "tests/cluster/_collectives.ts"]);
  const result = await job("salloc", ["--quiet", "--ntasks=4", command, ...args]);
  assert.equal(result.code, 0, result.stderr);
  for (let rank = 0; rank < 4; rank++) {
    assert.match(result.ranks.get(rank)?.[0] ?? "", new RegExp(`^rank ${rank} on \\S+ local \\d/\\d ok$`));
  }
});

test(`inside salloc over 3 nodes -n defaults to the allocation's tasks, with each node's name (${flavour})`, {
  ...options,
  skip: skip || multiNode,
}, async () => {
  const where = ["--nodes=3", "--ntasks=6"];
  const { command, args } = launcherCommand(["--tag-output", "examples/hello.ts"]);
  const result = await job("salloc", ["--quiet", ...where, command, ...args]);
  assert.equal(result.code, 0, result.stderr);
  const hosts = [...result.ranks].sort(([a], [b]) => a - b).map(([rank, lines]) => {
    const match = new RegExp(`^Hello, World! I am process ${rank} of 6 on (\\S+)\\.$`).exec(lines[0]);
    assert.ok(match, lines[0]);
    return match[1];
  });
  assert.equal(hosts.length, 6);
  // Block distribution: node by node, in the allocation's order.
  assert.deepEqual(hosts, [...hosts].sort());
  assert.equal(new Set(hosts).size, 3, `ranks on 3 nodes: ${hosts}`);
});

test(`inside salloc a rank failing on another node ends the job, naming rank and node (${flavour})`, {
  ...options,
  skip: skip || multiNode,
}, async () => {
  const where = ["--nodes=3", "--ntasks=6"];
  const expected = await taskHosts(where);
  const mark = marker();
  const { command, args } = launcherCommand(["tests/cluster/_fail.ts", "exit", "5", "9", mark]);
  const salloc = start("salloc", ["--quiet", ...where, command, ...args], env());
  // Timed from the ranks' start: start-up itself is slow under load, and no part of what is tested here.
  await salloc.waitFor(/rank \d+ ready on /, 6);
  const began = Date.now();
  const result = await salloc.finished;
  assert.equal(result.code, 9, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(`mpirun-deno: rank 5 \\(host ${expected.get(5)}, pid \\d+\\) exited with code 9`),
  );
  assert.ok(
    Date.now() - began < 10_000,
    `the job took ${Date.now() - began} ms to end after the ranks were ready`,
  );
  assert.deepEqual(await leftovers(mark), []);
});

/** Can this test run a command in a mount namespace of its own (root, util-linux `unshare`)? */
const privateMounts = (() => {
  if (skip) return skip;
  const probe = spawnSync("unshare", ["--mount", "true"], { encoding: "utf8" });
  return probe.status === 0 ? false : `no private mount namespace here (unshare: ${probe.stderr?.trim()})`;
})();

test(
  `inside salloc the launcher finds the nodes by Slurm's NodeAddr where their names do not resolve (${flavour})`,
  {
    ...options,
    skip: skip || multiNode || privateMounts,
  },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-hosts-"));
    try {
      // The launcher sees an /etc/hosts without the node names (slurmd and the ranks keep the real one).
      const hosts = path.join(dir, "hosts");
      const names = new Set(cluster.nodes);
      fs.writeFileSync(
        hosts,
        fs.readFileSync("/etc/hosts", "utf8").split("\n").filter((line) =>
          !line.split("#")[0].trim().split(/\s+/).slice(1).some((name) => names.has(name))
        ).join("\n"),
      );
      const { command, args } = launcherCommand(["--tag-output", "examples/hello.ts"]);
      const inner = `mount --bind ${quote(hosts)} /etc/hosts && ! getent hosts ${cluster.nodes[0]} && ` +
        `exec salloc --quiet --nodes=3 --ntasks=6 ${[command, ...args].map(quote).join(" ")} "$@"`;
      const result = await job("unshare", ["--mount", "sh", "-c", inner, "sh"]);
      assert.equal(result.code, 0, result.stderr);
      for (let rank = 0; rank < 6; rank++) {
        assert.match(
          result.ranks.get(rank)?.[0] ?? "",
          new RegExp(`^Hello, World! I am process ${rank} of 6 on `),
        );
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test(
  `SIGINT to the launcher inside salloc reaches the ranks of its srun step (${flavour})`,
  options,
  async () => {
    const mark = marker();
    const { command, args } = launcherCommand(["-n", "3", "tests/cluster/_fail.ts", "hang", mark]);
    const salloc = start("salloc", ["--quiet", "--ntasks=3", command, ...args], env());
    await salloc.waitFor(/^rank \d+ ready on /, 3);
    // The launcher is salloc's child: the one process with the mark and `-n` that is not salloc (the ranks
    // have the mark among their script's arguments, but no `-n`).
    const launcher = fs.readdirSync("/proc").filter((pid) => /^\d+$/.test(pid)).find((pid) => {
      try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return path.basename(argv[0]) !== "salloc" && argv.includes(mark) && argv.includes("-n");
      } catch {
        return false;
      }
    });
    assert.ok(launcher, "the launcher process");
    process.kill(Number(launcher), "SIGINT");
    const ended = await salloc.finished;
    assert.equal(ended.code, 130, ended.stderr);
    assert.match(ended.stderr, /^mpirun-deno: job interrupted by SIGINT$/m);
    assert.deepEqual(await leftovers(mark), []);
  },
);

test(`sbatch --wait runs a job script that calls mpirun-deno (${flavour})`, options, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-sbatch-"));
  try {
    const { command, args } = launcherCommand(["--tag-output", "examples/hello.ts"]);
    const script = path.join(dir, "job.sh");
    fs.writeFileSync(
      script,
      `#!/bin/sh\ncd ${quote(REPO)}\nexec ${[command, ...args].map(quote).join(" ")}\n`,
    );
    const output = path.join(dir, "job.out");
    const result = await run(
      "sbatch",
      ["--quiet", "--wait", "--ntasks=3", `--output=${output}`, script],
      env(),
    );
    const text = fs.readFileSync(output, "utf8");
    assert.equal(result.code, 0, `${result.stderr}\n${text}`);
    const ranks = taggedLines(text);
    for (let rank = 0; rank < 3; rank++) {
      assert.match(
        ranks.get(rank)?.[0] ?? "",
        new RegExp(`^Hello, World! I am process ${rank} of 3 on \\S+\\.$`),
      );
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
