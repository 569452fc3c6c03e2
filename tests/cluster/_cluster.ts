/**
 * Helpers of the cluster tests: find the services that `scripts/services/*.sh` started (a real sshd per fake
 * host, a real Slurm), say why a test is skipped when they are not up, run commands against them, and find
 * processes a job left behind.
 *
 * The tests run when the services answer. With `MPIRUN_DENO_TEST_SERVICES=1` (set by `.ci/run`), services
 * that do not answer are a failure, not a skip.
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import process from "node:process";
import { type Finished, runProcess } from "../_helpers/process.ts";
import { flavour, launcherCommand, REPO } from "../_helpers/run_ranks.ts";

export { flavour, launcherCommand, REPO };
export type { Finished };

/** Are the services required (CI), rather than optional? */
const REQUIRED = process.env.MPIRUN_DENO_TEST_SERVICES === "1";

/**
 * The `export NAME=value` lines that `scripts/services/SCRIPT env` prints for this checkout's services (the
 * scripts know where their state is); none when they are not up.
 */
export function serviceExports(script: "ssh_hosts.sh" | "slurm.sh"): Record<string, string> {
  const result = spawnSync("bash", [path.join(REPO, "scripts", "services", script), "env"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  return result.status === 0 ? parseExports(result.stdout) : {};
}

/** The `export NAME=value` lines of a shell script. */
export function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^export ([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) out[match[1]] = match[2].replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return out;
}

/** A service that is up, or why a test needing it is skipped. */
export type Service<T> = { ok: true; value: T } | { ok: false; skip: string };

function unavailable<T>(what: string, why: string, up: string): Service<T> {
  const message = `${what} ${why} (to start: eval "$(bash scripts/services/${up} up)")`;
  if (REQUIRED) throw new Error(`MPIRUN_DENO_TEST_SERVICES=1 but ${message}`);
  return { ok: false, skip: message };
}

/** The fake ssh hosts. */
export interface SshHosts {
  /** The ssh command line, as `MPIRUN_DENO_SSH` takes it. */
  ssh: string;
  hosts: string[];
  /** What each host's `hostname` says (the name its ranks report). */
  names: Map<string, string>;
  /** "netns" (own addresses and host names) or "loopback". */
  mode: string;
  /** An address in the hosts' subnet where packets vanish unanswered (netns mode of a recent `up`). */
  blackhole?: string;
  /** Each host's sshd listener pid (its sessions are its children). */
  sshdPids: Map<string, number>;
}

/** Finds the ssh hosts of `scripts/services/ssh_hosts.sh`, and checks that they answer. */
export function sshHosts(): Service<SshHosts> {
  const exported = process.env.MPD_SSH_CONFIG !== undefined
    ? process.env as Record<string, string>
    : serviceExports("ssh_hosts.sh");
  const config = exported.MPD_SSH_CONFIG;
  if (!config || !fs.existsSync(config)) return unavailable("the ssh hosts", "are not up", "ssh_hosts.sh");
  const hosts = (exported.MPD_SSH_HOSTS ?? "").split(/\s+/).filter((host) => host !== "");
  const names = new Map<string, string>();
  for (const host of hosts) {
    // A login can take several seconds on a loaded machine: a generous bound, and a reason either way.
    const result = spawnSync("ssh", ["-F", config, "-o", "BatchMode=yes", host, "hostname"], {
      encoding: "utf8",
      timeout: 45_000,
    });
    if (result.status !== 0) {
      const why = result.error?.message ?? (result.stderr?.trim() ||
        (result.signal ? `killed by ${result.signal}` : `exit code ${result.status}`));
      return unavailable("the ssh hosts", `do not answer (ssh ${host}: ${why})`, "ssh_hosts.sh");
    }
    names.set(host, result.stdout.trim());
  }
  const sshdPids = new Map<string, number>();
  hosts.forEach((host, i) => {
    try {
      sshdPids.set(
        host,
        Number(fs.readFileSync(path.join(path.dirname(config), `h${i + 1}`, "sshd.pid"), "utf8")),
      );
    } catch {
      // Not readable: the tests that need it skip.
    }
  });
  if (hosts.length < 3) return unavailable("the ssh hosts", `are ${hosts.length}, not 3`, "ssh_hosts.sh");
  return {
    ok: true,
    value: {
      ssh: `ssh -F ${config}`,
      hosts,
      names,
      mode: exported.MPD_SSH_MODE ?? "netns",
      blackhole: exported.MPD_SSH_BLACKHOLE || undefined,
      sshdPids,
    },
  };
}

/** The Slurm cluster. */
export interface SlurmCluster {
  /** Variables that point Slurm's commands at the cluster. */
  env: Record<string, string>;
  nodes: string[];
  cpusPerNode: number;
}

/** Finds the Slurm cluster of `scripts/services/slurm.sh`, and checks that it answers. */
export function slurmCluster(): Service<SlurmCluster> {
  const exported = process.env.SLURM_CONF !== undefined
    ? process.env as Record<string, string>
    : serviceExports("slurm.sh");
  const conf = process.env.SLURM_CONF ?? exported.SLURM_CONF;
  if (!conf || !fs.existsSync(conf)) return unavailable("the Slurm cluster", "is not up", "slurm.sh");
  const env = { SLURM_CONF: conf };
  const result = spawnSync("sinfo", ["--noheader", "--format=%N %T"], {
    encoding: "utf8",
    timeout: 10_000,
    env: { ...cleanEnv(), ...env },
  });
  if (result.status !== 0 || !/idle|mixed|alloc/.test(result.stdout)) {
    return unavailable("the Slurm cluster", `does not answer (sinfo: ${result.stderr?.trim()})`, "slurm.sh");
  }
  const nodes = (exported.MPD_SLURM_NODES ?? process.env.MPD_SLURM_NODES ?? "n1").split(/\s+/).filter(
    Boolean,
  );
  const cpusPerNode = Number(exported.MPD_SLURM_CPUS_PER_NODE ?? process.env.MPD_SLURM_CPUS_PER_NODE ?? 4);
  return { ok: true, value: { env, nodes, cpusPerNode } };
}

/**
 * This process's environment without what would make a child think it is part of a job already: every
 * `SLURM_*` (the tests may run inside an allocation) and `MPIRUN_DENO_*` variable.
 */
export function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!/^(SLURM_|MPIRUN_DENO_)/.test(name)) env[name] = value;
  }
  return env;
}

