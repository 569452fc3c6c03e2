/**
 * The communicator SPMD scripts on 1 to 5 ranks through the real launcher (see run_ranks.ts for which one),
 * and Split_type on jobs whose ranks claim different hosts (`MPIRUN_DENO_HOSTNAME` as a list: rank r takes
 * item r modulo the count).
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { assertAllOk, flavour, runRanks, spmdSuite } from "../_helpers/run_ranks.ts";

/** Self-checking scripts: each prints `<name> ok on rank R of N` on every rank. */
spmdSuite(["comm_split", "comm_errors", "comm_create_group", "comm_free_memory"]);

/** The host of each rank that a `MPIRUN_DENO_HOSTNAME` list gives. */
function hostsOf(list: string, size: number): string[] {
  const names = list.split(",");
  return Array.from({ length: size }, (_, rank) => names[rank % names.length]);
}

/** Host tables and job sizes: alternating hosts, uneven hosts, a host per rank. */
const HOST_CASES: [string, number[]][] = [
  ["node-a,node-b", [1, 2, 3, 4, 5]],
  ["a,a,b", [3, 4, 5]],
  ["h0,h1,h2,h3,h4", [5]],
];

for (const [list, sizes] of HOST_CASES) {
  for (const size of sizes) {
    test(`Split_type(COMM_TYPE_SHARED) groups ranks by host with hosts ${list} on ${size} ranks (${flavour})`, async () => {
      const job = await runRanks(size, "tests/spmd/comm_split_type.ts", {
        env: { MPIRUN_DENO_HOSTNAME: list },
      });
      assertAllOk(job, "comm_split_type", size);
      const hosts = hostsOf(list, size);
      for (let rank = 0; rank < size; rank++) {
        const mates = hosts.flatMap((host, r) => host === hosts[rank] ? [r] : []);
        assert.ok(
          job.ranks[rank].includes(`host ${hosts[rank]}: ${mates.join(",")}`),
          `rank ${rank} on ${hosts[rank]} should share it with ${mates}: ${job.ranks[rank].join("\n")}`,
        );
        const halfMates = mates.filter((r) => r % 2 === rank % 2);
        assert.ok(
          job.ranks[rank].includes(`half ${rank % 2} host ${hosts[rank]}: ${halfMates.join(",")}`),
          `rank ${rank} in half ${rank % 2} should share its host with ${halfMates}: ${
            job.ranks[rank].join("\n")
          }`,
        );
      }
    });
  }
}
