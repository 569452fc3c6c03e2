/**
 * The launcher with the ssh backend, end to end, without any sshd: a stand-in ssh (fixtures/fake_ssh.sh) runs
 * the remote agent on this machine. tests/cluster/ssh_test.ts does the same against real sshd hosts.
 */

import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { runProcess } from "../_helpers/process.ts";
import { flavour, launcherCommand, REPO } from "../_helpers/run_ranks.ts";

const FAKE_SSH = path.join(REPO, "tests", "launch", "fixtures", "fake_ssh.sh");

function launch(args: string[], env: Record<string, string | undefined> = {}) {
  const { command, args: full } = launcherCommand(args);
  return runProcess(command, full, {
    cwd: REPO,
    env: { MPIRUN_DENO_SSH: FAKE_SSH, MPIRUN_DENO_BIND_ADDRESS: undefined, ...env },
    timeoutMs: 30_000,
  });
}

test(`ranks on named hosts start through the ssh command and form one world (${flavour})`, async () => {
  const job = await launch([
    "--host",
    "node-a:2,node-b:2",
    "--bind-address",
    "127.0.0.1",
    "--tag-output",
    "examples/hello.ts",
  ]);
  assert.equal(job.code, 0, job.stderr);
  for (let rank = 0; rank < 4; rank++) {
    assert.match(
      job.stdout,
      new RegExp(`^\\[${rank}\\] Hello, World! I am process ${rank} of 4 on ${os.hostname()}\\.$`, "m"),
    );
  }
});

test(`a remote rank's failure ends the job with the launcher's message (${flavour})`, async () => {
  const job = await launch([
    "--host",
    "node-a,node-b",
    "--bind-address",
    "127.0.0.1",
    "tests/cluster/_fail.ts",
    "exit",
    "1",
    "5",
  ]);
  assert.equal(job.code, 5, job.stderr);
  assert.match(job.stderr, /mpirun-deno: rank 1 \(host \S+, pid \d+\) exited with code 5/);
});

test(`with no way to tell the address remote hosts reach, the launcher asks for one (${flavour})`, async () => {
  const job = await launch(["--host", "node-a.invalid", "examples/hello.ts"]);
  assert.equal(job.code, 2, job.stderr);
  assert.match(
    job.stderr,
    /Cannot tell which address of this machine the other hosts reach; give it with --bind-address/,
  );
});

test(`MPIRUN_DENO_BIND_ADDRESS of the launcher is the address remote hosts dial (${flavour})`, async () => {
  const job = await launch(["--host", "node-a", "examples/hello.ts"], {
    MPIRUN_DENO_BIND_ADDRESS: "127.0.0.1",
  });
  assert.equal(job.code, 0, job.stderr);
});
