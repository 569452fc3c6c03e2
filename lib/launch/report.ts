/**
 * `--report[=FILE]`, on the launcher's side: what every rank measured (`comm/profile.ts` sends it when its
 * script is done), put together per rank and in total, as a compact text table with a heat map of the
 * communication matrix (up to {@linkcode HEAT_MAP_MAX_RANKS} ranks), as JSON, and as a self-contained HTML
 * page (matrix heat map, per-rank time bars).
 *
 * @module
 */

/** One kind of call, as a rank counted it. */
export interface CallStats {
  calls: number;
  bytes: number;
  seconds: number;
  maxSeconds: number;
}

/** What one rank measured (the message `comm/profile.ts` sends). */
export interface RankProfile {
  rank: number;
  wallSeconds: number;
  mpiSeconds: number;
  calls: Record<string, CallStats>;
  slowest: { call: string; seconds: number; at: number }[];
  sentBytes: number[];
  sentMessages: number[];
}

/** The whole job's report. */
export interface JobReport {
  size: number;
  /** Each rank's profile; `null` for a rank that sent none (it failed, or exited before its script ended). */
  ranks: (RankProfile | null)[];
  /** Every kind of call, summed over the ranks. */
  calls: Record<string, CallStats>;
  /** The slowest calls of the job, slowest first. */
  slowest: { rank: number; call: string; seconds: number; at: number }[];
  /** Bytes and messages from rank i (row) to rank j (column). */
  matrix: { bytes: number[][]; messages: number[][] };
}

/** Up to how many ranks the terminal shows the matrix as a heat map (one column per rank). */
export const HEAT_MAP_MAX_RANKS = 32;

/** How many of the job's slowest calls the report lists. */
const SLOWEST_LISTED = 5;

/** Shades of the heat map, from nothing to the largest cell. */
const SHADES = [" ", "·", "░", "▒", "▓", "█"];

function isNumberArray(value: unknown, length: number): value is number[] {
  return Array.isArray(value) && value.length === length && value.every((item) => typeof item === "number");
}

/**
 * The profile a rank sent, checked: `undefined` when it is not one (a rank of another version, or garbage).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkProfile } from "./report.ts";
 * assert.equal(checkProfile({ rank: 0 }, 0, 2), undefined);
 * ```
 */
export function checkProfile(value: unknown, rank: number, size: number): RankProfile | undefined {
  const profile = value as RankProfile;
  if (
    typeof profile !== "object" || profile === null || profile.rank !== rank ||
    typeof profile.wallSeconds !== "number" || typeof profile.mpiSeconds !== "number" ||
    typeof profile.calls !== "object" || profile.calls === null || !Array.isArray(profile.slowest) ||
    !isNumberArray(profile.sentBytes, size) || !isNumberArray(profile.sentMessages, size)
  ) return undefined;
  return profile;
}

/**
 * Puts the ranks' profiles together.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildReport } from "./report.ts";
 * const calls = { send: { calls: 1, bytes: 8, seconds: 0.001, maxSeconds: 0.001 } };
 * const report = buildReport(2, [
 *   { rank: 0, wallSeconds: 1, mpiSeconds: 0.1, calls, slowest: [], sentBytes: [0, 8], sentMessages: [0, 1] },
 *   undefined,
 * ]);
 * assert.deepEqual(report.matrix.bytes, [[0, 8], [0, 0]]);
 * assert.equal(report.ranks[1], null);
 * ```
 */
export function buildReport(size: number, profiles: readonly (RankProfile | undefined)[]): JobReport {
  const calls: Record<string, CallStats> = {};
  const slowest: JobReport["slowest"] = [];
  const bytes: number[][] = [];
  const messages: number[][] = [];
  for (let rank = 0; rank < size; rank++) {
    const profile = profiles[rank];
    bytes.push(profile ? [...profile.sentBytes] : new Array(size).fill(0));
    messages.push(profile ? [...profile.sentMessages] : new Array(size).fill(0));
    if (!profile) continue;
    for (const [kind, stats] of Object.entries(profile.calls)) {
      const total = calls[kind] ??= { calls: 0, bytes: 0, seconds: 0, maxSeconds: 0 };
      total.calls += stats.calls;
      total.bytes += stats.bytes;
      total.seconds += stats.seconds;
      total.maxSeconds = Math.max(total.maxSeconds, stats.maxSeconds);
    }
    for (const call of profile.slowest) slowest.push({ rank, ...call });
  }
  slowest.sort((a, b) => b.seconds - a.seconds);
  return {
    size,
    ranks: Array.from({ length: size }, (_, rank) => profiles[rank] ?? null),
    calls,
    slowest: slowest.slice(0, SLOWEST_LISTED),
    matrix: { bytes, messages },
  };
}

