/**
 * Ranks of one host in different PID namespaces (a container of their own, `unshare --pid`): the outer rank
 * names the inner one by another number than the inner one's own, and the inner one cannot name the outer at
 * all (`SO_PEERCRED` gives 0). Both ends of a Unix socket must still agree on whether they negotiate a ring
 * (they once did not: the outer one offered, the inner one read the offer as frames, and both failed), and a
 * ring goes only where the acceptor can open the dialler's memory. Needs `unshare --pid` (root, or user
 * namespaces); skipped elsewhere.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { flavour, runDirect } from "../_helpers/run_ranks.ts";

const INNER = ["unshare", "--pid", "--fork", "--mount-proc"];
const skip = spawnSync(INNER[0], [...INNER.slice(1), "true"]).status === 0
  ? false
  : "unshare --pid is not permitted here";

for (const inner of [0, 1]) {
  test(
    `ranks of one host in two PID namespaces talk, rank ${inner} inside (${flavour})`,
    { skip },
    async () => {
      const results = await runDirect(
        2,
        "tests/transport/pid_namespace_job.ts",
        30_000,
        (rank) => rank === inner ? INNER : [],
      );
      for (const [rank, result] of results.entries()) {
        assert.equal(result.code, 0, `rank ${rank}: ${result.stderr}`);
        assert.equal(
          result.stdout.trim(),
          `rank ${rank}: 200 round trips, bcast {"from":"rank 0"}, sum 3`,
          `rank ${rank}: ${result.stderr}`,
        );
      }
    },
  );
}
