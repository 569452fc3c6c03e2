/**
 * Latency against the number of ranks, as an SVG: one panel per case (barrier, Allreduce of 1 K f64), one
 * line per implementation (mpirun-deno, mpi4py on Open MPI's shared memory and on its TCP transport), both
 * axes logarithmic. Reads the run directories of `run.ts` or `device.sh`.
 *
 * ```sh
 * deno run -A scripts/bench/plot.ts .tmp/device/n2 .tmp/device/n4 .tmp/device/n8 .tmp/device/n16 > docs/bench-scale.svg
 * ```
 *
 * @module
 */

import process from "node:process";
import { loadRun } from "./compare.ts";
import type { BenchRecord } from "./run.ts";

/** The cases drawn, one panel each. */
const CASES = ["barrier", "allreduce/f64-1K"];

/** The lines of a panel: which records, how they are named and drawn. */
const SERIES = [
  { impl: "mpirun-deno", label: "mpirun-deno (binary, Bun)", color: "#d6336c", dash: "" },
  { impl: "mpi4py-shm", label: "mpi4py, Open MPI shared memory", color: "#1c7ed6", dash: "" },
  { impl: "mpi4py-tcp", label: "mpi4py, Open MPI TCP", color: "#495057", dash: "6 4" },
];

const PANEL_WIDTH = 360;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 56, right: 16, top: 34, bottom: 44 };
const LEGEND_HEIGHT = 64;

/** `value` on a log scale between `low` and `high`, as a fraction. */
function logFraction(value: number, low: number, high: number): number {
  return (Math.log(value) - Math.log(low)) / (Math.log(high) - Math.log(low));
}

/** Powers of ten (and their 2x and 5x) within `[low, high]`, for the y axis. */
function ticks(low: number, high: number): number[] {
  const found: number[] = [];
  for (let decade = Math.floor(Math.log10(low)); decade <= Math.ceil(Math.log10(high)); decade++) {
    for (const step of [1, 2, 5]) {
      const value = step * 10 ** decade;
      if (value >= low && value <= high) found.push(value);
    }
  }
  return found;
}

/** One panel of `records` for `name`, at horizontal offset `x0`. */
function panel(records: readonly BenchRecord[], name: string, x0: number): string {
  const rows = records.filter((r) => r.case === name);
  const ranks = [...new Set(rows.map((r) => r.ranks))].sort((a, b) => a - b);
  if (ranks.length === 0) return "";
  const values = rows.map((r) => r.median).filter((v) => v > 0);
  const low = Math.min(...values) / 1.5, high = Math.max(...values) * 1.5;
  const width = PANEL_WIDTH - MARGIN.left - MARGIN.right;
  const height = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (n: number) =>
    x0 + MARGIN.left + (ranks.length === 1 ? width / 2 : logFraction(n, ranks[0], ranks.at(-1)!) * width);
  const y = (v: number) => MARGIN.top + height - logFraction(v, low, high) * height;
  const parts = [
    `<text x="${
      x0 + PANEL_WIDTH / 2
    }" y="20" text-anchor="middle" font-weight="bold">${name} (µs, median)</text>`,
    `<rect x="${
      x0 + MARGIN.left
    }" y="${MARGIN.top}" width="${width}" height="${height}" fill="none" stroke="#ced4da"/>`,
  ];
  for (const tick of ticks(low, high)) {
    parts.push(
      `<line x1="${x0 + MARGIN.left}" x2="${x0 + MARGIN.left + width}" y1="${y(tick)}" y2="${
        y(tick)
      }" stroke="#f1f3f5"/>`,
      `<text x="${x0 + MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${tick}</text>`,
    );
  }
  for (const n of ranks) {
    parts.push(
      `<text x="${x(n)}" y="${MARGIN.top + height + 16}" text-anchor="middle" font-size="11">${n}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + MARGIN.left + width / 2}" y="${
      PANEL_HEIGHT - 8
    }" text-anchor="middle" font-size="12">ranks</text>`,
  );
  for (const series of SERIES) {
    const points = ranks.flatMap((n) => {
      const record = rows.find((r) => r.impl === series.impl && r.ranks === n);
      return record && record.median > 0 ? [[x(n), y(record.median)] as const] : [];
    });
    if (points.length === 0) continue;
    parts.push(
      `<polyline fill="none" stroke="${series.color}" stroke-width="2" stroke-dasharray="${series.dash}" ` +
        `points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ")}"/>`,
      ...points.map(([px, py]) =>
        `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${series.color}"/>`
      ),
    );
  }
  return parts.join("\n");
}

/** The whole figure: a panel per case side by side, the legend below. */
export function plot(records: readonly BenchRecord[]): string {
  const width = PANEL_WIDTH * CASES.length;
  const height = PANEL_HEIGHT + LEGEND_HEIGHT;
  const legend = SERIES.map((series, i) => {
    const y = PANEL_HEIGHT + 14 + i * 18;
    return `<line x1="${MARGIN.left}" x2="${
      MARGIN.left + 28
    }" y1="${y}" y2="${y}" stroke="${series.color}" ` +
      `stroke-width="2" stroke-dasharray="${series.dash}"/>` +
      `<text x="${MARGIN.left + 36}" y="${y + 4}" font-size="12">${series.label}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...CASES.map((name, i) => panel(records, name, i * PANEL_WIDTH)),
    ...legend,
    "</svg>",
  ].join("\n") + "\n";
}

if (import.meta.main) {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) throw new Error("usage: plot.ts RUN_DIR...");
  process.stdout.write(plot(dirs.flatMap(loadRun)));
}
