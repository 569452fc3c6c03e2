/**
 * Slurm's own word on its nodes and steps, through its commands: the address a node is reached at
 * (`scontrol show node`: its `NodeAddr`, for clusters whose node names resolve only through Slurm), and the
 * output of any Slurm command. Shared by the launcher inside an allocation and by directly launched ranks
 * (which import it only when a node name does not resolve: its `node:` modules cost a Deno rank's start-up).
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";

/**
 * The `NodeAddr` of `scontrol show node` output, or `undefined` when it has none.
 *
 * @example
 * ```ts
 * import { parseNodeAddr } from "./slurm_nodes.ts";
 * console.log(parseNodeAddr("NodeName=n1 Arch=x86_64 CoresPerSocket=1\n   NodeAddr=10.0.0.5 NodeHostName=n1\n")); // "10.0.0.5"
 * ```
 */
export function parseNodeAddr(text: string): string | undefined {
  return /(?:^|\s)NodeAddr=(\S+)/.exec(text)?.[1];
}

/**
 * The address Slurm reaches node `name` by (`scontrol show node`), or `undefined` if Slurm cannot say.
 *
 * @example
 * ```ts ignore
 * const address = await slurmNodeAddress("n1", process.env); // "10.213.7.11"
 * ```
 */
export async function slurmNodeAddress(
  name: string,
  env: Record<string, string | undefined> = process.env,
): Promise<string | undefined> {
  const shown = await commandOutput("scontrol", ["show", "node", name], env);
  return shown === undefined ? undefined : parseNodeAddr(shown);
}

const decoder = new TextDecoder();

/**
 * The standard output of a command, or `undefined` when it cannot start or fails.
 *
 * @example
 * ```ts ignore
 * const steps = await commandOutput("squeue", ["--noheader", "--steps"], process.env);
 * ```
 */
export function commandOutput(
  command: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    let out = "";
    let child;
    try {
      child = spawn(command, args, { env, stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      return resolve(undefined);
    }
    child.stdout!.on("data", (chunk: Uint8Array) => out += decoder.decode(chunk));
    child.on("error", () => resolve(undefined));
    child.on("close", (code) => resolve(code === 0 ? out : undefined));
  });
}
