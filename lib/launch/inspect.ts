/**
 * `--inspect RANK[:PORT]` and `--inspect-wait`: one rank runs under its runtime's inspector (Deno's V8
 * inspector, Bun's WebKit one, or the compiled binary's through `BUN_INSPECT`), listening on this machine's
 * loopback at PORT (default 9229), and the launcher prints where to attach. With `--inspect-wait` the rank
 * waits for a debugger before it runs anything, so the other ranks wait for it at start-up (they cannot
 * start their scripts before every rank has joined); without it, the job runs at once and a debugger may
 * attach at any time.
 *
 * @module
 */

import * as path from "node:path";
import type { RankLaunch } from "./spawner.ts";
import { UsageError } from "./options.ts";

/** The inspector's default port, as Deno's and Node's. */
export const DEFAULT_INSPECT_PORT = 9229;

/** Which rank runs under the inspector, where, and whether it waits for a debugger. */
export interface InspectRequest {
  rank: number;
  port: number;
  wait: boolean;
}

/**
 * Reads `--inspect RANK[:PORT]` (and `--inspect-wait`); throws {@linkcode UsageError} naming the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseInspect } from "./inspect.ts";
 * assert.deepEqual(parseInspect("2:9300", true), { rank: 2, port: 9300, wait: true });
 * assert.deepEqual(parseInspect("0", false), { rank: 0, port: 9229, wait: false });
 * ```
 */
export function parseInspect(value: string | undefined, wait: boolean): InspectRequest | undefined {
  if (value === undefined) {
    if (wait) throw new UsageError("--inspect-wait goes with --inspect RANK[:PORT]");
    return undefined;
  }
  const match = /^(\d+)(?::(\d+))?$/.exec(value);
  const port = match?.[2] === undefined ? DEFAULT_INSPECT_PORT : Number(match[2]);
  if (match === null || port < 1 || port > 65535) {
    throw new UsageError(`--inspect: ${JSON.stringify(value)} is not RANK or RANK:PORT (a port in 1..65535)`);
  }
  return { rank: Number(match[1]), port, wait };
}

/**
 * The launch of `request.rank` changed to run under the inspector, and the line that tells where to attach.
 * Throws {@linkcode UsageError} when the job has no such rank.
 */
export function inspectLaunch(
  launches: RankLaunch[],
  request: InspectRequest,
): { launches: RankLaunch[]; note: string } {
  const { rank, port, wait } = request;
  if (rank >= launches.length) {
    throw new UsageError(`--inspect: rank ${rank} is not in a job of ${launches.length} ranks`);
  }
  const launch = launches[rank];
  const address = `127.0.0.1:${port}`;
  const flag = `${wait ? "--inspect-wait" : "--inspect"}=${address}`;
  const runtime = path.basename(launch.command);
  let inspected: RankLaunch;
  let where: string;
  if (runtime.startsWith("deno") && launch.args[0] === "run") {
    inspected = { ...launch, args: ["run", flag, ...launch.args.slice(1)] };
    where = `ws://${address} (chrome://inspect, or the ws:// URL the rank prints)`;
  } else if (runtime.startsWith("bun")) {
    inspected = { ...launch, args: [`${flag}/mpirun-deno`, ...launch.args] };
    where = `ws://${address}/mpirun-deno (https://debug.bun.sh/#${address}/mpirun-deno)`;
  } else {
    // The compiled binary reads Bun's inspector settings from its environment.
    const url = `ws://${address}/mpirun-deno`;
    inspected = { ...launch, env: { ...launch.env, BUN_INSPECT: wait ? `${url}?wait=1` : url } };
    where = `${url} (https://debug.bun.sh/#${address}/mpirun-deno)`;
  }
  const note = `rank ${rank} runs under the inspector at ${where}` +
    (wait ? "; it waits for a debugger to attach, and the other ranks wait for it" : "");
  return { launches: launches.map((item, index) => index === rank ? inspected : item), note };
}
