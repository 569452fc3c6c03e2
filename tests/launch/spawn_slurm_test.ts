import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../lib/launch/options.ts";
import {
  allocationHosts,
  allocationTasks,
  LabelSplitter,
  parseTaskStatus,
  srunArguments,
  stepEnvironment,
} from "../../lib/launch/spawn_slurm.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const bytes = (value: string) => new TextEncoder().encode(value);

test("srun's reports of tasks that ended badly give each task's exit status", () => {
  assert.deepEqual(parseTaskStatus("srun: error: n2: task 3: Exited with exit code 5"), {
    node: "n2",
    tasks: [3],
    status: { code: 5, signal: null },
  });
  assert.deepEqual(parseTaskStatus("srun: error: n1: tasks 0-2,5: Killed"), {
    node: "n1",
    tasks: [0, 1, 2, 5],
    status: { code: null, signal: "SIGKILL" },
  });
  assert.deepEqual(parseTaskStatus("srun: error: n1: task 2: Segmentation fault (core dumped)")?.status, {
    code: null,
    signal: "SIGSEGV",
  });
  assert.equal(parseTaskStatus("srun: error: Unable to create step for job 9: Invalid argument"), undefined);
  assert.equal(parseTaskStatus("0: srun: error: n1: task 1: Exited with exit code 1"), undefined);
});

test("labelled output is split back into lines per task, whatever the chunking", () => {
  const input = " 0: first\n12: x: y\nsrun: error: something\n3: no newline";
  for (let cut = 0; cut <= input.length; cut++) {
    const splitter = new LabelSplitter();
    const lines = [
      ...splitter.push(bytes(input.slice(0, cut))),
      ...splitter.push(bytes(input.slice(cut))),
      ...splitter.flush(),
    ];
    assert.deepEqual(lines.map((line) => [line.task, text(line.bytes)]), [
      [0, "first\n"],
      [12, "x: y\n"],
      [undefined, "srun: error: something\n"],
      [3, "no newline\n"],
    ]);
  }
});

test("the allocation's nodes and tasks per node give the hosts and the default number of ranks", () => {
  const env = {
    SLURM_JOB_ID: "7",
    SLURM_JOB_NODELIST: "n[1-3]",
    SLURM_TASKS_PER_NODE: "2(x2),1",
    SLURM_NTASKS: "5",
  };
  assert.deepEqual(allocationHosts(env), [{ host: "n1", slots: 2 }, { host: "n2", slots: 2 }, {
    host: "n3",
    slots: 1,
  }]);
  assert.equal(allocationTasks(env), 5);
  assert.equal(allocationTasks({ SLURM_JOB_ID: "7" }), undefined);
  assert.deepEqual(
    allocationHosts({ SLURM_JOB_ID: "7", SLURM_JOB_NODELIST: "c01", SLURM_JOB_CPUS_PER_NODE: "8" }),
    [
      { host: "c01", slots: 8 },
    ],
  );
  const step = {
    ...env,
    SLURM_STEP_ID: "0",
    SLURM_TASKS_PER_NODE: "1",
    SLURM_NTASKS: "1",
    SLURM_JOB_CPUS_PER_NODE: "4(x3)",
  };
  assert.deepEqual(
    allocationHosts(step).map((host) => host.slots),
    [4, 4, 4],
    "inside a step, the job's CPUs",
  );
  assert.equal(allocationTasks(step), undefined);
  assert.throws(
    () => allocationHosts({}),
    (error) => error instanceof UsageError && /salloc or sbatch/.test(error.message),
  );
});

test("one srun step runs every rank, labelled, stdin to task 0, in the launcher's directory", () => {
  const args = srunArguments({
    ntasks: 6,
    cyclic: true,
    overcommit: false,
    overlap: false,
    cwd: "/work",
    name: "mpirun-deno-1-0",
    command: "/opt/deno",
    args: ["run", "-A", "rank_main.ts", "x"],
  });
  assert.deepEqual(args.slice(0, 3), ["--ntasks=6", "--label", "--input=0"]);
  assert.ok(args.includes("--chdir=/work") && args.includes("--distribution=cyclic"));
  assert.deepEqual(args.slice(args.indexOf("--")), ["--", "/opt/deno", "run", "-A", "rank_main.ts", "x"]);
  assert.ok(!args.some((arg) => arg.includes("TOKEN")), "nothing secret on srun's command line");
});

test("the step's environment leaves the rank numbers to Slurm", () => {
  const env = stepEnvironment({
    MPIRUN_DENO_RANK: "0",
    MPIRUN_DENO_LOCAL_RANK: "0",
    MPIRUN_DENO_LOCAL_SIZE: "2",
    MPIRUN_DENO_SIZE: "4",
    MPIRUN_DENO_TOKEN: "ab",
  });
  assert.deepEqual(env, { MPIRUN_DENO_SIZE: "4", MPIRUN_DENO_TOKEN: "ab" });
});
