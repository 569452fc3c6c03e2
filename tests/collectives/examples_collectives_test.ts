/**
 * The collective examples from the mpi4py tutorial (examples/bcast.ts, scatter.ts, pi_gather.ts,
 * pi_reduce.ts) through the real launcher on 1 to 4 ranks: each prints what the tutorial prints.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { flavour, runRanks } from "../_helpers/run_ranks.ts";

const SIZES = [1, 2, 3, 4];

/** NumPy's print of whole-number floats, e.g. `[ 8.  9. 10. 11.]`. */
function numpy(values: number[]): string {
  const items = values.map((value) => `${value}.`);
  const width = Math.max(0, ...items.map((item) => item.length));
  return `[${items.map((item) => item.padStart(width)).join(" ")}]`;
}

for (const size of SIZES) {
  test(`examples/bcast.ts gives every rank [0. 1. 2. 3.] on ${size} ranks (${flavour})`, async () => {
    const job = await runRanks(size, "examples/bcast.ts");
    assert.equal(job.code, 0, job.stderr);
    for (let rank = 0; rank < size; rank++) {
      assert.deepEqual(job.ranks[rank], [`Process ${rank} has data: [0. 1. 2. 3.]`]);
    }
  });

  test(`examples/scatter.ts splits 15 numbers as evenly as ${size} ranks allow (${flavour})`, async () => {
    const job = await runRanks(size, "examples/scatter.ts");
    assert.equal(job.code, 0, job.stderr);
    let start = 0;
    for (let rank = 0; rank < size; rank++) {
      const count = Math.floor(15 / size) + (rank < 15 % size ? 1 : 0);
      const block = Array.from({ length: count }, (_, i) => start + i);
      assert.deepEqual(job.ranks[rank], [`Process ${rank} has data: ${numpy(block)}`]);
      start += count;
    }
    if (size === 4) assert.deepEqual(job.ranks[2], ["Process 2 has data: [ 8.  9. 10. 11.]"]);
  });

  for (const example of ["pi_gather", "pi_reduce"]) {
    test(`examples/${example}.ts prints the time and a tiny error on ${size} ranks (${flavour})`, async () => {
      const job = await runRanks(size, `examples/${example}.ts`);
      assert.equal(job.code, 0, job.stderr);
      assert.equal(job.ranks[0].length, 2, job.stdout);
      assert.match(job.ranks[0][0], /^pi computed in \d+\.\d{3} sec$/);
      const error = /^error is (.+)$/.exec(job.ranks[0][1]);
      assert.ok(error && Number(error[1]) < 1e-10, job.ranks[0][1]);
      for (let rank = 1; rank < size; rank++) assert.deepEqual(job.ranks[rank], []);
    });
  }
}