/** `1.2 MB`, `512 B`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function count(messages: number): string {
  return `${messages} message${messages === 1 ? "" : "s"}`;
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${(100 * part / whole).toFixed(1)}%` : "-";
}

/** Lays out rows of cells in columns, the first left-aligned and the others right-aligned. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row.map((cell, column) => column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))
      .join("  ").trimEnd()
  );
}

/** The heat map's shade for `value` of at most `max`: blank for 0, full for `max`. */
function shade(value: number, max: number): string {
  if (value <= 0 || max <= 0) return SHADES[0];
  return SHADES[1 + Math.min(SHADES.length - 2, Math.floor((value / max) * (SHADES.length - 2)))];
}

/**
 * The report as text lines for the terminal: per-rank time in and out of MPI calls, calls and bytes per call
 * kind, the slowest calls, and the communication matrix as a heat map (or, past
 * {@linkcode HEAT_MAP_MAX_RANKS} ranks, its largest cells).
 *
 * @example
 * ```ts
 * import { buildReport, reportText } from "./report.ts";
 * const calls = { send: { calls: 1, bytes: 8, seconds: 0.001, maxSeconds: 0.001 } };
 * const report = buildReport(2, [
 *   { rank: 0, wallSeconds: 1, mpiSeconds: 0.1, calls, slowest: [], sentBytes: [0, 8], sentMessages: [0, 1] },
 *   { rank: 1, wallSeconds: 1, mpiSeconds: 0.2, calls: {}, slowest: [], sentBytes: [0, 0], sentMessages: [0, 0] },
 * ]);
 * console.log(reportText(report).join("\n"));
 * ```
 */
export function reportText(report: JobReport): string[] {
  const lines: string[] = [];
  const { size, ranks } = report;
  lines.push(`mpirun-deno: report of ${size} rank${size === 1 ? "" : "s"} (--report)`);
  const rankRows = [["rank", "wall s", "in MPI s", "in MPI", "outside s", "calls", "sent"]];
  let wall = 0;
  let inside = 0;
  for (let rank = 0; rank < size; rank++) {
    const profile = ranks[rank];
    if (!profile) {
      rankRows.push([String(rank), "-", "-", "-", "-", "-", "-"]);
      continue;
    }
    wall += profile.wallSeconds;
    inside += profile.mpiSeconds;
    rankRows.push([
      String(rank),
      profile.wallSeconds.toFixed(3),
      profile.mpiSeconds.toFixed(3),
      percent(profile.mpiSeconds, profile.wallSeconds),
      (profile.wallSeconds - profile.mpiSeconds).toFixed(3),
      String(sum(Object.values(profile.calls).map((stats) => stats.calls))),
      formatBytes(sum(profile.sentBytes)),
    ]);
  }
  const allCalls = Object.values(report.calls);
  rankRows.push([
    "total",
    wall.toFixed(3),
    inside.toFixed(3),
    percent(inside, wall),
    (wall - inside).toFixed(3),
    String(sum(allCalls.map((stats) => stats.calls))),
    formatBytes(sum(report.matrix.bytes.map(sum))),
  ]);
  lines.push("", ...table(rankRows).map((line) => `  ${line}`));
  const missing = ranks.flatMap((profile, rank) => profile ? [] : [rank]);
  if (missing.length > 0) {
    lines.push(
      `  no report from rank${missing.length === 1 ? "" : "s"} ${
        missing.join(", ")
      } (failed, or exited before the end of its script)`,
    );
  }

  const kinds = Object.entries(report.calls).sort((a, b) => b[1].seconds - a[1].seconds);
  if (kinds.length > 0) {
    const kindRows = [["call", "calls", "sent", "time s", "slowest s"]];
    for (const [kind, stats] of kinds) {
      kindRows.push([
        kind,
        String(stats.calls),
        formatBytes(stats.bytes),
        stats.seconds.toFixed(3),
        stats.maxSeconds.toFixed(3),
      ]);
    }
    lines.push("", ...table(kindRows).map((line) => `  ${line}`));
  }

  if (report.slowest.length > 0) {
    lines.push("", "  slowest calls:");
    for (const call of report.slowest) {
      lines.push(
        `    rank ${call.rank}: ${call.call} took ${call.seconds.toFixed(3)} s, at ${call.at.toFixed(3)} s`,
      );
    }
  }
  lines.push("", ...matrixText(report));
  return lines;
}

function matrixText(report: JobReport): string[] {
  const { size } = report;
  const { bytes, messages } = report.matrix;
  const max = Math.max(0, ...bytes.flat());
  if (max === 0) return ["  communication matrix: no messages between ranks"];
  if (size > HEAT_MAP_MAX_RANKS) {
    const cells = bytes.flatMap((row, from) => row.map((value, to) => ({ from, to, value })))
      .filter((cell) => cell.value > 0).sort((a, b) => b.value - a.value).slice(0, 10);
    return [
      `  communication matrix: ${size} ranks, the largest flows:`,
      ...cells.map((cell) =>
        `    ${cell.from} -> ${cell.to}: ${formatBytes(cell.value)} in ${count(messages[cell.from][cell.to])}`
      ),
    ];
  }
  const width = String(size - 1).length;
  const header = " ".repeat(width + 4) +
    Array.from({ length: size }, (_, to) => String(to % 10)).join("");
  const lines = [
    `  communication matrix (bytes from row to column; ${SHADES.slice(1).join("")} up to ${
      formatBytes(max)
    }):`,
    header,
  ];
  for (let from = 0; from < size; from++) {
    const cells = bytes[from].map((value) => shade(value, max)).join("");
    const total = sum(bytes[from]);
    lines.push(
      `    ${String(from).padStart(width)}|${cells}|  ${formatBytes(total)} in ${count(sum(messages[from]))}`,
    );
  }
  return lines;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!,
  );
}

