/**
 * Placement over the real ssh test hosts (`scripts/services/ssh_hosts.sh`): `--map-by`, `--rank-by`, `-N`,
 * `ppr:N:node`, `--bind-to core` with `--report-bindings` and `--display-map`, the hosts of a PBS
 * (`PBS_NODEFILE`) or LSF (`LSB_MCPU_HOSTS`, `LSB_HOSTS`) job, and `--stdin all` across hosts. Each rank says
 * where it runs and which CPUs it may use (`tests/launcher/_where.ts`); the test compares with the plan.
 * Skipped, with the reason, when the hosts are not up.
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import {
  cleanEnv,
  flavour,
  launcherCommand,
  leftovers,
  marker,
  REPO,
  run,
  type SshHosts,
  sshHosts,
} from "./_cluster.ts";

const service = sshHosts();
const skip = service.ok ? false : service.skip;
if (skip) console.error(`placement_test: skipping every test: ${skip}`);
const hosts: SshHosts = service.ok
  ? service.value
  : { ssh: "ssh", hosts: [], names: new Map(), mode: "", sshdPids: new Map() };
const [h1, h2, h3] = hosts.hosts;
const nameOf = (host: string) => hosts.names.get(host) ?? host;
const options = { skip, timeout: 60_000 };
const WHERE = path.join(REPO, "tests", "launcher", "_where.ts");
const ECHO = path.join(REPO, "tests", "launcher", "_echo.ts");

/** Where each rank said it ran: `rank -> { host, local, cpus }`. */
interface Where {
  host: string;
  local: string;
  cpus: string;
}

/** Runs the launcher over the ssh hosts with `args` and `extraEnv`; checks nothing of the job is left. */
async function launch(args: string[], extraEnv: Record<string, string> = {}, input?: string) {
  const mark = marker();
  const { command, args: full } = launcherCommand(["--timeout", "20", ...args, mark]);
  const result = await run(command, full, { ...cleanEnv(), MPIRUN_DENO_SSH: hosts.ssh, ...extraEnv }, {
    input,
    timeoutMs: 40_000,
  });
  assert.deepEqual(await leftovers(mark), [], `processes of the job are left: ${result.stderr}`);
  const where = new Map<number, Where>();
  for (const line of result.stdout.split("\n")) {
    const match = /^where rank (\d+) host (\S+) local (\S+) cpus (\S+)$/.exec(line);
    if (match) where.set(Number(match[1]), { host: match[2], local: match[3], cpus: match[4] });
  }
  return { ...result, where };
}

/** The hosts of ranks 0.. in order. */
function hostsOf(where: Map<number, Where>): string[] {
  return [...where.keys()].sort((a, b) => a - b).map((rank) => where.get(rank)!.host);
}

test(
  `--map-by node --rank-by slot --bind-to core: ranks host by host, each on its core (${flavour})`,
  options,
  async () => {
    const job = await launch([
      "--host",
      `${h1}:2,${h2}:2`,
      "-n",
      "4",
      "--map-by",
      "node",
      "--rank-by",
      "slot",
      "--bind-to",
      "core",
      "--report-bindings",
      "--display-map",
      WHERE,
    ]);
    assert.equal(job.code, 0, job.stderr);
    assert.deepEqual(hostsOf(job.where), [h1, h1, h2, h2].map(nameOf));
    for (const [rank, where] of job.where) {
      const local = rank % 2;
      assert.equal(where.local, `${local}/2`);
      assert.equal(
        where.cpus,
        String(local),
        `rank ${rank} may run on CPUs ${where.cpus}, not core ${local}`,
      );
      assert.match(
        job.stderr,
        new RegExp(
          `^mpirun-deno: rank ${rank} \\(host ${[h1, h1, h2, h2][rank]}\\) bound to core ${local}$`,
          "m",
        ),
      );
    }
    const map = job.stderr.split("\n").filter((line) => line.startsWith("mpirun-deno:   "));
    assert.deepEqual(map.map((line) => line.slice("mpirun-deno:   ".length).split(/\s+/)), [
      ["rank", "host", "local", "core", "program"],
      ["0", h1, "0", "0", "_where.ts"],
      ["1", h1, "1", "1", "_where.ts"],
      ["2", h2, "0", "0", "_where.ts"],
      ["3", h2, "1", "1", "_where.ts"],
    ]);
    assert.match(job.stderr, /^mpirun-deno: job map: 4 ranks on 2 hosts$/m);
  },
);