/** Runs a command with exactly `env` (not merged with this process's), collecting its output. */
export function run(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  options: { input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<Finished> {
  const unset: Record<string, undefined> = {};
  for (const name of Object.keys(process.env)) if (!(name in env)) unset[name] = undefined;
  return runProcess(command, args, {
    env: { ...unset, ...env },
    cwd: options.cwd ?? REPO,
    input: options.input,
    timeoutMs: options.timeoutMs ?? 20_000,
  });
}

/** The command line of the runtime of this test run (`deno run -A` or `bun`), for direct `srun`. */
export function runtimeCommand(): string[] {
  const bin = path.join(REPO, "node_modules", ".bin");
  return flavour === "bun" ? [path.join(bin, "bun")] : [path.join(bin, "deno"), "run", "-A", "--no-check"];
}

/** A fresh word to pass to a job's ranks as an argument, to find its processes afterwards. */
export function marker(): string {
  return `mark-${randomUUID()}`;
}

/** Pids of the processes whose command line contains `word` (not this process). */
export function processesWith(word: string): number[] {
  const found: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(word)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Waits up to `ms` for every process with `word` in its command line to be gone; returns those left. */
export async function leftovers(word: string, ms = 5000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = processesWith(word);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = processesWith(word);
  }
  return left;
}

/** Lines of `text` that carry `[rank] ` tags, as `rank -> lines`. */
export function taggedLines(text: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const line of text.split("\n")) {
    const match = /^\[(\d+)\] (.*)$/.exec(line) ?? /^ *(\d+): (.*)$/.exec(line);
    if (!match) continue;
    const rank = Number(match[1]);
    out.set(rank, [...(out.get(rank) ?? []), match[2]]);
  }
  return out;
}

/** A process under way: its output so far, a wait for a line, and its end. */
export interface Started {
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or `stream`) has `count` lines matching `pattern`. */
  waitFor(pattern: RegExp, count: number, ms?: number, stream?: "stdout" | "stderr"): Promise<void>;
  finished: Promise<Finished>;
}

/**
 * Starts a command with exactly `env`, without waiting for it (killed after `timeoutMs`). The bounds here are
 * only against hangs: start-up on a loaded machine can take 15 s; time what a test is about from
 * `waitFor` on.
 */
export function start(
  command: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  timeoutMs = 50_000,
): Started {
  const child = spawn(command, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let wake = () => {};
  child.stdout!.setEncoding("utf8").on("data", (chunk) => {
    stdout += chunk;
    wake();
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk) => {
    stderr += chunk;
    wake();
  });
  const timer = setTimeout(() => process.kill(child.pid!, "SIGKILL"), timeoutMs);
  const finished = new Promise<Finished>((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    })
  );
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    finished,
    async waitFor(pattern, count, ms = 40_000, stream = "stdout") {
      const deadline = Date.now() + ms;
      const matches = () =>
        (stream === "stdout" ? stdout : stderr).split("\n").filter((line) => pattern.test(line)).length;
      while (matches() < count) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`waited for ${count} lines like ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
  };
}