/**
 * The report as one self-contained HTML page: the communication matrix as a heat map (bytes; the title of
 * each cell gives bytes and messages), one bar per rank split into time inside and outside MPI calls, and
 * the table of call kinds. No script, no external resources.
 *
 * @example
 * ```ts
 * import { buildReport, reportHtml } from "./report.ts";
 * const page = reportHtml(buildReport(1, [undefined]), "job.ts");
 * console.log(page.startsWith("<!DOCTYPE html>")); // true
 * ```
 */
export function reportHtml(report: JobReport, title: string): string {
  const { size, ranks } = report;
  const { bytes, messages } = report.matrix;
  const max = Math.max(0, ...bytes.flat());
  const cell = Math.max(6, Math.min(40, Math.floor(640 / Math.max(1, size))));
  const matrixRows = bytes.map((row, from) =>
    `<tr><th>${from}</th>${
      row.map((value, to) => {
        const alpha = max > 0 && value > 0 ? (0.12 + 0.88 * value / max).toFixed(3) : "0";
        const tip = `${from} → ${to}: ${formatBytes(value)} in ${messages[from][to]} messages`;
        return `<td class="m" style="background:rgba(200,40,20,${alpha})" title="${tip}"></td>`;
      }).join("")
    }</tr>`
  ).join("\n");
  const longest = Math.max(1e-9, ...ranks.map((profile) => profile?.wallSeconds ?? 0));
  const bars = ranks.map((profile, rank) => {
    if (!profile) return `<div class="bar"><span>rank ${rank}</span><em>no report</em></div>`;
    const inside = 100 * profile.mpiSeconds / longest;
    const outside = 100 * (profile.wallSeconds - profile.mpiSeconds) / longest;
    return `<div class="bar"><span>rank ${rank}</span><div class="track">` +
      `<div class="in" style="width:${inside.toFixed(2)}%" title="in MPI ${
        profile.mpiSeconds.toFixed(3)
      } s"></div>` +
      `<div class="out" style="width:${outside.toFixed(2)}%" title="outside ${
        (profile.wallSeconds - profile.mpiSeconds).toFixed(3)
      } s"></div></div><em>${percent(profile.mpiSeconds, profile.wallSeconds)} in MPI</em></div>`;
  }).join("\n");
  const kinds = Object.entries(report.calls).sort((a, b) => b[1].seconds - a[1].seconds).map((
    [kind, stats],
  ) =>
    `<tr><td>${escapeHtml(kind)}</td><td>${stats.calls}</td><td>${formatBytes(stats.bytes)}</td>` +
    `<td>${stats.seconds.toFixed(3)}</td><td>${stats.maxSeconds.toFixed(3)}</td></tr>`
  ).join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mpirun-deno report: ${escapeHtml(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#222}
table.matrix{border-collapse:collapse}
table.matrix td.m{width:${cell}px;height:${cell}px;border:1px solid #eee;padding:0}
table.matrix th{font-weight:normal;font-size:11px;color:#666;padding:0 4px}
.bar{display:flex;align-items:center;gap:8px;margin:3px 0}
.bar span{width:64px}.bar em{font-style:normal;color:#666}
.track{display:flex;width:480px;height:14px;background:#f3f3f3}
.in{background:#c82814}.out{background:#8ab4e8}
table.calls{border-collapse:collapse}table.calls td,table.calls th{padding:2px 10px;text-align:right}
table.calls td:first-child,table.calls th:first-child{text-align:left}
</style></head><body>
<h1>mpirun-deno report: ${escapeHtml(title)}</h1>
<h2>Communication matrix</h2>
<p>Bytes sent from rank (row) to rank (column); the darkest cell is ${formatBytes(max)}.</p>
<table class="matrix" id="matrix"><tr><th></th>${
    Array.from({ length: size }, (_, to) => `<th>${to}</th>`).join("")
  }</tr>
${matrixRows}
</table>
<h2>Time per rank</h2>
<p><span style="color:#c82814">■</span> inside MPI calls <span style="color:#8ab4e8">■</span> outside</p>
<div id="bars">
${bars}
</div>
<h2>Calls</h2>
<table class="calls"><tr><th>call</th><th>calls</th><th>sent</th><th>time s</th><th>slowest s</th></tr>
${kinds}
</table>
</body></html>
`;
}
