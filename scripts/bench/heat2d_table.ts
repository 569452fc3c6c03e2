/**
 * Side-by-side times of `examples/heat2d.ts` (ranks on Deno and on Bun) and its mpi4py twin
 * `scripts/bench/heat2d.py` (Open MPI's `mpiexec`), for 1, 2 and 4 ranks: the solve's time each prints
 * (iterations and halo exchanges, between two barriers), median of `--reps` runs, as a markdown table.
 *
 * ```sh
 * deno run -A scripts/bench/heat2d_table.ts --n 256 --iterations 200 --reps 5
 * ```
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const REPO = fileURLToPath(new URL("../../", import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: "string", default: "256" },
    iterations: { type: "string", default: "200" },
    reps: { type: "string", default: "5" },
    ranks: { type: "string", default: "1,2,4" },
  },
});
const problem = [values.n, values.iterations];
const deno = `${REPO}node_modules/.bin/deno`;

/** Each implementation: the command for `ranks` ranks. */
const IMPLEMENTATIONS: Record<string, (ranks: number) => string[]> = {
  "mpirun-deno (Deno)": (
    ranks,
  ) => [
    deno,
    "run",
    "-A",
    `${REPO}cli.ts`,
    "-n",
    `${ranks}`,
    "--oversubscribe",
    "--runtime",
    "deno",
    `${REPO}examples/heat2d.ts`,
    ...problem,
  ],
  "mpirun-deno (Bun)": (
    ranks,
  ) => [
    deno,
    "run",
    "-A",
    `${REPO}cli.ts`,
    "-n",
    `${ranks}`,
    "--oversubscribe",
    "--runtime",
    "bun",
    `${REPO}examples/heat2d.ts`,
    ...problem,
  ],
  "mpi4py (Open MPI)": (
    ranks,
  ) => [
    "mpiexec",
    "--allow-run-as-root",
    "--oversubscribe",
    "-n",
    `${ranks}`,
    "/usr/bin/python3",
    `${REPO}scripts/bench/heat2d.py`,
    ...problem,
  ],
};

/** The solve's seconds that one run prints. */
function once(command: string[]): number {
  const result = spawnSync(command[0], command.slice(1), { encoding: "utf8", cwd: REPO });
  const match = /max error against one rank 0, ([\d.]+) s/.exec(result.stdout);
  if (result.status !== 0 || !match) {
    throw new Error(`${command.join(" ")} failed (${result.status}): ${result.stdout}${result.stderr}`);
  }
  return Number(match[1]);
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const ranks = values.ranks.split(",").map(Number);
const rows: string[] = [];
for (const [name, command] of Object.entries(IMPLEMENTATIONS)) {
  const cells = ranks.map((n) => {
    const times = Array.from({ length: Number(values.reps) }, () => once(command(n)));
    process.stderr.write(`${name}, ${n} ranks: ${times.join(" ")}\n`);
    return `${median(times).toFixed(3)} s`;
  });
  rows.push(`| ${name} | ${cells.join(" | ")} |`);
}
console.log(
  `| heat2d ${values.n} x ${values.n}, ${values.iterations} iterations | ${
    ranks.map((n) => `${n} ranks`).join(" | ")
  } |`,
);
console.log(`| --- | ${ranks.map(() => "---:").join(" | ")} |`);
for (const row of rows) console.log(row);
