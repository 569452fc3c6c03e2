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

/** What `mpiexec -n 1..4 python3 scripts/bench/heat2d.py 48 50` (mpi4py 3.1.4, numpy) prints as its checksum. */
const HEAT2D_CHECKSUM = "15661.813063";

for (const [size, dims] of [[1, "1 x 1"], [2, "2 x 1"], [4, "2 x 2"]] as const) {
  test(`examples/heat2d.ts gives the one-rank grid on ${size} ranks (${flavour})`, async () => {
    const job = await runRanks(size, "examples/heat2d.ts", { scriptArgs: ["48", "50"] });
    assert.equal(job.code, 0, job.stderr);
    assert.equal(job.ranks[0].length, 1, job.stdout);
    const expected =
      `heat2d: 48 x 48 grid, 50 iterations on ${size} ranks (${dims}): checksum ${HEAT2D_CHECKSUM}, ` +
      "max error against one rank 0, ";
    assert.ok(job.ranks[0][0].startsWith(expected), job.ranks[0][0]);
    for (let rank = 1; rank < size; rank++) assert.deepEqual(job.ranks[rank], []);
  });
}
