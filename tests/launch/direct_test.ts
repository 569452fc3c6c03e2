import assert from "node:assert/strict";
import { test } from "node:test";
import { directRank, isDirectLaunch } from "../../lib/launch/direct.ts";
import { resolveOptions, scanCommandLine, UsageError } from "../../lib/launch/options.ts";
import { REPO } from "./_helpers.ts";

const step = { SLURM_PROCID: "1", SLURM_STEP_ID: "0", SLURM_JOB_ID: "9" };
const options = (...args: string[]) => resolveOptions(scanCommandLine(args));
const command = () => ({ command: "/opt/deno", args: ["run", "-A", "rank_main.ts"], env: { EXTRA: "1" } });

test("a task of a Slurm step becomes a rank unless it was started by a launcher or asked to launch", () => {
  const raw = (...args: string[]) => scanCommandLine([...args, "app.ts"]);
  assert.ok(isDirectLaunch(raw(), step));
  assert.ok(isDirectLaunch(raw("--runtime", "bun"), step));
  assert.ok(
    !isDirectLaunch(raw(), { SLURM_PROCID: "0", SLURM_JOB_ID: "9" }),
    "a batch script is not a step task",
  );
  assert.ok(!isDirectLaunch(raw(), {}));
  assert.ok(!isDirectLaunch(raw(), { ...step, MPIRUN_DENO_COORDINATOR: "h:1" }));
  assert.ok(!isDirectLaunch(raw("-n", "4"), step));
  assert.ok(!isDirectLaunch(raw("--host", "a,b"), step));
  assert.ok(!isDirectLaunch(raw("--launcher", "local"), step));
});

test("the rank gets the task's environment, the exports and the script", () => {
  const rank = directRank(
    options("-x", "A=1", "--wdir", REPO, `${REPO}examples/hello.ts`, "arg"),
    step,
    command,
  );
  assert.equal(rank.command, "/opt/deno");
  assert.equal(rank.cwd.replace(/\/$/, ""), REPO.replace(/\/$/, ""));
  assert.equal(rank.env.SLURM_PROCID, "1");
  assert.equal(rank.env.A, "1");
  assert.equal(rank.env.EXTRA, "1");
  assert.equal(rank.env.MPIRUN_DENO_SCRIPT, `${REPO}examples/hello.ts`);
  assert.equal(rank.env.MPIRUN_DENO_TOKEN, undefined);
});

test("options only a launcher can honour are errors that name srun's equivalent", () => {
  const script = `${REPO}examples/hello.ts`;
  for (
    const [flags, message] of [
      [["--tag-output"], /--tag-output needs a launcher; under srun .* use srun --label/],
      [["--timeout", "5"], /--timeout needs a launcher; .*srun --time/],
      [["--map-by", "node"], /--map-by needs a launcher/],
    ] as const
  ) {
    assert.throws(
      () => directRank(options(...flags, script), step, command),
      (error) => error instanceof UsageError && message.test(error.message),
    );
  }
});
