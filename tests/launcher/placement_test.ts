/**
 * Placement on this machine through the real launcher: `--bind-to core` starts each rank on the core of its
 * local rank (the rank reads its own affinity), `--report-bindings` and `--display-map` print the plan
 * before the start, `-N` and `--rank-by` place and number ranks over two names of this host, and binding
 * more ranks than cores is refused with the numbers. Placement across hosts: `tests/cluster/placement_test.ts`.
 */

import assert from "node:assert/strict";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { allowedCpus } from "../../lib/launch/binding.ts";
import { APP, launch, REPO } from "./_launch.ts";

const OPTS = { timeout: 90_000 };
const WHERE = path.join(REPO, "tests", "launcher", "_where.ts");
const CPUS = allowedCpus() ?? [0];
/** Ranks that can each have a core of their own here. */
const BOUND = Math.min(2, CPUS.length);

/** The `where` lines of `_where.ts`, by rank. */
function whereLines(stdout: string): Map<number, { host: string; local: string; cpus: string }> {
  const out = new Map<number, { host: string; local: string; cpus: string }>();
  for (const line of stdout.split("\n")) {
    const match = /^where rank (\d+) host (\S+) local (\S+) cpus (\S+)$/.exec(line);
    if (match) out.set(Number(match[1]), { host: match[2], local: match[3], cpus: match[4] });
  }
  return out;
}

test(
  "--bind-to core binds each rank to its core, as --report-bindings and --display-map say",
  OPTS,
  async () => {
    const { code, stdout, stderr } = await launch([
      "-n",
      String(BOUND),
      "--bind-to",
      "core",
      "--report-bindings",
      "--display-map",
      WHERE,
    ]);
    assert.equal(code, 0, stderr);
    const where = whereLines(stdout);
    assert.equal(where.size, BOUND, stdout);
    for (let rank = 0; rank < BOUND; rank++) {
      assert.equal(where.get(rank)?.cpus, String(CPUS[rank]), `rank ${rank}: ${stdout}`);
      assert.match(
        stderr,
        new RegExp(`^mpirun-deno: rank ${rank} \\(host .*\\) bound to core ${CPUS[rank]}$`, "m"),
      );
      assert.match(
        stderr,
        new RegExp(`^mpirun-deno:   ${rank} +\\S+ +${rank} +${CPUS[rank]} +_where\\.ts$`, "m"),
      );
    }
    // The map comes before anything the ranks print.
    assert.match(stderr, /^mpirun-deno: job map: \d ranks? on 1 host\n/);
  },
);

test("without --bind-to, ranks are not bound, and --report-bindings says so", OPTS, async () => {
  const { code, stdout, stderr } = await launch(["--oversubscribe", "-n", "2", "--report-bindings", WHERE]);
  assert.equal(code, 0, stderr);
  assert.match(stderr, /^mpirun-deno: rank 1 \(host .*\) not bound$/m);
  for (const where of whereLines(stdout).values()) assert.equal(where.cpus, allowedCpusText(), stdout);
});

test("-N 2 over two names of this host, numbered round-robin with --rank-by node", OPTS, async () => {
  const names = ["localhost", os.hostname()];
  const { code, stderr } = await launch([
    "--host",
    names.join(","),
    "-N",
    "2",
    "--rank-by",
    "node",
    "--display-map",
    APP,
    "x",
  ]);
  assert.equal(code, 0, stderr);
  const rows = stderr.split("\n").filter((line) => /^mpirun-deno: {3}\d/.test(line)).map((line) =>
    line.split(/\s+/).slice(1, 4)
  );
  assert.deepEqual(rows, [["0", names[0], "0"], ["1", names[1], "0"], ["2", names[0], "1"], [
    "3",
    names[1],
    "1",
  ]]);
});

test("binding more ranks than this host's cores is refused, with the numbers", OPTS, async () => {
  const n = CPUS.length + 1;
  const { code, stderr } = await launch(["--oversubscribe", "-n", String(n), "--bind-to", "core", WHERE]);
  assert.equal(code, 2, stderr);
  assert.match(
    stderr,
    new RegExp(
      `^mpirun-deno: --bind-to core: ${n} ranks on this host but ${CPUS.length} cores to bind them to; `,
      "m",
    ),
  );
});

/** This process's CPU list as Linux writes it. */
function allowedCpusText(): string {
  const ranges: string[] = [];
  for (let index = 0; index < CPUS.length;) {
    let end = index;
    while (end + 1 < CPUS.length && CPUS[end + 1] === CPUS[end] + 1) end++;
    ranges.push(end === index ? `${CPUS[index]}` : `${CPUS[index]}-${CPUS[end]}`);
    index = end + 1;
  }
  return ranges.join(",");
}
