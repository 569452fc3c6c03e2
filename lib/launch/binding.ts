/**
 * Binding ranks to cores (`--bind-to core`) and the reports of the plan (`--display-map`,
 * `--report-bindings`). A bound rank is started under `taskset -c CORE`, so that the affinity is set before
 * the runtime starts and every thread it makes inherits it. The rank of local rank N on a host takes the
 * Nth core this launcher may use on its own host (the whole numbering elsewhere).
 *
 * @module
 */

import * as fs from "node:fs";
import * as path from "node:path";
import type { ProgramOptions } from "./options.ts";
import type { RankPlacement } from "./plan.ts";

/**
 * Reads a Linux CPU list such as `0-3,8,10-11` into CPU numbers.
 *
 * @example
 * ```ts
 * import { parseCpuList } from "./binding.ts";
 * console.log(parseCpuList("0-2,8")); // [0, 1, 2, 8]
 * ```
 */
export function parseCpuList(text: string): number[] {
  const cpus: number[] = [];
  for (const part of text.trim().split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) throw new Error(`${JSON.stringify(text)} is not a CPU list`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** The CPUs this process may run on (Linux: `Cpus_allowed_list`), or `undefined` where that is unknown. */
export function allowedCpus(statusFile = "/proc/self/status"): number[] | undefined {
  try {
    const line = /^Cpus_allowed_list:\s*(\S+)$/m.exec(fs.readFileSync(statusFile, "utf8"));
    return line ? parseCpuList(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The core each rank is bound to: on this host (`isLocal`), the local rank's entry of `localCpus`; on
 * others, the core numbered as the local rank.
 *
 * @example
 * ```ts
 * import { coreBindings } from "./binding.ts";
 * const ranks = [{ rank: 0, host: "a", localRank: 0, localSize: 2 }, { rank: 1, host: "a", localRank: 1, localSize: 2 }];
 * console.log(coreBindings(ranks, () => true, [4, 5])); // [4, 5]
 * ```
 */
export function coreBindings(
  placements: readonly RankPlacement[],
  isLocal: (placement: RankPlacement) => boolean,
  localCpus: readonly number[],
): number[] {
  return placements.map((placement) =>
    isLocal(placement) ? localCpus[placement.localRank % localCpus.length] : placement.localRank
  );
}

/**
 * The command that starts `command` bound to `core`.
 *
 * @example
 * ```ts
 * import { boundCommand } from "./binding.ts";
 * console.log(boundCommand("deno", ["run", "app.ts"], 3)); // { command: "taskset", args: ["-c", "3", "deno", "run", "app.ts"] }
 * ```
 */
export function boundCommand(
  command: string,
  args: readonly string[],
  core: number,
): { command: string; args: string[] } {
  return { command: "taskset", args: ["-c", String(core), command, ...args] };
}

/**
 * The `--display-map` table: one row per rank with its host, local rank, core (`-` when not bound) and
 * program.
 *
 * @example
 * ```ts
 * import { jobMap } from "./binding.ts";
 * const lines = jobMap([{ rank: 0, host: "a", localRank: 0, localSize: 1 }], [0],
 *   [{ np: 1, script: "/x/app.ts", scriptArgs: [], env: [], wdir: "/x" }], undefined);
 * console.log(lines.join("\n"));
 * ```
 */
export function jobMap(
  placements: readonly RankPlacement[],
  appnums: readonly number[],
  programs: readonly ProgramOptions[],
  cores: readonly number[] | undefined,
): string[] {
  const hosts = new Set(placements.map((placement) => placement.host)).size;
  const rows = [
    ["rank", "host", "local", "core", "program"],
    ...placements.map((placement) => {
      const appnum = appnums[placement.rank];
      const script = path.basename(programs[appnum].script);
      return [
        String(placement.rank),
        placement.host,
        String(placement.localRank),
        cores === undefined ? "-" : String(cores[placement.rank]),
        programs.length > 1 ? `${appnum}: ${script}` : script,
      ];
    }),
  ];
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return [
    `job map: ${placements.length} rank${placements.length === 1 ? "" : "s"} on ${hosts} host${
      hosts === 1 ? "" : "s"
    }`,
    ...rows.map((row) => "  " + row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()),
  ];
}