test(`-N 1 puts one rank on each host of a hostfile, whatever its slots (${flavour})`, options, async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-placement-")), "hosts");
  fs.writeFileSync(file, `${h1} slots=2\n${h2} slots=2\n${h3} slots=2\n`);
  const job = await launch(["--hostfile", file, "-N", "1", WHERE]);
  assert.equal(job.code, 0, job.stderr);
  assert.deepEqual(hostsOf(job.where), [h1, h2, h3].map(nameOf));
  for (const where of job.where.values()) assert.equal(where.local, "0/1");
});

test(
  `--map-by ppr:2:node and --rank-by node deal 2 ranks per host round-robin (${flavour})`,
  options,
  async () => {
    const job = await launch([
      "--host",
      `${h1},${h2},${h3}`,
      "--map-by",
      "ppr:2:node",
      "--rank-by",
      "node",
      WHERE,
    ]);
    assert.equal(job.code, 0, job.stderr);
    assert.deepEqual(hostsOf(job.where), [h1, h2, h3, h1, h2, h3].map(nameOf));
    assert.deepEqual(
      [...job.where.values()].map((where) => where.cpus).filter((cpus) => !/^\d/.test(cpus)),
      [],
    );
  },
);

const batchAllocations: [string, () => Record<string, string>, string[]][] = [
  ["PBS_NODEFILE", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-pbs-")), "nodes");
    fs.writeFileSync(file, `${h2}\n${h2}\n${h3}\n`);
    return { PBS_NODEFILE: file };
  }, [h2, h2, h3]],
  ["LSB_MCPU_HOSTS", () => ({ LSB_MCPU_HOSTS: `${h3} 1 ${h1} 2` }), [h3, h1, h1]],
  ["LSB_HOSTS", () => ({ LSB_HOSTS: `${h1} ${h3} ${h3}` }), [h1, h3, h3]],
];

for (const [variable, env, expected] of batchAllocations) {
  test(`${variable} gives the hosts and slots of the job (${flavour})`, options, async () => {
    const job = await launch([WHERE], env());
    assert.equal(job.code, 0, job.stderr);
    assert.deepEqual(hostsOf(job.where), expected.map(nameOf));
  });
}

test(`more ranks than a PBS job's slots is refused, with the numbers (${flavour})`, options, async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "mpirun-deno-pbs-")), "nodes");
  fs.writeFileSync(file, `${h1}\n${h2}\n`);
  const job = await launch(["-n", "3", WHERE], { PBS_NODEFILE: file });
  assert.equal(job.code, 2, job.stderr);
  assert.match(
    job.stderr,
    /^mpirun-deno: -n: 3 ranks do not fit the 2 slots of the PBS job's nodes; add --oversubscribe$/m,
  );
});

test(`--stdin all gives ranks on every host a copy of the input (${flavour})`, options, async () => {
  const job = await launch(["--host", `${h1}:2,${h2}`, "-n", "3", "--stdin", "all", ECHO], {}, "to all\n");
  assert.equal(job.code, 0, job.stderr);
  for (const rank of [0, 1, 2]) {
    assert.match(job.stdout, new RegExp(`^rank ${rank} read "to all\\\\n"$`, "m"));
  }
});

test(`an MPMD job spans hosts: each program on its own, one world (${flavour})`, options, async () => {
  const app = path.join(REPO, "tests", "launcher", "_app.ts");
  const job = await launch([
    "--host",
    `${h1},${h2}`,
    "--display-map",
    "-n",
    "1",
    app,
    "a",
    ":",
    "-n",
    "1",
    app,
    "b",
  ]);
  assert.equal(job.code, 0, job.stderr);
  assert.match(job.stdout, /^app a rank 0\/2 appnum 0 env 0 world a,b /m);
  assert.match(job.stdout, /^app b rank 1\/2 appnum 1 env 1 world a,b /m);
  assert.match(job.stderr, new RegExp(`^mpirun-deno:   0 +${h1} +0 +- +0: _app\\.ts$`, "m"));
  assert.match(job.stderr, new RegExp(`^mpirun-deno:   1 +${h2} +0 +- +1: _app\\.ts$`, "m"));
});
