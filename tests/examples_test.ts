/** The tutorial programs in examples/, through the real launcher on 1 to 4 ranks, with every rank's line checked. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { flavour, runRanks } from "./_helpers/run_ranks.ts";

const SIZES = [1, 2, 3, 4];

for (const size of SIZES) {
  test(`examples/hello.ts greets from every rank on ${size} ranks (${flavour})`, async () => {
    const job = await runRanks(size, "examples/hello.ts");
    assert.equal(job.code, 0, job.stderr);
    for (let rank = 0; rank < size; rank++) {
      assert.deepEqual(job.ranks[rank], [`Hello, World! I am process ${rank} of ${size} on ${hostname()}.`]);
    }
  });

  for (const example of ["p2p", "nonblocking"]) {
    test(`examples/${example}.ts delivers {x: 1, y: 2} with tag = rank on ${size} ranks (${flavour})`, async () => {
      const job = await runRanks(size, `examples/${example}.ts`);
      assert.equal(job.code, 0, job.stderr);
      assert.deepEqual(job.ranks[0], [`rank 0 sent {"x":1,"y":2} to ${size - 1} ranks`]);
      for (let rank = 1; rank < size; rank++) {
        assert.deepEqual(job.ranks[rank], [`rank ${rank} received {"x":1,"y":2} with tag ${rank}`]);
      }
    });
  }
}
