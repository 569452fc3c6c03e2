/**
 * How fast a datatype gathers and scatters halos: `Pack` and `Unpack` of a column of a row-major grid of
 * doubles (a vector datatype, one double per run) and of a 2-D block (a subarray, one run per row), against
 * the plain loop a user would write. After 20 rounds of warm-up, the median of 21 rounds of 200 calls each,
 * in ns per element.
 *
 * ```sh
 * deno run -A scripts/bench/pack.ts
 * bun scripts/bench/pack.ts
 * ```
 *
 * @module
 */

import { DOUBLE } from "../../lib/datatypes/basic.ts";
import type { Datatype } from "../../lib/datatypes/datatype.ts";

const N = 1024;
const grid = Float64Array.from({ length: N * N }, (_, i) => i);
const packed = new Float64Array(N * N);

/** Median ns per element of `calls` calls of `run`, moving `elements` elements each. */
function measure(elements: number, run: () => void): number {
  const rounds: number[] = [];
  for (let round = 0; round < 20; round++) for (let call = 0; call < 200; call++) run();
  for (let round = 0; round < 21; round++) {
    const start = performance.now();
    for (let call = 0; call < 200; call++) run();
    rounds.push((performance.now() - start) * 1e6 / (200 * elements));
  }
  return rounds.sort((a, b) => a - b)[10];
}

function row(name: string, elements: number, type: Datatype, loop: () => void): void {
  const pack = measure(elements, () => type.Pack(grid, packed, 0));
  const unpack = measure(elements, () => type.Unpack(packed, 0, grid));
  const plain = measure(elements, loop);
  console.log(
    `${name.padEnd(28)} Pack ${pack.toFixed(2)} ns/elt, Unpack ${unpack.toFixed(2)} ns/elt, loop ${
      plain.toFixed(2)
    } ns/elt`,
  );
}

const column = DOUBLE.Create_vector(N, 1, N).Commit();
row(`column of ${N}`, N, column, () => {
  for (let i = 0; i < N; i++) packed[i] = grid[i * N];
});
const B = 256;
const block = DOUBLE.Create_subarray([N, N], [B, B], [1, 1]).Commit();
row(`${B} x ${B} block`, B * B, block, () => {
  for (let i = 0; i < B; i++) packed.set(grid.subarray((i + 1) * N + 1, (i + 1) * N + 1 + B), i * B);
});
